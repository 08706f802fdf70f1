using Amazon.CDK;
using Amazon.CDK.AWS.DynamoDB;
using Amazon.CDK.AWS.KMS;
using Constructs;
using DropSync.Aws.DynamoDb;
using Sdk = Amazon.DynamoDBv2;

namespace DropSync.Infra;

/// <summary>
/// DropSync's DynamoDB tables, built from the adapters' own definitions (<see cref="DynamoDbSchema.Tables"/>: names, keys,
/// indexes, TTL, and <see cref="DynamoDbSchema.ConnectionsTable"/>), so the stack and the code cannot disagree about a key. Every
/// table is on-demand, has point-in-time recovery and deletion protection, is encrypted with the data key, and is
/// retained when the stack is deleted.
/// </summary>
public sealed class DataTables : Construct
{
    /// <summary>Every table by its base name (<see cref="DynamoDbTables"/>' constants).</summary>
    public IReadOnlyDictionary<string, Table> ByBaseName { get; }

    public DynamoDbTableNames Names { get; }

    public Table Entries => ByBaseName[DynamoDbTables.Entries];

    public Table Revisions => ByBaseName[DynamoDbTables.Revisions];

    public Table Journal => ByBaseName[DynamoDbTables.Journal];

    public Table Blocks => ByBaseName[DynamoDbTables.Blocks];

    public Table Accounts => ByBaseName[DynamoDbTables.Accounts];

    public Table UploadSessions => ByBaseName[DynamoDbTables.UploadSessions];

    public Table Sharing => ByBaseName[DynamoDbTables.Sharing];

    public Table Notifications => ByBaseName[DynamoDbTables.Notifications];

    public Table Connections => ByBaseName[DynamoDbTables.Connections];

    public DataTables(Construct scope, string id, DropSyncSettings settings, IKey dataKey)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Names = new DynamoDbTableNames(settings.TablePrefix);
        var withTtl = DynamoDbSchema.TablesWithTimeToLive(Names).ToHashSet(StringComparer.Ordinal);

        var requests = DynamoDbSchema.Tables(Names).ToList();
        requests.Add(DynamoDbSchema.ConnectionsTable(Names));
        withTtl.Add(Names.Connections);

        var tables = new Dictionary<string, Table>(StringComparer.Ordinal);
        foreach (var request in requests)
        {
            var baseName = request.TableName[settings.TablePrefix.Length..];
            tables[baseName] = Build(request, baseName, withTtl.Contains(request.TableName), dataKey);
        }

        ByBaseName = tables;
    }

    private Table Build(Sdk.Model.CreateTableRequest request, string baseName, bool timeToLive, IKey dataKey)
    {
        var table = new Table(this, baseName, new TableProps
        {
            TableName = request.TableName,
            PartitionKey = KeyOf(request, request.KeySchema, Sdk.KeyType.HASH)!,
            SortKey = KeyOf(request, request.KeySchema, Sdk.KeyType.RANGE),
            BillingMode = BillingMode.PAY_PER_REQUEST,
            PointInTimeRecovery = true,
            DeletionProtection = true,
            Encryption = TableEncryption.CUSTOMER_MANAGED,
            EncryptionKey = dataKey,
            TimeToLiveAttribute = timeToLive ? DynamoDbTables.TimeToLiveAttribute : null,
            RemovalPolicy = RemovalPolicy.RETAIN,
        });

        foreach (var index in request.LocalSecondaryIndexes ?? [])
        {
            table.AddLocalSecondaryIndex(new LocalSecondaryIndexProps
            {
                IndexName = index.IndexName,
                SortKey = KeyOf(request, index.KeySchema, Sdk.KeyType.RANGE)!,
                ProjectionType = Projection(index.Projection),
            });
        }

        foreach (var index in request.GlobalSecondaryIndexes ?? [])
        {
            table.AddGlobalSecondaryIndex(new GlobalSecondaryIndexProps
            {
                IndexName = index.IndexName,
                PartitionKey = KeyOf(request, index.KeySchema, Sdk.KeyType.HASH)!,
                SortKey = KeyOf(request, index.KeySchema, Sdk.KeyType.RANGE),
                ProjectionType = Projection(index.Projection),
            });
        }

        return table;
    }

    private static Amazon.CDK.AWS.DynamoDB.Attribute? KeyOf(Sdk.Model.CreateTableRequest request, List<Sdk.Model.KeySchemaElement> keys, Sdk.KeyType type)
    {
        var key = keys.SingleOrDefault(k => k.KeyType == type);
        if (key is null)
        {
            return null;
        }

        var definition = request.AttributeDefinitions.Single(a => a.AttributeName == key.AttributeName);
        var attributeType = definition.AttributeType == Sdk.ScalarAttributeType.N ? AttributeType.NUMBER
            : definition.AttributeType == Sdk.ScalarAttributeType.B ? AttributeType.BINARY
            : AttributeType.STRING;
        return new Amazon.CDK.AWS.DynamoDB.Attribute { Name = key.AttributeName, Type = attributeType };
    }

    private static ProjectionType Projection(Sdk.Model.Projection? projection) =>
        projection?.ProjectionType == Sdk.ProjectionType.KEYS_ONLY ? ProjectionType.KEYS_ONLY
        : projection?.ProjectionType == Sdk.ProjectionType.INCLUDE
            ? throw new NotSupportedException("INCLUDE projections: add NonKeyAttributes here first.")
            : ProjectionType.ALL;
}
