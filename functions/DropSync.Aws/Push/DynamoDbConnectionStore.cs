using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using DropSync.Aws.DynamoDb;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.Aws.Push;

/// <summary>One open WebSocket connection of a device, as API Gateway names it.</summary>
public sealed record DeviceConnectionRecord(string ConnectionId, string UserId, string DeviceId, bool Echo, DateTimeOffset ExpiresAt);

/// <summary>
/// Open API Gateway WebSocket connections in DynamoDB (<see cref="DynamoDbTables.Connections"/>): by user (one Query
/// finds where to push) and by connection id (for $disconnect and 410 Gone). Items expire through TTL, since API Gateway
/// closes every WebSocket after at most 2 hours and a missed $disconnect must not leave them forever.
/// </summary>
public sealed class DynamoDbConnectionStore
{
    private const string ConnectionSk = "conn";
    private readonly DynamoDbContext _db;

    public DynamoDbConnectionStore(DynamoDbContext db) => _db = db ?? throw new ArgumentNullException(nameof(db));

    /// <summary>API Gateway's limit on a WebSocket connection's life.</summary>
    public static readonly TimeSpan MaxConnectionLifetime = TimeSpan.FromHours(2);

    public async Task PutAsync(DeviceConnectionRecord connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var response = await _db.Client.TransactWriteItemsAsync(
            new TransactWriteItemsRequest
            {
                TransactItems =
                [
                    new() { Put = new Put { TableName = _db.Tables.Connections, Item = Item(connection, "u#" + connection.UserId, "c#" + connection.ConnectionId) } },
                    new() { Put = new Put { TableName = _db.Tables.Connections, Item = Item(connection, "c#" + connection.ConnectionId, ConnectionSk) } },
                ],
                ReturnConsumedCapacity = ReturnConsumedCapacity.INDEXES,
            },
            cancellationToken).ConfigureAwait(false);
        _db.Capacity.Record("ConnectionPut", response.ConsumedCapacity);
    }

    public async Task<DeviceConnectionRecord?> GetAsync(string connectionId, CancellationToken cancellationToken)
    {
        var item = await _db.GetItemAsync("ConnectionGet", _db.Tables.Connections, Ddb.Key(ConnectionsPartitionKey, "c#" + connectionId, ConnectionsSortKey, ConnectionSk), cancellationToken).ConfigureAwait(false);
        return item is null ? null : ToRecord(item);
    }

    /// <summary>The user's connections that have not expired.</summary>
    public async Task<IReadOnlyList<DeviceConnectionRecord>> ListByUserAsync(string userId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var items = await _db.QueryAllAsync(
            "ConnectionList",
            new QueryRequest
            {
                TableName = _db.Tables.Connections,
                KeyConditionExpression = "#pk = :pk AND begins_with(#sk, :c)",
                ExpressionAttributeNames = new() { ["#pk"] = ConnectionsPartitionKey, ["#sk"] = ConnectionsSortKey },
                ExpressionAttributeValues = new() { [":pk"] = Ddb.S("u#" + userId), [":c"] = Ddb.S("c#") },
            },
            cancellationToken).ConfigureAwait(false);
        return items.Select(ToRecord).Where(c => c.ExpiresAt > now).ToList();
    }

    /// <summary>Forgets a connection (both items); a no-op for an unknown one.</summary>
    public async Task DeleteAsync(string connectionId, CancellationToken cancellationToken)
    {
        var connection = await GetAsync(connectionId, cancellationToken).ConfigureAwait(false);
        var writes = new List<WriteRequest> { Ddb.DeleteRequest(Ddb.Key(ConnectionsPartitionKey, "c#" + connectionId, ConnectionsSortKey, ConnectionSk)) };
        if (connection is not null)
        {
            writes.Add(Ddb.DeleteRequest(Ddb.Key(ConnectionsPartitionKey, "u#" + connection.UserId, ConnectionsSortKey, "c#" + connectionId)));
        }

        await _db.BatchWriteAsync("ConnectionDelete", _db.Tables.Connections, writes, cancellationToken).ConfigureAwait(false);
    }

    private static Dictionary<string, AttributeValue> Item(DeviceConnectionRecord connection, string pk, string sk)
    {
        var item = Ddb.Key(ConnectionsPartitionKey, pk, ConnectionsSortKey, sk);
        item["cid"] = Ddb.S(connection.ConnectionId);
        item["uid"] = Ddb.S(connection.UserId);
        item["dev"] = Ddb.S(connection.DeviceId);
        item["echo"] = Ddb.Bool(connection.Echo);
        item[TimeToLiveAttribute] = Ddb.N(connection.ExpiresAt.ToUnixTimeSeconds());
        return item;
    }

    private static DeviceConnectionRecord ToRecord(Dictionary<string, AttributeValue> item) => new(
        item.RequireS("cid"),
        item.RequireS("uid"),
        item.RequireS("dev"),
        item.GetBool("echo"),
        DateTimeOffset.FromUnixTimeSeconds(item.RequireN(TimeToLiveAttribute)));
}
