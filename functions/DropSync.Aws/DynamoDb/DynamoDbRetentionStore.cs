using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using DropSync.Core.Content;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using DropSync.Core.Retention;
using static DropSync.Aws.DynamoDb.DynamoDbTables;
using static DropSync.Aws.DynamoDb.EntryCodec;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// Retention in DynamoDB (<see cref="IRetentionStore"/>). Every entry item carries its retention due time ("rd", the
/// write's time) and a shard ("rs"), keys of the sparse, keys-only GSI <see cref="RetentionIndex"/>; the verdict of a
/// check moves "rd" to when something kept next expires, or removes both, so a settled file leaves the index.
/// How it scales: a pass runs one Query per shard (<see cref="DynamoDbTableNames.GcShards"/>) for items with rd &lt;= now, at most a page
/// each, then per due file one consistent GetItem and one Query of its by-path revision pointers: work and read capacity
/// are proportional to the files written or expiring since the last pass, never to the table. Writes spread over the
/// shards, so the index takes at most the write rate of the Entries table (an entry write is one GSI write, or none when
/// the path is already due from an earlier write not yet checked). Forgetting a
/// revision is a transaction (conditioned on the entry's rev, so a racing write wins) of its item and pointer, then its
/// block-list chunks and its block references (counted per block in the block index: over-counted only if a crash
/// falls between, which keeps a block, never loses one).
/// </summary>
public sealed class DynamoDbRetentionStore(DynamoDbContext db) : IRetentionStore
{
    /// <summary>Revisions forgotten per transaction: each is two items, with the entry's condition or update beside them.</summary>
    private const int RevisionsPerTransaction = 45;

    private readonly DynamoDbFileMetadataStore _files = new(db);
    private readonly DynamoDbBlockIndex _blocks = new(db);

    public async Task<IReadOnlyList<FileHistory>> ListDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        var keys = new List<(long Due, string Ns, string PathKey)>();
        foreach (var shard in Ddb.Shards(db.Tables.GcShards))
        {
            var response = await db.Client.QueryAsync(
                new QueryRequest
                {
                    TableName = db.Tables.Entries,
                    IndexName = RetentionIndex,
                    KeyConditionExpression = "#rs = :shard AND #rd <= :now",
                    ExpressionAttributeNames = new() { ["#rs"] = RetentionIndexPartitionKey, ["#rd"] = RetentionIndexSortKey },
                    ExpressionAttributeValues = new() { [":shard"] = Ddb.S(shard), [":now"] = Ddb.N(Ddb.Ms(now)) },
                    Limit = limit,
                    ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                },
                cancellationToken).ConfigureAwait(false);
            db.Capacity.Record(nameof(ListDueAsync), response.ConsumedCapacity);
            keys.AddRange((response.Items ?? []).Select(i => (i.RequireN(RetentionIndexSortKey), i.RequireS(EntriesPartitionKey), i.RequireS(EntriesSortKey))));
        }

        var due = new List<FileHistory>();
        foreach (var (_, ns, pathKey) in keys.OrderBy(k => k.Due).Take(limit))
        {
            // The index is eventually consistent: the entry itself says whether it is still due.
            var item = await db.GetItemAsync(nameof(ListDueAsync), db.Tables.Entries, EntryKey(ns, pathKey), cancellationToken).ConfigureAwait(false);
            if (item?.GetN(RetentionIndexSortKey) is { } stillDue && stillDue <= Ddb.Ms(now))
            {
                var entry = ToEntry(item);
                due.Add(new FileHistory(entry, await StampsAsync(entry, int.MaxValue, cancellationToken).ConfigureAwait(false)));
            }
        }

