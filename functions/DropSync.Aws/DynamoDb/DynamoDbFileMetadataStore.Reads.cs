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
        var item = await _db.GetItemAsync(nameof(GetEntryAsync), _db.Tables.Entries, EntryKey(namespaceId, pathKey), cancellationToken).ConfigureAwait(false);
        return item is null ? null : ToEntry(item);
    }

    public Task<IReadOnlyList<FileEntry>> ListAsync(string namespaceId, string folderKey, bool recursive, CancellationToken cancellationToken) =>
        StableReadAsync(
            namespaceId,
            async () =>
            {
                var names = new Dictionary<string, string> { ["#pk"] = EntriesPartitionKey };
                var values = new Dictionary<string, AttributeValue> { [":ns"] = Ddb.S(namespaceId) };
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
                var items = await _db.QueryAllAsync(nameof(ListAsync), request, cancellationToken).ConfigureAwait(false);
                return (IReadOnlyList<FileEntry>)items.Select(ToEntry).ToList();
            },
            cancellationToken);

    public async Task<IReadOnlyList<FileEntry>> ListDeletedAsync(string namespaceId, string folderKey, int limit, CancellationToken cancellationToken)
    {
        var items = await _db.QueryAllAsync(
            nameof(ListDeletedAsync),
            new QueryRequest
            {
                TableName = _db.Tables.Entries,
                IndexName = DeletedIndex,
                KeyConditionExpression = "#pk = :ns AND begins_with(#dp, :prefix)",
                ExpressionAttributeNames = new() { ["#pk"] = EntriesPartitionKey, ["#dp"] = DeletedIndexSortKey },
                ExpressionAttributeValues = new() { [":ns"] = Ddb.S(namespaceId), [":prefix"] = Ddb.S(folderKey + "/") },
                ConsistentRead = true,
            },
            cancellationToken).ConfigureAwait(false);
        return items.Select(ToEntry)
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
            ContentHash = item.RequireS(ContentHash),
            ServerModified = Ddb.Time(item.RequireN(Modified)),
            DeviceId = item.RequireS(DeviceAttribute),
            Blocks = blocks,
        };
    }

    /// <summary>
    /// Runs a multi-item read so that it never shows part of a batch: between two transactional reads of the namespace
    /// head's version (which every batch on the namespace bumps); if the version moved, the read is repeated.
    /// </summary>
    private async Task<T> StableReadAsync<T>(string namespaceId, Func<Task<T>> read, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (_, before, _, _) = await ReadHeadTransactionallyAsync(namespaceId, cancellationToken).ConfigureAwait(false);
            var result = await read().ConfigureAwait(false);
            var (_, after, _, _) = await ReadHeadTransactionallyAsync(namespaceId, cancellationToken).ConfigureAwait(false);
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
}
