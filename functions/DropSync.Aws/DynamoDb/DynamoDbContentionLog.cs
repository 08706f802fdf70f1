using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// Which namespaces' commits are contended, counted without CloudWatch: each batch attempt the metadata store retries (a
/// head moved under it, another transaction was in the way, DynamoDB throttled it) adds one to a counter item per
/// namespace and hour in the Blocks table (which the HTTP and maintenance functions may both write), partition
/// <c>contention#sNN</c> (one of <see cref="Buckets"/> by the namespace, so no counter partition is hot), sort key
/// <c>{yyyyMMddHH}#{namespace}</c>. One <c>UpdateItem ADD</c> (1 WRU) per retry, nothing when commits do not collide.
/// The maintenance run reads the <see cref="Buckets"/> partitions (one Query each, a few items: only namespaces that had
/// retries) and raises the shard count of those over its threshold (<see cref="HotNamespaceRaiser"/>).
/// </summary>
public sealed class DynamoDbContentionLog(DynamoDbContext db)
{
    /// <summary>The counters' partitions: 16 keeps one namespace's retries in one item while spreading namespaces.</summary>
    public const int Buckets = 16;

    private const string PartitionPrefix = "contention#";
    private const string CountAttribute = "c";

    /// <summary>Counts one retried commit attempt in <paramref name="namespaceId"/> at <paramref name="now"/>.</summary>
    public async Task RecordAsync(string namespaceId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var response = await db.Client.UpdateItemAsync(
            new UpdateItemRequest
            {
                TableName = db.Tables.Blocks,
                Key = Ddb.Key(BlocksPartitionKey, PartitionOf(namespaceId), BlocksSortKey, HourOf(now) + "#" + namespaceId),
                UpdateExpression = "ADD #c :one",
                ExpressionAttributeNames = new() { ["#c"] = CountAttribute },
                ExpressionAttributeValues = new() { [":one"] = Ddb.N(1) },
                ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
            },
            cancellationToken).ConfigureAwait(false);
        db.Capacity.Record(nameof(RecordAsync), response.ConsumedCapacity);
    }

    /// <summary>
    /// Retries per namespace counted in the hour before <paramref name="now"/>'s and in its own (so an hourly run sees a
    /// full hour whenever it starts), most contended first; counter items of older hours are deleted as they are met.
    /// </summary>
    public async Task<IReadOnlyList<(string NamespaceId, long Retries)>> ReadAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var since = HourOf(now - TimeSpan.FromHours(1));
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var stale = new List<Dictionary<string, AttributeValue>>();
        foreach (var bucket in Ddb.Shards(Buckets))
        {
            var items = await db.QueryAllAsync(
                nameof(ReadAsync),
                new QueryRequest
                {
                    TableName = db.Tables.Blocks,
                    KeyConditionExpression = "#h = :p",
                    ExpressionAttributeNames = new() { ["#h"] = BlocksPartitionKey },
                    ExpressionAttributeValues = new() { [":p"] = Ddb.S(PartitionPrefix + bucket) },
                },
                cancellationToken).ConfigureAwait(false);
            foreach (var item in items)
            {
                var key = item.RequireS(BlocksSortKey);
                var hash = key.IndexOf('#', StringComparison.Ordinal);
                if (string.CompareOrdinal(key[..hash], since) < 0)
                {
                    stale.Add(KeyOf(item));
                    continue;
                }

                var ns = key[(hash + 1)..];
                counts[ns] = counts.GetValueOrDefault(ns) + (item.GetN(CountAttribute) ?? 0);
            }
        }

        await DeleteAsync(stale, cancellationToken).ConfigureAwait(false);
        return counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Select(c => (c.Key, c.Value)).ToList();
    }

    /// <summary>Forgets a namespace's counters (after its shard count was raised: its old contention is answered).</summary>
    public async Task ForgetAsync(string namespaceId, CancellationToken cancellationToken)
    {
        var items = await db.QueryAllAsync(
            nameof(ForgetAsync),
            new QueryRequest
            {
                TableName = db.Tables.Blocks,
                // A filter may not name a key attribute, and the partition holds a few items (namespaces that had retries).
                KeyConditionExpression = "#h = :p",
                ExpressionAttributeNames = new() { ["#h"] = BlocksPartitionKey },
                ExpressionAttributeValues = new() { [":p"] = Ddb.S(PartitionOf(namespaceId)) },
            },
            cancellationToken).ConfigureAwait(false);
        await DeleteAsync(items.Where(i => i.RequireS(BlocksSortKey).EndsWith("#" + namespaceId, StringComparison.Ordinal)).Select(KeyOf).ToList(), cancellationToken).ConfigureAwait(false);
    }

    private async Task DeleteAsync(List<Dictionary<string, AttributeValue>> keys, CancellationToken cancellationToken)
    {
        if (keys.Count > 0)
        {
            await db.BatchWriteAsync(nameof(DynamoDbContentionLog), db.Tables.Blocks, keys.Select(Ddb.DeleteRequest).ToList(), cancellationToken).ConfigureAwait(false);
        }
    }

    private static Dictionary<string, AttributeValue> KeyOf(Dictionary<string, AttributeValue> item) =>
        new(StringComparer.Ordinal) { [BlocksPartitionKey] = item[BlocksPartitionKey], [BlocksSortKey] = item[BlocksSortKey] };

    /// <summary>The counter partition of a namespace; no block hash (hex) can take it.</summary>
    private static string PartitionOf(string namespaceId) => PartitionPrefix + Ddb.Shard(namespaceId, Buckets);

    private static string HourOf(DateTimeOffset time) => time.UtcDateTime.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);
}
