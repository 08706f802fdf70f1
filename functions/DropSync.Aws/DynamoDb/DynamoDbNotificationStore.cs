using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// Notifications in DynamoDB (<see cref="DynamoDbTables.Notifications"/>): one partition per user, the item keyed by
/// notification id (so adding is idempotent and marking read is one update), a strongly consistent LSI for newest-first
/// pages and a sparse one holding only unread items, so the unread count reads nothing else. Items expire after
/// <see cref="Retention"/> through TTL.
/// </summary>
public sealed class DynamoDbNotificationStore : INotificationStore
{
    private const string KindAttribute = "k";
    private const string PathAttribute = "p";
    private const string ActorEmail = "ae";
    private const string ActorDevice = "ad";
    private const string TimeAttribute = "t";
    private const string ReadAttribute = "rd";

    private readonly DynamoDbContext _db;

    public DynamoDbNotificationStore(DynamoDbContext db) => _db = db ?? throw new ArgumentNullException(nameof(db));

    /// <summary>How long a notification is kept (TTL).</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(90);

    public async Task AddAsync(IReadOnlyList<Notification> notifications, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notifications);
        await Parallel.ForEachAsync(
            notifications,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (note, ct) =>
            {
                var recent = RecentKey(note.Time, note.NotificationId);
                var item = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
                {
                    [NotificationsPartitionKey] = Ddb.S(note.UserId),
                    [NotificationsSortKey] = Ddb.S(note.NotificationId),
                    [RecentIndexSortKey] = Ddb.S(recent),
                    [KindAttribute] = Ddb.S(note.Kind),
                    [PathAttribute] = Ddb.S(note.Path),
                    [ActorEmail] = Ddb.S(note.ActorEmail),
                    [ActorDevice] = Ddb.S(note.ActorDeviceId),
                    [TimeAttribute] = Ddb.N(Ddb.Ms(note.Time)),
                    [ReadAttribute] = Ddb.Bool(note.Read),
                    [TimeToLiveAttribute] = Ddb.N((note.Time + Retention).ToUnixTimeSeconds()),
                };
                if (!note.Read)
                {
                    item[UnreadIndexSortKey] = Ddb.S(recent);
                }

                try
                {
                    // Recorded once per id: a change delivered twice does not reset what the user has read.
                    var response = await _db.Client.PutItemAsync(
                        new PutItemRequest
                        {
                            TableName = _db.Tables.Notifications,
                            Item = item,
                            ConditionExpression = "attribute_not_exists(#u)",
                            ExpressionAttributeNames = new() { ["#u"] = NotificationsPartitionKey },
                            ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                        },
                        ct).ConfigureAwait(false);
                    _db.Capacity.Record(nameof(AddAsync), response.ConsumedCapacity);
                }
                catch (ConditionalCheckFailedException)
                {
                    // Already recorded.
                }
            }).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<Notification>> ListAsync(string userId, string? beforeId, int limit, CancellationToken cancellationToken)
    {
        if (limit <= 0)
        {
            return [];
        }

        var values = new Dictionary<string, AttributeValue> { [":u"] = Ddb.S(userId) };
        var condition = "#u = :u";
        if (beforeId is not null)
        {
            var before = await _db.GetItemAsync(
                nameof(ListAsync), _db.Tables.Notifications, Ddb.Key(NotificationsPartitionKey, userId, NotificationsSortKey, beforeId), cancellationToken).ConfigureAwait(false);
            if (before is null)
            {
                return [];
            }

            condition += " AND #tk < :before";
            values[":before"] = before[RecentIndexSortKey];
        }

        var items = await _db.QueryAllAsync(
            nameof(ListAsync),
            new QueryRequest
            {
                TableName = _db.Tables.Notifications,
                IndexName = RecentIndex,
                KeyConditionExpression = condition,
                ExpressionAttributeNames = beforeId is null ? new() { ["#u"] = NotificationsPartitionKey } : new() { ["#u"] = NotificationsPartitionKey, ["#tk"] = RecentIndexSortKey },
                ExpressionAttributeValues = values,
                ScanIndexForward = false,
                ConsistentRead = true,
                Limit = limit,
            },
            cancellationToken,
            limit).ConfigureAwait(false);
        return items.Take(limit).Select(ToNotification).ToList();
    }

