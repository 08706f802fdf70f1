using DropSync.Core.Model;

namespace DropSync.Core.Ports;

/// <summary>
/// Entries, revisions and the change journal of every namespace.
/// Contract:
/// <list type="bullet">
/// <item><see cref="ApplyAsync"/> is all-or-nothing: either every write applies and the journal entries get consecutive,
/// strictly increasing sequence numbers in the namespace, or nothing changes and the index of the first write whose
/// expectation failed is returned. Concurrent batches on one path: exactly one whose expectation held wins.</item>
/// <item>Reads never see part of a batch.</item>
/// <item>Path keys are compared exactly (the core has already normalised them).</item>
/// </list>
/// </summary>
public interface IFileMetadataStore
{
    Task<BatchResult> ApplyAsync(IReadOnlyList<MetadataWrite> writes, CancellationToken cancellationToken);

    /// <summary>
    /// Applies independent batches in order, each exactly as <see cref="ApplyAsync"/> would (all-or-nothing on its own,
    /// a later batch sees what earlier ones wrote, a failed expectation fails only its own batch), and answers one result
    /// per batch. A store may make them durable together: the embedded store commits them in one transaction. The
    /// default applies them one by one.
    /// </summary>
    async Task<IReadOnlyList<BatchResult>> ApplyEachAsync(IReadOnlyList<IReadOnlyList<MetadataWrite>> batches, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var results = new List<BatchResult>(batches.Count);
        foreach (var writes in batches)
        {
            results.Add(await ApplyAsync(writes, cancellationToken));
        }

        return results;
    }

    /// <summary>
    /// The most writes one atomic batch may hold (DynamoDB transactions are bounded; SQLite's are not). A change larger
    /// than this — deleting, moving or copying a big folder — is applied by the core as several batches, each atomic
    /// and each with the journal entries of what it changes.
    /// </summary>
    int MaxWritesPerBatch => int.MaxValue;

    /// <summary>The entry at a path, including a tombstone; null if the path never existed.</summary>
    Task<FileEntry?> GetEntryAsync(string namespaceId, string pathKey, CancellationToken cancellationToken);

    /// <summary>
    /// The entries at many paths, tombstones included, keyed by path key; a path that never existed is left out. A store
    /// may read them in a few queries from one snapshot (the embedded store does); the default reads them one by one.
    /// </summary>
    async Task<IReadOnlyDictionary<string, FileEntry>> GetEntriesAsync(string namespaceId, IReadOnlyCollection<string> pathKeys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pathKeys);
        var entries = new Dictionary<string, FileEntry>(pathKeys.Count, StringComparer.Ordinal);
        foreach (var key in pathKeys)
        {
            if (!entries.ContainsKey(key) && await GetEntryAsync(namespaceId, key, cancellationToken) is { } entry)
            {
                entries[key] = entry;
            }
        }

