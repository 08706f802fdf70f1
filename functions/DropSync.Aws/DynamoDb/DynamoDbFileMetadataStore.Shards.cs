using Amazon.DynamoDBv2.Model;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using static DropSync.Aws.DynamoDb.DynamoDbTables;
using static DropSync.Aws.DynamoDb.EntryCodec;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// Where a namespace's items are under its shard layout (<see cref="ShardLayout"/>): which partition a path's entry is in,
/// which journal a change goes to, and the layout itself, read from the root head. A namespace that was never sharded
/// reads exactly as before: a path found in partition <c>ns</c> is the answer (after a reshard that partition holds no
/// entries), and an absent one trusts a cached S = 1 (<see cref="ShardLayoutCache"/>).
/// </summary>
public sealed partial class DynamoDbFileMetadataStore
{
    public async Task<IReadOnlyList<IReadOnlyList<string>>> GetJournalsAsync(string namespaceId, CancellationToken cancellationToken) =>
        (await LayoutAsync(namespaceId, cancellationToken).ConfigureAwait(false)).Journals(namespaceId);

    /// <summary>The namespace's shard count now (1 unless raised).</summary>
    public async Task<int> GetShardCountAsync(string namespaceId, CancellationToken cancellationToken) =>
        (await LayoutAsync(namespaceId, cancellationToken).ConfigureAwait(false)).Count;

    /// <summary>The namespace's layout now, read from its root head (S, and the target of a raise under way).</summary>
    public Task<ShardLayout> GetShardLayoutAsync(string namespaceId, CancellationToken cancellationToken) => LayoutAsync(namespaceId, cancellationToken);

    /// <summary>The partition a path's entry is written in now; null while the namespace is being resharded.</summary>
    internal async Task<string?> EntryPartitionAsync(string ns, string pathKey, CancellationToken cancellationToken)
    {
        var layout = ShardLayoutCache.Fresh(_db.Tables.Entries, ns) ?? await LayoutAsync(ns, cancellationToken).ConfigureAwait(false);
        return layout.IsStable ? ShardLayout.PartitionOf(ns, layout.Count, pathKey) : null;
    }

    /// <summary>Every partition a namespace's entries are read from now.</summary>
    internal async Task<IReadOnlyList<string>> EntryPartitionsAsync(string ns, CancellationToken cancellationToken)
    {
        var layout = ShardLayoutCache.Fresh(_db.Tables.Entries, ns) ?? await LayoutAsync(ns, cancellationToken).ConfigureAwait(false);
        return ShardLayout.Partitions(ns, layout.ReadCount);
    }

    /// <summary>The layout from the root head, read consistently (and cached when stable).</summary>
    private async Task<ShardLayout> LayoutAsync(string ns, CancellationToken cancellationToken)
    {
        var head = await _db.GetItemAsync("ReadLayout", _db.Tables.Entries, HeadKey(ns), cancellationToken).ConfigureAwait(false);
        return Remember(ns, ShardLayout.Of(head));
    }

    private ShardLayout Remember(string ns, ShardLayout layout)
    {
        ShardLayoutCache.Remember(_db.Tables.Entries, ns, layout);
        return layout;
    }

    /// <summary>The partitions a path's entry may be in under a layout: one, or during a reshard the old then the new.</summary>
    private static IEnumerable<string> ReadPartitions(string ns, ShardLayout layout, string pathKey)
    {
        var old = ShardLayout.PartitionOf(ns, layout.Count, pathKey);
        yield return old;
        if (layout.Migrating is { } next)
        {
            yield return ShardLayout.PartitionOf(ns, next, pathKey);
        }
    }