        return due;
    }

    public async Task<FileHistory?> GetHistoryAsync(string namespaceId, string pathKey, int limit, CancellationToken cancellationToken)
    {
        // Through the metadata store: a sharded namespace's entry is in its shard's partition.
        var entry = await _files.GetEntryAsync(namespaceId, pathKey, cancellationToken).ConfigureAwait(false);
        if (entry is null)
        {
            return null;
        }

        return new FileHistory(entry, await StampsAsync(entry, limit, cancellationToken).ConfigureAwait(false));
    }

    public async Task<bool> ForgetAsync(FileHistory history, RetentionVerdict verdict, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(verdict);
        var entry = history.Entry;
        var current = entry.IsLiveFile ? entry.Rev : null;
        var stamps = history.Revisions.ToDictionary(r => r.Rev, StringComparer.Ordinal);
        var expired = verdict.ExpiredRevs.Where(r => r != current && stamps.ContainsKey(r)).ToList();
        if (await _files.EntryPartitionAsync(entry.NamespaceId, entry.PathKey, cancellationToken).ConfigureAwait(false) is not { } partition)
        {
            // Being resharded: the next pass decides.
            return false;
        }

        var chunks = expired.Chunk(RevisionsPerTransaction).ToList();
        if (chunks.Count == 0)
        {
            chunks.Add([]);
        }

        for (var c = 0; c < chunks.Count; c++)
        {
            var revisions = new List<FileRevision>();
            var items = new List<TransactWriteItem> { EntryItem(entry, partition, verdict, last: c == chunks.Count - 1) };
            foreach (var rev in chunks[c])
            {
                if (await _files.GetRevisionAsync(entry.NamespaceId, rev, cancellationToken).ConfigureAwait(false) is { } revision)
                {
                    revisions.Add(revision);
                }

                items.Add(Delete(db.Tables.Revisions, Ddb.Key(RevisionsPartitionKey, entry.NamespaceId, RevisionsSortKey, RevisionKey(rev))));
                items.Add(Delete(db.Tables.Revisions, Ddb.Key(RevisionsPartitionKey, entry.NamespaceId, RevisionsSortKey, PointerKey(entry.PathKey, stamps[rev]))));
            }

            try
            {
                var response = await db.Client.TransactWriteItemsAsync(
                    new TransactWriteItemsRequest { TransactItems = items, ReturnConsumedCapacity = ReturnConsumedCapacity.INDEXES }, cancellationToken).ConfigureAwait(false);
                db.Capacity.Record(nameof(ForgetAsync), response.ConsumedCapacity);
            }
            catch (TransactionCanceledException e) when (e.CancellationReasons?.Exists(r => r.Code == "ConditionalCheckFailed") == true)
            {
                // A write since the read: it made the path due again and the next pass decides afresh.
                return false;
            }

            await ReleaseAsync(revisions, now, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    public async Task<SpaceUsage> MeasureAsync(string namespaceId, CancellationToken cancellationToken)
    {
        // One pass over the namespace's entries and revision items (projected to a few attributes): the size of one
        // user's tree, paid when they ask, not a table scan.
        var entries = new List<Dictionary<string, AttributeValue>>();
        foreach (var partition in await _files.EntryPartitionsAsync(namespaceId, cancellationToken).ConfigureAwait(false))
        {
            entries.AddRange(await db.QueryAllAsync(
                nameof(MeasureAsync),
                new QueryRequest
                {
                    TableName = db.Tables.Entries,
                    KeyConditionExpression = "#pk = :ns",
                    ProjectionExpression = "#r, #sz, #t, #del",
                    ExpressionAttributeNames = new() { ["#pk"] = EntriesPartitionKey, ["#r"] = Rev, ["#sz"] = Size, ["#t"] = Kind, ["#del"] = Deleted },
                    ExpressionAttributeValues = new() { [":ns"] = Ddb.S(partition) },
                },
                cancellationToken).ConfigureAwait(false));
        }

        var live = entries.Where(e => e.GetS(Kind) == "f" && !e.GetBool(Deleted) && e.GetS(Rev) is not null).ToList();
        var currentRevs = live.Select(e => e.RequireS(Rev)).ToHashSet(StringComparer.Ordinal);
        var revisions = await db.QueryAllAsync(
            nameof(MeasureAsync),
            new QueryRequest
            {
                TableName = db.Tables.Revisions,
                KeyConditionExpression = "#pk = :ns AND begins_with(#sk, :r)",
                ProjectionExpression = "#sk, #sz",
                ExpressionAttributeNames = new() { ["#pk"] = RevisionsPartitionKey, ["#sk"] = RevisionsSortKey, ["#sz"] = Size },
                ExpressionAttributeValues = new() { [":ns"] = Ddb.S(namespaceId), [":r"] = Ddb.S(RevisionKey("")) },
            },
            cancellationToken).ConfigureAwait(false);
        var history = revisions
            .Where(r => r.GetN(Size) is not null && !currentRevs.Contains(r.RequireS(RevisionsSortKey)[RevisionKey("").Length..]))
            .Sum(r => r.GetN(Size) ?? 0);
        return new SpaceUsage(live.Sum(e => e.GetN(Size) ?? 0), history);
    }

    /// <summary>The entry's part of a forgetting transaction: its rev must be unchanged; the last part also settles it.</summary>
    private TransactWriteItem EntryItem(FileEntry entry, string partition, RetentionVerdict verdict, bool last)
    {
        var key = EntryKey(partition, entry.PathKey);
        var names = new Dictionary<string, string> { ["#r"] = Rev };
        var values = new Dictionary<string, AttributeValue> { [":rev"] = Ddb.S(entry.Rev) };
        const string unchanged = "#r = :rev";
        if (!last)
        {
            return new TransactWriteItem { ConditionCheck = new ConditionCheck { TableName = db.Tables.Entries, Key = key, ConditionExpression = unchanged, ExpressionAttributeNames = names, ExpressionAttributeValues = values } };
        }

        if (verdict.ForgetEntry && entry.IsDeleted)
        {
            return new TransactWriteItem { Delete = new Delete { TableName = db.Tables.Entries, Key = key, ConditionExpression = unchanged, ExpressionAttributeNames = names, ExpressionAttributeValues = values } };
        }

        // Checked: the next write is a first unchecked write again, so "rw" goes (EntryCodec.ToUpdate).
        names["#rd"] = RetentionIndexSortKey;
        names["#rw"] = FirstUncheckedWrite;
        string update;
        if (verdict.NextDue is { } next)
        {
            values[":due"] = Ddb.N(Ddb.Ms(next));
            update = "SET #rd = :due REMOVE #rw";
        }
        else
        {
            names["#rs"] = RetentionIndexPartitionKey;
            update = "REMOVE #rs, #rd, #rw";
        }

        return new TransactWriteItem
        {
            Update = new Update { TableName = db.Tables.Entries, Key = key, UpdateExpression = update, ConditionExpression = unchanged, ExpressionAttributeNames = names, ExpressionAttributeValues = values },
        };
    }

    /// <summary>After the revisions are gone: their block-list chunks, and one reference of each of their blocks.</summary>
    private async Task ReleaseAsync(List<FileRevision> revisions, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var chunks = revisions
            .Where(r => r.Blocks.Count > DynamoDbFileMetadataStore.InlineBlocks)
            .SelectMany(r => Enumerable.Range(0, (r.Blocks.Count + DynamoDbFileMetadataStore.BlocksPerChunk - 1) / DynamoDbFileMetadataStore.BlocksPerChunk)
                .Select(i => Ddb.DeleteRequest(Ddb.Key(RevisionsPartitionKey, r.NamespaceId, RevisionsSortKey, RevisionChunkKey(r.Rev, i)))))
            .ToList();
        if (chunks.Count > 0)
        {
            await db.BatchWriteAsync(nameof(ForgetAsync), db.Tables.Revisions, chunks, cancellationToken).ConfigureAwait(false);
        }

        await _blocks.ReleaseAsync(revisions.Select(r => r.Blocks), now, cancellationToken).ConfigureAwait(false);
    }

    private async Task<List<RevisionStamp>> StampsAsync(FileEntry entry, int limit, CancellationToken cancellationToken) =>
        (await DynamoDbFileMetadataStore.RevisionStampsAsync(db, entry, entry.NamespaceId, entry.PathKey, limit, cancellationToken).ConfigureAwait(false))
            .Select(s => new RevisionStamp(s.Rev, s.ServerModified))
            .ToList();

    private static string PointerKey(string pathKey, RevisionStamp stamp) =>
        PathPointerPrefix(pathKey) + Ddb.Ms(stamp.ServerModified).ToString("D15", CultureInfo.InvariantCulture) + "#" + stamp.Rev;

    private static TransactWriteItem Delete(string table, Dictionary<string, AttributeValue> key) => new() { Delete = new Delete { TableName = table, Key = key } };
}
