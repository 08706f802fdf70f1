using Amazon.CDK.Assertions;
using DropSync.Aws.DynamoDb;

namespace DropSync.Infra.Tests;

using Props = Dictionary<string, object>;

public sealed class TableTests
{
    private static Deployment D => Stacks.WithoutReplica;

    public static TheoryData<string> TableNames =>
    [
        .. new DynamoDbTableNames("test-").All, new DynamoDbTableNames("test-").Connections,
    ];

    [Fact]
    public void Every_table_the_adapters_define_plus_connections_exists()
    {
        D.Primary.ResourceCountIs("AWS::DynamoDB::Table", new DynamoDbTableNames().All.Count() + 1);
    }

    [Theory]
    [MemberData(nameof(TableNames))]
    public void Each_table_is_on_demand_recoverable_protected_and_encrypted_with_the_data_key(string tableName)
    {
        var keyId = D.LogicalId("AWS::KMS::Key", "DataKey");
        D.Primary.HasResource("AWS::DynamoDB::Table", new Props
        {
            ["Properties"] = Match.ObjectLike(new Props
            {
                ["TableName"] = tableName,
                ["BillingMode"] = "PAY_PER_REQUEST",
                ["PointInTimeRecoverySpecification"] = new Props { ["PointInTimeRecoveryEnabled"] = true },
                ["DeletionProtectionEnabled"] = true,
                ["SSESpecification"] = new Props
                {
                    ["SSEEnabled"] = true,
                    ["SSEType"] = "KMS",
                    ["KMSMasterKeyId"] = new Props { ["Fn::GetAtt"] = new object[] { keyId, "Arn" } },
                },
            }),
            ["DeletionPolicy"] = "Retain",
        });
    }

    [Fact]
    public void The_tables_the_adapters_expire_have_ttl_and_the_others_do_not()
    {
        var names = new DynamoDbTableNames("test-");
        var expiring = DynamoDbSchema.TablesWithTimeToLive(names).Append(names.Connections).ToList();
        Assert.Contains(names.UploadSessions, expiring);
        foreach (var name in expiring)
        {
            D.Primary.HasResourceProperties("AWS::DynamoDB::Table", new Props
            {
                ["TableName"] = name,
                ["TimeToLiveSpecification"] = new Props { ["AttributeName"] = DynamoDbTables.TimeToLiveAttribute, ["Enabled"] = true },
            });
        }

        foreach (var name in names.All.Except(expiring))
        {
            D.Primary.HasResourceProperties("AWS::DynamoDB::Table", new Props
            {
                ["TableName"] = name,
                ["TimeToLiveSpecification"] = Match.Absent(),
            });
        }
    }

    [Fact]
    public void Keys_and_indexes_follow_the_adapters_schema()
    {
        var names = new DynamoDbTableNames("test-");
        D.Primary.HasResourceProperties("AWS::DynamoDB::Table", new Props
        {
            ["TableName"] = names.Entries,
            ["KeySchema"] = new object[]
            {
                new Props { ["AttributeName"] = DynamoDbTables.EntriesPartitionKey, ["KeyType"] = "HASH" },
                new Props { ["AttributeName"] = DynamoDbTables.EntriesSortKey, ["KeyType"] = "RANGE" },
            },
            ["LocalSecondaryIndexes"] = Match.ArrayWith(new object[]
            {
                Match.ObjectLike(new Props { ["IndexName"] = DynamoDbTables.ChildrenIndex }),
                Match.ObjectLike(new Props { ["IndexName"] = DynamoDbTables.DeletedIndex }),
            }),
        });
        D.Primary.HasResourceProperties("AWS::DynamoDB::Table", new Props
        {
            ["TableName"] = names.Journal,
            ["AttributeDefinitions"] = Match.ArrayWith(new object[]
            {
                new Props { ["AttributeName"] = DynamoDbTables.JournalSortKey, ["AttributeType"] = "N" },
            }),
        });
        D.Primary.HasResourceProperties("AWS::DynamoDB::Table", new Props
        {
            ["TableName"] = names.Blocks,
            ["GlobalSecondaryIndexes"] = new object[]
            {
                new Props
                {
                    ["IndexName"] = DynamoDbTables.BlocksGcIndex,
                    ["KeySchema"] = new object[]
                    {
                        new Props { ["AttributeName"] = DynamoDbTables.BlocksGcIndexPartitionKey, ["KeyType"] = "HASH" },
                        new Props { ["AttributeName"] = DynamoDbTables.BlocksGcIndexSortKey, ["KeyType"] = "RANGE" },
                    },
                    ["Projection"] = new Props { ["ProjectionType"] = "KEYS_ONLY" },
                },
            },
        });
    }
}
