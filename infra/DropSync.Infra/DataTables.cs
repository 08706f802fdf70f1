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
/// <para>
/// They are DynamoDB global tables (<c>AWS::DynamoDB::GlobalTable</c>, CDK's <see cref="TableV2"/>): with a replica region
/// set, each table has a replica there (encrypted with the replica stack's key), kept seconds behind. DropSync writes in
/// ONE region at a time (active-passive): a commit's first-wins condition only holds within a region, since global tables
/// resolve concurrent writes in two regions last-writer-wins. Why global tables rather than backups copied to the other
/// region, and how to fail over: docs/deploy.md, "Two regions".
/// </para>
/// </summary>
public sealed class DataTables : Construct
{
    /// <summary>Every table by its base name (<see cref="DynamoDbTables"/>' constants).</summary>
    public IReadOnlyDictionary<string, TableV2> ByBaseName { get; }

    public DynamoDbTableNames Names { get; }

    public TableV2 Entries => ByBaseName[DynamoDbTables.Entries];

    public TableV2 Revisions => ByBaseName[DynamoDbTables.Revisions];

    public TableV2 Journal => ByBaseName[DynamoDbTables.Journal];

    public TableV2 Blocks => ByBaseName[DynamoDbTables.Blocks];

    public TableV2 Accounts => ByBaseName[DynamoDbTables.Accounts];

    public TableV2 UploadSessions => ByBaseName[DynamoDbTables.UploadSessions];

    public TableV2 Sharing => ByBaseName[DynamoDbTables.Sharing];

    public TableV2 Notifications => ByBaseName[DynamoDbTables.Notifications];

    public TableV2 Connections => ByBaseName[DynamoDbTables.Connections];

    public DataTables(Construct scope, string id, DropSyncSettings settings, IKey dataKey, ReplicaTarget? replica = null)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Names = new DynamoDbTableNames(settings.TablePrefix);
        var withTtl = DynamoDbSchema.TablesWithTimeToLive(Names).ToHashSet(StringComparer.Ordinal);

        var requests = DynamoDbSchema.Tables(Names).ToList();
        requests.Add(DynamoDbSchema.ConnectionsTable(Names));
        withTtl.Add(Names.Connections);

        var tables = new Dictionary<string, TableV2>(StringComparer.Ordinal);
        foreach (var request in requests)
        {
            var baseName = request.TableName[settings.TablePrefix.Length..];
            tables[baseName] = Build(request, baseName, withTtl.Contains(request.TableName), dataKey, replica);
        }

        ByBaseName = tables;
    }

    private TableV2 Build(Sdk.Model.CreateTableRequest request, string baseName, bool timeToLive, IKey dataKey, ReplicaTarget? replica)
    {
        var replicaKeys = replica is null
            ? null
            : new Dictionary<string, string> { [replica.Region] = replica.Key.KeyArn };
        return new TableV2(this, baseName, new TablePropsV2
        {
            TableName = request.TableName,
            PartitionKey = KeyOf(request, request.KeySchema, Sdk.KeyType.HASH)!,
            SortKey = KeyOf(request, request.KeySchema, Sdk.KeyType.RANGE),
            Billing = Billing.OnDemand(),
            PointInTimeRecovery = true,
            DeletionProtection = true,
            Encryption = TableEncryptionV2.CustomerManagedKey(dataKey, replicaKeys),
            TimeToLiveAttribute = timeToLive ? DynamoDbTables.TimeToLiveAttribute : null,
            RemovalPolicy = RemovalPolicy.RETAIN,
            // The replica inherits point-in-time recovery and deletion protection from the table's options.
            Replicas = replica is null ? null : [new ReplicaTableProps { Region = replica.Region }],
            LocalSecondaryIndexes = [.. (request.LocalSecondaryIndexes ?? []).Select(index => new LocalSecondaryIndexProps
            {
                IndexName = index.IndexName,
                SortKey = KeyOf(request, index.KeySchema, Sdk.KeyType.RANGE)!,
                ProjectionType = Projection(index.Projection),
            })],
            GlobalSecondaryIndexes = [.. (request.GlobalSecondaryIndexes ?? []).Select(index => new GlobalSecondaryIndexPropsV2
            {
                IndexName = index.IndexName,
                PartitionKey = KeyOf(request, index.KeySchema, Sdk.KeyType.HASH)!,
                SortKey = KeyOf(request, index.KeySchema, Sdk.KeyType.RANGE),
                ProjectionType = Projection(index.Projection),
            })],
        });
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
