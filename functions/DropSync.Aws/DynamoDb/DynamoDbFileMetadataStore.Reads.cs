using System.Globalization;
using Amazon.DynamoDBv2.Model;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using static DropSync.Aws.DynamoDb.DynamoDbTables;
using static DropSync.Aws.DynamoDb.EntryCodec;

namespace DropSync.Aws.DynamoDb;

/// <summary>Reads of entries and revisions; multi-item listings are made stable against concurrent batches.</summary>
public sealed partial class DynamoDbFileMetadataStore
{
    public async Task<FileEntry?> GetEntryAsync(string namespaceId, string pathKey, CancellationToken cancellationToken)
    {
        var items = await ReadEntryItemsAsync(nameof(GetEntryAsync), namespaceId, [pathKey], null, cancellationToken).ConfigureAwait(false);
        return items.TryGetValue(pathKey, out var item) ? ToEntry(item) : null;
    }

    public Task<IReadOnlyList<FileEntry>> ListAsync(string namespaceId, string folderKey, bool recursive, CancellationToken cancellationToken) =>
        StableReadAsync(
            namespaceId,
            async layout => (IReadOnlyList<FileEntry>)await QueryPartitionsAsync(namespaceId, layout, partition => ListRequest(partition, folderKey, recursive), nameof(ListAsync), int.MaxValue, cancellationToken).ConfigureAwait(false),
            cancellationToken);

    private QueryRequest ListRequest(string partition, string folderKey, bool recursive)
    {
        var names = new Dictionary<string, string> { ["#pk"] = EntriesPartitionKey };
        var values = new Dictionary<string, AttributeValue> { [":ns"] = Ddb.S(partition) };
        QueryRequest request;
        if (recursive)
        {
            names["#sk"] = EntriesSortKey;
            names["#del"] = Deleted;
            values[":prefix"] = Ddb.S(folderKey + "/");
            values[":false"] = Ddb.Bool(false);
            request = new QueryRequest
            {
                TableName = _db.Tables.Entries,
                KeyConditionExpression = "#pk = :ns AND begins_with(#sk, :prefix)",
                FilterExpression = "#del = :false",
            };
        }
        else
        {
            names["#lc"] = ChildrenIndexSortKey;
            values[":prefix"] = Ddb.S((Depth(folderKey) + 1).ToString("D4", CultureInfo.InvariantCulture) + folderKey + "/");
            request = new QueryRequest
            {
                TableName = _db.Tables.Entries,
                IndexName = ChildrenIndex,
                KeyConditionExpression = "#pk = :ns AND begins_with(#lc, :prefix)",
            };
        }

        request.ExpressionAttributeNames = names;
        request.ExpressionAttributeValues = values;
        request.ConsistentRead = true;
        return request;
    }

    public async Task<IReadOnlyList<FileEntry>> ListDeletedAsync(string namespaceId, string folderKey, int limit, CancellationToken cancellationToken)
    {
        var layout = ShardLayoutCache.Fresh(_db.Tables.Entries, namespaceId) ?? await LayoutAsync(namespaceId, cancellationToken).ConfigureAwait(false);
        var items = await QueryPartitionsAsync(
            namespaceId,
            layout,
            partition => new QueryRequest
            {
                TableName = _db.Tables.Entries,
                IndexName = DeletedIndex,
                KeyConditionExpression = "#pk = :ns AND begins_with(#dp, :prefix)",
                ExpressionAttributeNames = new() { ["#pk"] = EntriesPartitionKey, ["#dp"] = DeletedIndexSortKey },
                ExpressionAttributeValues = new() { [":ns"] = Ddb.S(partition), [":prefix"] = Ddb.S(folderKey + "/") },
                ConsistentRead = true,
            },
            nameof(ListDeletedAsync),
            int.MaxValue,
            cancellationToken).ConfigureAwait(false);
        return items
            .Where(e => e.IsDeleted)
            .OrderByDescending(e => e.ServerModified)
            .ThenBy(e => e.PathKey, StringComparer.Ordinal)
            .Take(limit)
            .ToList();
    }

    public async Task<IReadOnlyList<FileRevision>> ListRevisionsAsync(string namespaceId, string pathKey, int limit, CancellationToken cancellationToken)
    {
        if (limit <= 0)
        {
            return [];
        }

        // The entry first, then the pointers: a revision replaced in between has its pointer by then (CommitReads.cs).
        var entry = await GetEntryAsync(namespaceId, pathKey, cancellationToken).ConfigureAwait(false);
        var stamps = await RevisionStampsAsync(_db, entry, namespaceId, pathKey, limit, cancellationToken).ConfigureAwait(false);
        var revisions = await Task.WhenAll(stamps.Select(s => GetRevisionAsync(namespaceId, s.Rev, cancellationToken))).ConfigureAwait(false);
        return revisions.OfType<FileRevision>().ToList();
    }

