using Amazon.CDK.Assertions;
using DropSync.Aws.DynamoDb;
using Newtonsoft.Json.Linq;

namespace DropSync.Infra.Tests;

using Props = Dictionary<string, object>;

public sealed class TableTests
{
    /// <summary>The tables are DynamoDB global tables (CDK TableV2), with or without a replica region.</summary>
    private const string GlobalTable = "AWS::DynamoDB::GlobalTable";

    private static Deployment D => Stacks.WithoutReplica;

    public static TheoryData<string> TableNames =>
    [
        .. new DynamoDbTableNames("test-").All, new DynamoDbTableNames("test-").Connections,
    ];

    [Fact]
    public void Every_table_the_adapters_define_plus_connections_exists()
    {
        D.Primary.ResourceCountIs(GlobalTable, new DynamoDbTableNames().All.Count() + 1);
    }

    [Theory]
    [MemberData(nameof(TableNames))]
    public void Each_table_is_on_demand_recoverable_protected_and_encrypted_with_the_data_key(string tableName)
    {
        var keyId = D.LogicalId("AWS::KMS::Key", "DataKey");
        D.Primary.HasResource(GlobalTable, new Props
        {
            ["Properties"] = Match.ObjectLike(new Props
            {
                ["TableName"] = tableName,
                ["BillingMode"] = "PAY_PER_REQUEST",
                ["SSESpecification"] = new Props { ["SSEEnabled"] = true, ["SSEType"] = "KMS" },
                // Without a replica region, the one replica is the primary region's table.
                ["Replicas"] = new object[]
                {
                    Match.ObjectLike(new Props
                    {
                        ["Region"] = "us-east-1",
                        ["PointInTimeRecoverySpecification"] = new Props { ["PointInTimeRecoveryEnabled"] = true },
                        ["DeletionProtectionEnabled"] = true,
                        ["SSESpecification"] = new Props { ["KMSMasterKeyId"] = new Props { ["Fn::GetAtt"] = new object[] { keyId, "Arn" } } },
                    }),
                },
            }),
            ["DeletionPolicy"] = "Retain",
        });
    }

    [Theory]
    [MemberData(nameof(TableNames))]
    public void With_a_replica_region_each_table_has_a_recoverable_protected_replica_there_under_the_replica_key(string tableName)
    {
        var d = Stacks.WithReplica;
        var table = d.Resources(GlobalTable).Single(t => (string?)t.Properties["TableName"] == tableName).Properties;
        var replicas = ((JArray)table["Replicas"]!).ToDictionary(r => (string)r["Region"]!);
        Assert.Equal(["eu-central-1", "eu-west-1"], replicas.Keys.Order(StringComparer.Ordinal));
        var replica = replicas["eu-central-1"];
        Assert.True((bool)replica["PointInTimeRecoverySpecification"]!["PointInTimeRecoveryEnabled"]!);
        Assert.True((bool)replica["DeletionProtectionEnabled"]!);
        // The replica stack's key, through CDK's cross-region reference.
        Assert.Contains("ReplicaKey", replica["SSESpecification"]!["KMSMasterKeyId"]!.ToString(), StringComparison.Ordinal);
        // Global tables replicate through a stream of new and old images.
        Assert.Equal("NEW_AND_OLD_IMAGES", (string?)table["StreamSpecification"]?["StreamViewType"]);
    }

    [Fact]
    public void The_tables_the_adapters_expire_have_ttl_and_the_others_do_not()
    {
        var names = new DynamoDbTableNames("test-");
        var expiring = DynamoDbSchema.TablesWithTimeToLive(names).Append(names.Connections).ToList();
        Assert.Contains(names.UploadSessions, expiring);
        foreach (var name in expiring)
        {
            D.Primary.HasResourceProperties(GlobalTable, new Props
            {
                ["TableName"] = name,
                ["TimeToLiveSpecification"] = new Props { ["AttributeName"] = DynamoDbTables.TimeToLiveAttribute, ["Enabled"] = true },
            });
        }

        foreach (var name in names.All.Except(expiring))
        {
            D.Primary.HasResourceProperties(GlobalTable, new Props
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
        D.Primary.HasResourceProperties(GlobalTable, new Props
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
        D.Primary.HasResourceProperties(GlobalTable, new Props
        {
            ["TableName"] = names.Journal,
            ["AttributeDefinitions"] = Match.ArrayWith(new object[]
            {
                new Props { ["AttributeName"] = DynamoDbTables.JournalSortKey, ["AttributeType"] = "N" },
            }),
        });
        D.Primary.HasResourceProperties(GlobalTable, new Props
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