        return entries;
    }

    /// <summary>Live entries directly in a folder (or everything below it when <paramref name="recursive"/>), ordered by path key.
    /// <paramref name="folderKey"/> is "" for the root.</summary>
    Task<IReadOnlyList<FileEntry>> ListAsync(string namespaceId, string folderKey, bool recursive, CancellationToken cancellationToken);

    /// <summary>
    /// One page of <see cref="ListAsync"/>: the first <paramref name="limit"/> live entries whose path key is greater
    /// (ordinal, as UTF-8 bytes) than <paramref name="afterKey"/> (from the start when null), ordered by path key. A
    /// store reads only the page (keyset paging); the default filters the whole listing, for stores that have no better.
    /// </summary>
    async Task<IReadOnlyList<FileEntry>> ListPageAsync(string namespaceId, string folderKey, bool recursive, string? afterKey, int limit, CancellationToken cancellationToken) =>
        [.. (await ListAsync(namespaceId, folderKey, recursive, cancellationToken))
            .Where(e => afterKey is null || string.CompareOrdinal(e.PathKey, afterKey) > 0)
            .Take(limit)];

    /// <summary>Deleted entries below a folder, for the "deleted files" view.</summary>
    Task<IReadOnlyList<FileEntry>> ListDeletedAsync(string namespaceId, string folderKey, int limit, CancellationToken cancellationToken);

    /// <summary>Revisions of one path, newest first.</summary>
    Task<IReadOnlyList<FileRevision>> ListRevisionsAsync(string namespaceId, string pathKey, int limit, CancellationToken cancellationToken);

    /// <summary>One revision with its block list; null if unknown in this namespace.</summary>
    Task<FileRevision?> GetRevisionAsync(string namespaceId, string rev, CancellationToken cancellationToken);

    /// <summary>
    /// Many revisions with their block lists, keyed by rev; a rev unknown in this namespace is left out. A store may read
    /// them in a few queries from one snapshot (the embedded store does); the default reads them one by one.
    /// </summary>
    async Task<IReadOnlyDictionary<string, FileRevision>> GetRevisionsAsync(string namespaceId, IReadOnlyCollection<string> revs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(revs);
        var revisions = new Dictionary<string, FileRevision>(revs.Count, StringComparer.Ordinal);
        foreach (var rev in revs)
        {
            if (!revisions.ContainsKey(rev) && await GetRevisionAsync(namespaceId, rev, cancellationToken) is { } revision)
            {
                revisions[rev] = revision;
            }
        }

        return revisions;
    }

    /// <summary>
    /// The journals a namespace's changes are numbered in, one list per layout the namespace had, oldest first. A store
    /// that spreads a busy namespace over several journals (the AWS store's shards: docs/architecture.md, "Hot partitions")
    /// answers each layout's journals; a path's changes are in one journal per layout, in order, and a layout's journals
    /// end before the next layout's begin. The journal methods below take a journal id; a namespace's first journal is
    /// its own id, so a store with one journal per namespace (the default) needs nothing else.
    /// </summary>
    Task<IReadOnlyList<IReadOnlyList<string>>> GetJournalsAsync(string namespaceId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<IReadOnlyList<string>>>([[namespaceId]]);

    /// <summary>
    /// A feed page of a namespace's journals: each journal after its position (<paramref name="positionOf"/>: 0 for one
    /// the cursor never saw), at most about <paramref name="budget"/> changes in all, an earlier layout's journals to their
    /// end before a later layout's are begun, so a path's changes come in order. A store with several journals per
    /// namespace cuts the page where no batch is split between it and the next (the AWS store: a consistent vector of
    /// its shard heads, read in one transaction, and each batch's entries in every shard); it may then return a little
    /// more than the budget. The default reads the journals one after another (one journal per namespace: nothing to split).
    /// </summary>
    async Task<JournalPage> ReadJournalPageAsync(string namespaceId, Func<string, long> positionOf, int budget, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(positionOf);
        var reads = new List<JournalRead>();
        var hasMore = false;
        foreach (var layout in await GetJournalsAsync(namespaceId, cancellationToken).ConfigureAwait(false))
        {
            if (hasMore)
            {
                break;
            }

            foreach (var journal in layout)
            {
                var position = positionOf(journal);
                if (position < await GetCompactedThroughAsync(journal, cancellationToken).ConfigureAwait(false))
                {
                    return new JournalPage(reads, false, true);
                }

                var changes = budget > 0 ? await ReadJournalAsync(journal, position, budget, cancellationToken).ConfigureAwait(false) : [];
                if (changes.Count > 0)
                {
                    position = changes[^1].Sequence;
                }

                budget -= changes.Count;
                hasMore |= budget <= 0 && await GetLatestSequenceAsync(journal, cancellationToken).ConfigureAwait(false) > position;
                reads.Add(new JournalRead(journal, changes, position));
            }
        }

        return new JournalPage(reads, hasMore, false);
    }

    /// <summary>Journal entries with sequence greater than <paramref name="afterSequence"/>, in order, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<ChangeRecord>> ReadJournalAsync(string namespaceId, long afterSequence, int limit, CancellationToken cancellationToken);

    /// <summary>The highest sequence number in the namespace's journal, 0 if empty.</summary>
    Task<long> GetLatestSequenceAsync(string namespaceId, CancellationToken cancellationToken);

    /// <summary>Drops journal entries with sequence at most <paramref name="throughSequence"/>; later reads from before it must reset.</summary>
    Task CompactJournalAsync(string namespaceId, long throughSequence, CancellationToken cancellationToken);

    /// <summary>The highest sequence number compacted away, 0 if none: a cursor before it cannot be continued.</summary>
    Task<long> GetCompactedThroughAsync(string namespaceId, CancellationToken cancellationToken);
}
