using DropSync.Core.Model;
using static DropSync.Aws.DynamoDb.DynamoDbTables;
using static DropSync.Aws.DynamoDb.EntryCodec;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// Many entries or revisions by key in BatchGetItem requests of 100 keys (the API's limit), unprocessed keys retried
/// with backoff, strongly consistent (<see cref="Ddb.BatchGetAsync"/>): a move or copy of a folder of n files reads its
/// targets and revisions in ⌈n/100⌉ requests each instead of n GetItems. Consistent because the callers
/// (FileService's move and copy) decide on conflicts and copy block lists from what they read.
/// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
/// </summary>
public sealed partial class DynamoDbFileMetadataStore
{
    public Task<IReadOnlyDictionary<string, FileEntry>> GetEntriesAsync(string namespaceId, IReadOnlyCollection<string> pathKeys, CancellationToken cancellationToken) =>
        ReadEntriesAsync(nameof(GetEntriesAsync), namespaceId, pathKeys, cancellationToken);

    /// <summary>The entries at <paramref name="pathKeys"/> by BatchGetItem, metered as <paramref name="operation"/>.</summary>
    private async Task<IReadOnlyDictionary<string, FileEntry>> ReadEntriesAsync(
        string operation, string namespaceId, IReadOnlyCollection<string> pathKeys, CancellationToken cancellationToken, ShardLayout? layout = null)
    {
        ArgumentNullException.ThrowIfNull(pathKeys);
        var items = await ReadEntryItemsAsync(operation, namespaceId, pathKeys, layout, cancellationToken).ConfigureAwait(false);
        return items.Values.Select(ToEntry).ToDictionary(e => e.PathKey, StringComparer.Ordinal);
    }

    public async Task<IReadOnlyDictionary<string, FileRevision>> GetRevisionsAsync(string namespaceId, IReadOnlyCollection<string> revs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revs);
        var keys = revs.Distinct(StringComparer.Ordinal)
            .Select(rev => Ddb.Key(RevisionsPartitionKey, namespaceId, RevisionsSortKey, RevisionKey(rev)))
            .ToList();
        var revisions = new Dictionary<string, FileRevision>(StringComparer.Ordinal);
        if (keys.Count == 0)
        {
            return revisions;
        }

        var items = await _db.BatchGetAsync(nameof(GetRevisionsAsync), _db.Tables.Revisions, keys, cancellationToken).ConfigureAwait(false);
        foreach (var item in items)
        {
            // Large revisions keep their block list in chunk items, read per revision (rare: files of many blocks).
            var rev = item.RequireS(RevisionsSortKey)[RevisionKey("").Length..];
            revisions[rev] = await ToRevisionAsync(namespaceId, rev, item, cancellationToken).ConfigureAwait(false);
        }

        return revisions;
    }
}