    public async Task<int> CountUnreadAsync(string userId, CancellationToken cancellationToken)
    {
        var request = new QueryRequest
        {
            TableName = _db.Tables.Notifications,
            IndexName = UnreadIndex,
            KeyConditionExpression = "#u = :u",
            ExpressionAttributeNames = new() { ["#u"] = NotificationsPartitionKey },
            ExpressionAttributeValues = new() { [":u"] = Ddb.S(userId) },
            Select = Select.COUNT,
            ConsistentRead = true,
            ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
        };
        var count = 0;
        do
        {
            var response = await _db.Client.QueryAsync(request, cancellationToken).ConfigureAwait(false);
            _db.Capacity.Record(nameof(CountUnreadAsync), response.ConsumedCapacity);
            count += response.Count ?? 0;
            request.ExclusiveStartKey = response.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (request.ExclusiveStartKey is not null);

        return count;
    }

    public async Task MarkReadAsync(string userId, IReadOnlyCollection<string>? ids, CancellationToken cancellationToken)
    {
        IEnumerable<string> targets;
        if (ids is null)
        {
            var unread = await _db.QueryAllAsync(
                nameof(MarkReadAsync),
                new QueryRequest
                {
                    TableName = _db.Tables.Notifications,
                    IndexName = UnreadIndex,
                    KeyConditionExpression = "#u = :u",
                    ExpressionAttributeNames = new() { ["#u"] = NotificationsPartitionKey },
                    ExpressionAttributeValues = new() { [":u"] = Ddb.S(userId) },
                    ConsistentRead = true,
                },
                cancellationToken).ConfigureAwait(false);
            targets = unread.Select(i => i.RequireS(NotificationsSortKey));
        }
        else
        {
            targets = ids;
        }

        await Parallel.ForEachAsync(
            targets.Distinct(StringComparer.Ordinal),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (id, ct) =>
            {
                try
                {
                    // The key holds the user id, so a user only ever marks their own.
                    var response = await _db.Client.UpdateItemAsync(
                        new UpdateItemRequest
                        {
                            TableName = _db.Tables.Notifications,
                            Key = Ddb.Key(NotificationsPartitionKey, userId, NotificationsSortKey, id),
                            UpdateExpression = "SET #rd = :true REMOVE #ur",
                            ConditionExpression = "attribute_exists(#u)",
                            ExpressionAttributeNames = new() { ["#rd"] = ReadAttribute, ["#ur"] = UnreadIndexSortKey, ["#u"] = NotificationsPartitionKey },
                            ExpressionAttributeValues = new() { [":true"] = Ddb.Bool(true) },
                            ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                        },
                        ct).ConfigureAwait(false);
                    _db.Capacity.Record(nameof(MarkReadAsync), response.ConsumedCapacity);
                }
                catch (ConditionalCheckFailedException)
                {
                    // Not this user's, or gone.
                }
            }).ConfigureAwait(false);
    }

    private static string RecentKey(DateTimeOffset time, string id) =>
        Ddb.Ms(time).ToString("D15", CultureInfo.InvariantCulture) + "#" + id;

    private static Notification ToNotification(Dictionary<string, AttributeValue> item) => new()
    {
        NotificationId = item.RequireS(NotificationsSortKey),
        UserId = item.RequireS(NotificationsPartitionKey),
        Kind = item.RequireS(KindAttribute),
        Path = item.RequireS(PathAttribute),
        ActorEmail = item.RequireS(ActorEmail),
        ActorDeviceId = item.RequireS(ActorDevice),
        Time = Ddb.Time(item.RequireN(TimeAttribute)),
        Read = item.GetBool(ReadAttribute),
    };
}
