using Amazon.DynamoDBv2.Model;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using static DropSync.Aws.DynamoDb.DynamoDbTables;
using static DropSync.Aws.DynamoDb.EntryCodec;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// What a commit reads under the namespace version instead of writing (docs/architecture.md, "What a commit writes").
/// Every batch's transaction updates each touched namespace's <c>#head</c> on the condition that its version is the one
/// read first; every batch that writes an entry bumps that version (retention's own entry writes change neither a rev nor
/// whether a path is a live folder or absent). So entries read with a consistent GetItem after the head, in the same
/// attempt, are still as read when the transaction lands, or the head's condition fails and the attempt is retried with
/// fresh reads. That lets a commit:
/// <list type="bullet">
/// <item>check a parent folder by reading it (1 RRU) instead of a <c>ConditionCheck</c> item (2 WRU);</item>
/// <item>write the by-path pointer of the revision it replaces as a plain put before the transaction (1 WRU), instead of
/// its own pointer inside the transaction (2 WRU). The replaced revision is committed whatever happens next, so a pointer
/// written for a batch that then fails or crashes names a committed revision: never a phantom. A path's current revision
/// has no pointer until it is replaced; readers take it from the entry (read first, then the pointers, so a revision
/// replaced in between is in the pointers).</item>
/// </list>
/// </summary>
public sealed partial class DynamoDbFileMetadataStore
{
    /// <summary>
    /// Reads the entries a batch checks without writing, and those its puts replace when they expect a rev, after the
    /// heads, in batches. Returns the first write whose expectation fails against the table (then nothing is written), or the live files
    /// the batch replaces.
    /// </summary>
    private async Task<(int? FailedIndex, List<FileEntry> Replaced)> ReadUnderHeadsAsync(BatchPlan plan, Dictionary<string, ShardLayout> layouts, CancellationToken cancellationToken)
    {
        var slots = plan.Slots.Where(s => s.Put is null || s.TableExpectations.Exists(e => e.Expected is EntryExpectation.HasRev)).ToList();
        // BatchGetItem, 100 keys a request and strongly consistent like the GetItem it replaces (a folder move reads
        // every path it moves: 500 paths were 500 GetItems).
        var byNamespace = await Task.WhenAll(slots.GroupBy(s => s.NamespaceId, StringComparer.Ordinal).Select(async g =>
            (Namespace: g.Key, Entries: await ReadEntriesAsync(nameof(ApplyAsync), g.Key, g.Select(s => s.PathKey).ToList(), cancellationToken, layouts[g.Key]).ConfigureAwait(false)))).ConfigureAwait(false);
        var entries = byNamespace.ToDictionary(n => n.Namespace, n => n.Entries, StringComparer.Ordinal);
        var current = slots.Select(s => entries[s.NamespaceId].GetValueOrDefault(s.PathKey)).ToArray();
        var replaced = new List<FileEntry>();
        var failed = int.MaxValue;
        for (var i = 0; i < slots.Count; i++)
        {
            foreach (var (index, expected) in slots[i].TableExpectations)
            {
                if (!Holds(expected, current[i]))
                {
                    failed = Math.Min(failed, index);
                    break;
                }
            }

            if (slots[i].Put is not null && current[i] is { IsLiveFile: true } live && live.Rev != slots[i].Put!.Rev)
            {
                replaced.Add(live);
            }
        }

        // The answer is the first failing write of the batch, which may be a put this read did not cover.
        return failed == int.MaxValue
            ? (null, replaced)
            : (Math.Min(failed, await FirstTableFailureAsync(plan.Slots, failed, cancellationToken).ConfigureAwait(false)), []);
    }

    /// <summary>
    /// The by-path pointers of the live files this batch replaces, as plain idempotent puts (the same item every time: its
    /// key is the revision's path, time and rev, taken from the entry, which carries its revision's time).
    /// </summary>
    private async Task PutReplacedPointersAsync(List<FileEntry> replaced, CancellationToken cancellationToken)
    {
        await Task.WhenAll(replaced.Select(async entry =>
        {
            var response = await _db.Client.PutItemAsync(
                new PutItemRequest { TableName = _db.Tables.Revisions, Item = PointerItem(entry.NamespaceId, entry.PathKey, entry.ServerModified, entry.Rev), ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL },
                cancellationToken).ConfigureAwait(false);
            _db.Capacity.Record(nameof(ApplyAsync), response.ConsumedCapacity);
        })).ConfigureAwait(false);
    }

    /// <summary>
    /// Revisions whose pointer must land with the transaction: those that are not the rev a put of this batch leaves at their
    /// path (a revision superseded within the batch, or added without its entry). The usual revision, the new current one of
    /// its path, gets its pointer from the batch that replaces it.
    /// </summary>
    private static IEnumerable<FileRevision> PointersInTransaction(BatchPlan plan)
    {
        var final = plan.Slots.Where(s => s.Put is not null).Select(s => (s.NamespaceId, s.PathKey, s.Put!.Rev)).ToHashSet();
        return plan.Revisions.Select(r => r.Revision).Where(r => !final.Contains((r.NamespaceId, r.PathKey, r.Rev)));
    }

    internal static Dictionary<string, AttributeValue> PointerItem(string ns, string pathKey, DateTimeOffset serverModified, string rev) => new(StringComparer.Ordinal)
    {
        [RevisionsPartitionKey] = Ddb.S(ns),
        [RevisionsSortKey] = Ddb.S(PathPointerKey(pathKey, serverModified, rev)),
        [Rev] = Ddb.S(rev),
    };

    /// <summary>
    /// A path's revision stamps newest first, at most <paramref name="limit"/>: its current revision (from the entry, if a
    /// live file) merged with its pointers, in the pointers' order (time, then rev, descending).
    /// </summary>
    internal static async Task<List<(string Rev, DateTimeOffset ServerModified)>> RevisionStampsAsync(
        DynamoDbContext db, FileEntry? entry, string ns, string pathKey, int limit, CancellationToken cancellationToken)
    {
        var prefix = PathPointerPrefix(pathKey);
        var pointers = await db.QueryAllAsync(
            nameof(RevisionStampsAsync),
            new QueryRequest
            {
                TableName = db.Tables.Revisions,
                KeyConditionExpression = "#pk = :ns AND begins_with(#sk, :prefix)",
                ProjectionExpression = "#sk",
                ExpressionAttributeNames = new() { ["#pk"] = RevisionsPartitionKey, ["#sk"] = RevisionsSortKey },
                ExpressionAttributeValues = new() { [":ns"] = Ddb.S(ns), [":prefix"] = Ddb.S(prefix) },
                ScanIndexForward = false,
                ConsistentRead = true,
                Limit = limit == int.MaxValue ? null : limit + 1,
            },
            cancellationToken,
            limit == int.MaxValue ? int.MaxValue : limit + 1).ConfigureAwait(false);
        var keys = pointers.Select(p => p.RequireS(RevisionsSortKey)).ToList();
        if (entry is { IsLiveFile: true } live)
        {
            keys.Add(PathPointerKey(pathKey, live.ServerModified, live.Rev));
        }

        // A pointer's key is prefix + modified (ms, 15 digits) + "#" + rev.
        return keys.Distinct(StringComparer.Ordinal)
            .OrderByDescending(k => k, StringComparer.Ordinal)
            .Take(limit)
            .Select(k => (k[(prefix.Length + 16)..], Ddb.Time(long.Parse(k.AsSpan(prefix.Length, 15), System.Globalization.CultureInfo.InvariantCulture))))
            .ToList();
    }
}
