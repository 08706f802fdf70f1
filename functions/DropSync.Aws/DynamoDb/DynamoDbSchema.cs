using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// Creates DropSync's tables (on-demand billing, TTL where used) for tests and local runs. The CDK stack creates the same
/// tables from the same <see cref="DynamoDbTables"/> constants.
/// </summary>
public static class DynamoDbSchema
{
    /// <summary>The create requests of every table, for the given names.</summary>
    public static IReadOnlyList<CreateTableRequest> Tables(DynamoDbTableNames names) =>
    [
        new()
        {
            TableName = names.Entries,
            BillingMode = BillingMode.PAY_PER_REQUEST,
            AttributeDefinitions =
            [
                Attribute(EntriesPartitionKey), Attribute(EntriesSortKey), Attribute(ChildrenIndexSortKey), Attribute(DeletedIndexSortKey),
                Attribute(RetentionIndexPartitionKey), Attribute(RetentionIndexSortKey, ScalarAttributeType.N),
            ],
            KeySchema = Keys(EntriesPartitionKey, EntriesSortKey),
            GlobalSecondaryIndexes =
            [
                new()
                {
                    IndexName = RetentionIndex,
                    KeySchema = Keys(RetentionIndexPartitionKey, RetentionIndexSortKey),
                    Projection = new() { ProjectionType = ProjectionType.KEYS_ONLY },
                },
            ],
            LocalSecondaryIndexes =
            [
                new() { IndexName = ChildrenIndex, KeySchema = Keys(EntriesPartitionKey, ChildrenIndexSortKey), Projection = new() { ProjectionType = ProjectionType.ALL } },
                new() { IndexName = DeletedIndex, KeySchema = Keys(EntriesPartitionKey, DeletedIndexSortKey), Projection = new() { ProjectionType = ProjectionType.ALL } },
            ],
        },
        Simple(names.Revisions, RevisionsPartitionKey, RevisionsSortKey, ScalarAttributeType.S),
        Simple(names.Journal, JournalPartitionKey, JournalSortKey, ScalarAttributeType.N),
        new()
        {
            TableName = names.Blocks,
            BillingMode = BillingMode.PAY_PER_REQUEST,
            AttributeDefinitions =
            [
                Attribute(BlocksPartitionKey), Attribute(BlocksSortKey), Attribute(BlocksGcIndexPartitionKey),
                Attribute(BlocksGcIndexSortKey, ScalarAttributeType.N),
            ],
            KeySchema = Keys(BlocksPartitionKey, BlocksSortKey),
            GlobalSecondaryIndexes =
            [
                new()
                {
                    IndexName = BlocksGcIndex,
                    KeySchema = Keys(BlocksGcIndexPartitionKey, BlocksGcIndexSortKey),
                    Projection = new() { ProjectionType = ProjectionType.KEYS_ONLY },
                },
            ],
        },
        Simple(names.Accounts, AccountsPartitionKey, AccountsSortKey, ScalarAttributeType.S),
        new()
        {
            TableName = names.UploadSessions,
            BillingMode = BillingMode.PAY_PER_REQUEST,
            AttributeDefinitions =
            [
                Attribute(UploadSessionsPartitionKey), Attribute(UploadSessionsSortKey), Attribute(SessionsExpiryIndexPartitionKey),
                Attribute(SessionsExpiryIndexSortKey, ScalarAttributeType.N), Attribute(OpenSessionsIndexPartitionKey),
            ],
            KeySchema = Keys(UploadSessionsPartitionKey, UploadSessionsSortKey),
            GlobalSecondaryIndexes =
            [
                new()
                {
                    IndexName = SessionsExpiryIndex,
                    KeySchema = Keys(SessionsExpiryIndexPartitionKey, SessionsExpiryIndexSortKey),
                    Projection = new() { ProjectionType = ProjectionType.KEYS_ONLY },
                },
                new()
                {
                    IndexName = OpenSessionsIndex,
                    KeySchema = Keys(OpenSessionsIndexPartitionKey, SessionsExpiryIndexSortKey),
                    Projection = new() { ProjectionType = ProjectionType.KEYS_ONLY },
                },
            ],
        },
        Simple(names.Sharing, SharingPartitionKey, SharingSortKey, ScalarAttributeType.S),
        new()
        {
            TableName = names.Notifications,
            BillingMode = BillingMode.PAY_PER_REQUEST,
            AttributeDefinitions =
            [
                Attribute(NotificationsPartitionKey), Attribute(NotificationsSortKey), Attribute(RecentIndexSortKey), Attribute(UnreadIndexSortKey),
            ],
            KeySchema = Keys(NotificationsPartitionKey, NotificationsSortKey),
            LocalSecondaryIndexes =
            [
                new() { IndexName = RecentIndex, KeySchema = Keys(NotificationsPartitionKey, RecentIndexSortKey), Projection = new() { ProjectionType = ProjectionType.ALL } },
                new() { IndexName = UnreadIndex, KeySchema = Keys(NotificationsPartitionKey, UnreadIndexSortKey), Projection = new() { ProjectionType = ProjectionType.KEYS_ONLY } },
            ],
        },
    ];