    /// <summary>
    /// The items at these path keys: from partition <c>ns</c> first (every namespace that was never sharded), then, for
    /// the keys not found there and unless S = 1 is known, from the partitions the layout puts them in.
    /// </summary>
    private async Task<Dictionary<string, Dictionary<string, AttributeValue>>> ReadEntryItemsAsync(
        string operation, string ns, IReadOnlyCollection<string> pathKeys, ShardLayout? layout, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, Dictionary<string, AttributeValue>>(StringComparer.Ordinal);
        var keys = pathKeys.Distinct(StringComparer.Ordinal).ToList();
        if (keys.Count == 0)
        {
            return found;
        }

        layout ??= ShardLayoutCache.Fresh(_db.Tables.Entries, ns);
        var missing = keys;
        if (layout is null || layout.Count == 1)
        {
            await ReadIntoAsync(keys.Select(k => (ns, k))).ConfigureAwait(false);
            missing = keys.Where(k => !found.ContainsKey(k)).ToList();
            if (missing.Count == 0)
            {
                return found;
            }

            layout ??= await LayoutAsync(ns, cancellationToken).ConfigureAwait(false);
        }

        // Partitions other than ns, old layout first: while a reshard copies, the old copy is the current one.
        for (var round = 0; round < 2 && missing.Count > 0; round++)
        {
            var wanted = missing.Select(k => (Partition: ReadPartitions(ns, layout, k).ElementAtOrDefault(round), Key: k))
                .Where(p => p.Partition is not null && p.Partition != ns)
                .Select(p => (p.Partition!, p.Key))
                .ToList();
            await ReadIntoAsync(wanted).ConfigureAwait(false);
            missing = missing.Where(k => !found.ContainsKey(k)).ToList();
        }

        return found;

        async Task ReadIntoAsync(IEnumerable<(string Partition, string Key)> where)
        {
            var list = where.ToList();
            if (list.Count == 1)
            {
                var item = await _db.GetItemAsync(operation, _db.Tables.Entries, EntryKey(list[0].Partition, list[0].Key), cancellationToken).ConfigureAwait(false);
                if (item is not null)
                {
                    found[list[0].Key] = item;
                }
            }
            else if (list.Count > 1)
            {
                foreach (var item in await _db.BatchGetAsync(operation, _db.Tables.Entries, list.Select(p => EntryKey(p.Partition, p.Key)).ToList(), cancellationToken).ConfigureAwait(false))
                {
                    found.TryAdd(item.RequireS(EntriesSortKey), item);
                }
            }
        }
    }

    /// <summary>
    /// The journal entries a batch's changes become under the layouts read: for a sharded namespace each goes to the journal
    /// of its path's shard; a move whose source is in another shard is journalled as two halves (each in order with its own
    /// path's other changes), and a folder's deletion in every shard (so a device reading any shard sees the folder go
    /// after every change below it in that shard).
    /// </summary>
    private static List<(int Index, ChangeRecord Change)> JournalAppends(BatchPlan plan, IReadOnlyDictionary<string, ShardLayout> layouts)
    {
        var appends = new List<(int Index, ChangeRecord Change)>();
        foreach (var (index, change) in plan.Appends)
        {
            var count = layouts.TryGetValue(change.NamespaceId, out var layout) ? layout.Count : 1;
            if (count == 1)
            {
                appends.Add((index, change));
                continue;
            }

            var ns = change.NamespaceId;
            var target = ShardLayout.PartitionOf(ns, count, DropPath.KeyOf(change.PathDisplay));
            if (change.Kind == ChangeKind.Deleted && change.EntryKind == EntryKind.Folder)
            {
                appends.AddRange(ShardLayout.Partitions(ns, count).Select(j => (index, change with { Journal = j })));
            }
            else if (change.Kind == ChangeKind.Moved && change.FromPath is { } from && ShardLayout.PartitionOf(ns, count, DropPath.KeyOf(from)) is var source && source != target)
            {
                appends.Add((index, change with { Journal = source, Part = MovePart.Source }));
                appends.Add((index, change with { Journal = target, Part = MovePart.Target }));
            }
            else
            {
                appends.Add((index, change with { Journal = target }));
            }
        }

        return appends;
    }
}