    public async Task<FileRevision?> GetRevisionAsync(string namespaceId, string rev, CancellationToken cancellationToken)
    {
        var item = await _db.GetItemAsync(
            nameof(GetRevisionAsync), _db.Tables.Revisions, Ddb.Key(RevisionsPartitionKey, namespaceId, RevisionsSortKey, RevisionKey(rev)), cancellationToken).ConfigureAwait(false);
        return item is null ? null : await ToRevisionAsync(namespaceId, rev, item, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A revision from its item, reading its block-list chunks when it has any.</summary>
    private async Task<FileRevision> ToRevisionAsync(string namespaceId, string rev, Dictionary<string, AttributeValue> item, CancellationToken cancellationToken)
    {
        var count = (int)item.RequireN(BlockCount);
        var chunks = (int)(item.GetN(ChunkCount) ?? 0);
        var blocks = new List<BlockRef>(count);
        if (chunks == 0)
        {
            Ddb.DecodeBlocks(item.GetB(BlockBytes) ?? [], blocks);
        }
        else
        {
            var keys = Enumerable.Range(0, chunks).Select(i => Ddb.Key(RevisionsPartitionKey, namespaceId, RevisionsSortKey, RevisionChunkKey(rev, i))).ToList();
            var found = (await _db.BatchGetAsync(nameof(GetRevisionAsync), _db.Tables.Revisions, keys, cancellationToken).ConfigureAwait(false))
                .ToDictionary(i => i.RequireS(RevisionsSortKey), StringComparer.Ordinal);
            for (var i = 0; i < chunks; i++)
            {
                Ddb.DecodeBlocks(
                    found.TryGetValue(RevisionChunkKey(rev, i), out var chunk)
                        ? chunk.GetB(BlockBytes) ?? []
                        : throw new InvalidDataException($"Revision {rev} lacks block-list chunk {i}."),
                    blocks);
            }
        }

        if (blocks.Count != count)
        {
            throw new InvalidDataException($"Revision {rev} has {blocks.Count} blocks stored but records {count}.");
        }

        return new FileRevision
        {
            NamespaceId = namespaceId,
            Rev = rev,
            PathDisplay = item.RequireS(Display),
            Size = item.RequireN(Size),
            ContentHash = item.RequireS(EntryCodec.ContentHash),
            ServerModified = Ddb.Time(item.RequireN(Modified)),
            DeviceId = item.RequireS(DeviceAttribute),
            Blocks = blocks,
        };
    }

    /// <summary>
    /// Runs a multi-item read so that it never shows part of a batch: between two transactional reads of the heads' versions
    /// (which every batch on the namespace bumps: the namespace head, or for a sharded namespace every shard head, read in
    /// one TransactGetItems); if a version moved, the read is repeated. The read is given the layout to read under.
    /// </summary>
    private async Task<T> StableReadAsync<T>(string namespaceId, Func<ShardLayout, Task<T>> read, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (layout, before) = await ReadVersionsAsync(namespaceId, cancellationToken).ConfigureAwait(false);
            var result = await read(layout).ConfigureAwait(false);
            var (_, after) = await ReadVersionsAsync(namespaceId, cancellationToken).ConfigureAwait(false);
            if (before == after)
            {
                return result;
            }

            if (attempt >= MaxAttempts)
            {
                throw new DropSyncException(ErrorKind.Unavailable, ErrorCodes.MetadataBusy, "This folder is changing too fast to list; try again.");
            }

            await Backoff.DelayAsync(attempt + 1, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The layout and the versions of the heads a listing depends on, joined in one string to compare.</summary>
    private async Task<(ShardLayout Layout, string Versions)> ReadVersionsAsync(string namespaceId, CancellationToken cancellationToken)
    {
        var (_, version, _, _, root) = await ReadHeadTransactionallyAsync(namespaceId, cancellationToken).ConfigureAwait(false);
        var layout = Remember(namespaceId, ShardLayout.Of(root));
        if (layout.ReadCount == 1)
        {
            return (layout, version.ToString(CultureInfo.InvariantCulture));
        }

        var shardHeads = await ReadHeadsTransactionallyAsync(ShardLayout.Partitions(namespaceId, layout.ReadCount), cancellationToken).ConfigureAwait(false);
        var versions = string.Join(",", shardHeads.Select(h => (h?.GetN(VersionAttribute) ?? 0).ToString(CultureInfo.InvariantCulture)));
        return (layout, (root?.GetS(ShardLayout.PhaseAttribute) ?? "") + version.ToString(CultureInfo.InvariantCulture) + ":" + versions);
    }

    /// <summary>Ordinal by UTF-8 bytes, the order of DynamoDB's string sort keys (merging the shards' pages keeps it).</summary>
    private static int CompareKeys(string a, string b) =>
        System.Text.Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(System.Text.Encoding.UTF8.GetBytes(b));

    /// <summary>Runs one query per partition of the layout (in parallel) and merges the entries by path key.</summary>
    private async Task<List<FileEntry>> QueryPartitionsAsync(
        string namespaceId, ShardLayout layout, Func<string, QueryRequest> request, string operation, int limit, CancellationToken cancellationToken)
    {
        var pages = await Task.WhenAll(ShardLayout.Partitions(namespaceId, layout.ReadCount).Select(partition =>
            _db.QueryAllAsync(operation, request(partition), cancellationToken, limit))).ConfigureAwait(false);
        var entries = pages.SelectMany(p => p.Take(limit)).Select(ToEntry).ToList();
        if (pages.Length > 1)
        {
            entries.Sort((x, y) => CompareKeys(x.PathKey, y.PathKey));
        }

        return entries.Take(limit).ToList();
    }
}