    /// <summary>The WebSocket connections table (<see cref="DynamoDbTables.Connections"/>; TTL on "ttl").</summary>
    public static CreateTableRequest ConnectionsTable(DynamoDbTableNames names)
    {
        ArgumentNullException.ThrowIfNull(names);
        return Simple(names.Connections, ConnectionsPartitionKey, ConnectionsSortKey, ScalarAttributeType.S);
    }

    /// <summary>Creates the connections table (tests and local runs; the CDK stack creates it in AWS) and turns TTL on.</summary>
    public static async Task CreateConnectionsAsync(IAmazonDynamoDB client, DynamoDbTableNames names, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            await client.CreateTableAsync(ConnectionsTable(names), cancellationToken).ConfigureAwait(false);
        }
        catch (ResourceInUseException)
        {
            // Already there.
        }

        await WaitActiveAsync(client, names.Connections, cancellationToken).ConfigureAwait(false);
        await EnableTimeToLiveAsync(client, names.Connections, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The tables that have a TTL attribute (<see cref="DynamoDbTables.TimeToLiveAttribute"/>).</summary>
    public static IReadOnlyList<string> TablesWithTimeToLive(DynamoDbTableNames names) => [names.UploadSessions, names.Notifications];

    /// <summary>Creates every table that does not exist yet, waits until all are active, and turns TTL on.</summary>
    public static async Task CreateAsync(IAmazonDynamoDB client, DynamoDbTableNames names, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(names);
        foreach (var table in Tables(names))
        {
            try
            {
                await client.CreateTableAsync(table, cancellationToken).ConfigureAwait(false);
            }
            catch (ResourceInUseException)
            {
                // Already there.
            }
        }

        foreach (var table in names.All)
        {
            await WaitActiveAsync(client, table, cancellationToken).ConfigureAwait(false);
        }

        foreach (var table in TablesWithTimeToLive(names))
        {
            await EnableTimeToLiveAsync(client, table, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task EnableTimeToLiveAsync(IAmazonDynamoDB client, string table, CancellationToken cancellationToken)
    {
        var current = await client.DescribeTimeToLiveAsync(new DescribeTimeToLiveRequest { TableName = table }, cancellationToken).ConfigureAwait(false);
        if (current.TimeToLiveDescription?.TimeToLiveStatus == TimeToLiveStatus.ENABLED ||
            current.TimeToLiveDescription?.TimeToLiveStatus == TimeToLiveStatus.ENABLING)
        {
            return;
        }

        await client.UpdateTimeToLiveAsync(
            new UpdateTimeToLiveRequest
            {
                TableName = table,
                TimeToLiveSpecification = new TimeToLiveSpecification { AttributeName = TimeToLiveAttribute, Enabled = true },
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes every table (tests against a real account clean up with this).</summary>
    public static async Task DeleteAsync(IAmazonDynamoDB client, DynamoDbTableNames names, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(names);
        foreach (var table in names.All)
        {
            try
            {
                await client.DeleteTableAsync(new DeleteTableRequest { TableName = table }, cancellationToken).ConfigureAwait(false);
            }
            catch (ResourceNotFoundException)
            {
                // Already gone.
            }
        }
    }

    private static async Task WaitActiveAsync(IAmazonDynamoDB client, string table, CancellationToken cancellationToken)
    {
        for (var delay = 20; ; delay = Math.Min(delay * 2, 2000))
        {
            var description = await client.DescribeTableAsync(new DescribeTableRequest { TableName = table }, cancellationToken).ConfigureAwait(false);
            var indexesActive = description.Table.GlobalSecondaryIndexes is null ||
                description.Table.GlobalSecondaryIndexes.TrueForAll(i => i.IndexStatus == IndexStatus.ACTIVE);
            if (description.Table.TableStatus == TableStatus.ACTIVE && indexesActive)
            {
                return;
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    private static CreateTableRequest Simple(string name, string partitionKey, string sortKey, ScalarAttributeType sortType) => new()
    {
        TableName = name,
        BillingMode = BillingMode.PAY_PER_REQUEST,
        AttributeDefinitions = [Attribute(partitionKey), Attribute(sortKey, sortType)],
        KeySchema = Keys(partitionKey, sortKey),
    };

    private static AttributeDefinition Attribute(string name, ScalarAttributeType? type = null) =>
        new() { AttributeName = name, AttributeType = type ?? ScalarAttributeType.S };

    private static List<KeySchemaElement> Keys(string partitionKey, string sortKey) =>
    [
        new() { AttributeName = partitionKey, KeyType = KeyType.HASH },
        new() { AttributeName = sortKey, KeyType = KeyType.RANGE },
    ];
}
