using Amazon.DynamoDBv2.Model;
using DropSync.Core.Model;
using static DropSync.Aws.DynamoDb.DynamoDbTables;
using static DropSync.Aws.DynamoDb.EntryCodec;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// A feed page (<c>list_folder/continue</c>) of a namespace's journals, read as a snapshot:
/// <list type="number">
/// <item><b>One consistent read of the heads.</b> The root head (the layout; for S = 1 also the journal counter, the
/// compaction point and the newest change) and every shard head, in one <c>TransactGetItems</c>: a vector of per-journal
/// positions no batch is half inside. An unsharded namespace's page is that one item (2 RRU) and, only when there are
/// changes, one Query: the layout is not read apart any more, nor the compaction point.</item>
/// <item><b>Each journal up to its head in that vector</b>, within the page's budget.</item>
/// <item><b>Cut where no batch is split.</b> A batch that journals in several shards of a namespace stores on each of
/// its entries where it ends in each of those shards (<see cref="BatchEndsAttribute"/>); the page reads each shard on to
/// the end of every batch it took a part of (which the snapshot holds: the batch landed whole), so a batch's changes all
/// come in one page, possibly a little past the budget (at most one batch per shard).</item>
/// </list>
/// Each path's changes stay in order (one journal per path per layout, an earlier layout's journals read to their end
/// first), nothing comes twice (positions advance past what was delivered), nothing is missed (every number up to the
/// snapshot's head is in the Journal table or, the newest, in the head item read).
/// </summary>
public sealed partial class DynamoDbFileMetadataStore
{
    /// <summary>On a journal entry of a batch that wrote several shards' journals: each of those journals → the batch's last sequence there.</summary>
    public const string BatchEndsAttribute = "be";

    public async Task<JournalPage> ReadJournalPageAsync(string namespaceId, Func<string, long> positionOf, int budget, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(positionOf);
        var (layout, heads) = await ReadJournalHeadsAsync(namespaceId, cancellationToken).ConfigureAwait(false);
        var reads = new List<JournalRead>();
        var hasMore = false;
        foreach (var journals in layout.Journals(namespaceId))
        {
            if (hasMore)
            {
                // A path's changes in a later layout come only after every change of the earlier one.
                break;
            }

            var upTo = new Dictionary<string, long>(StringComparer.Ordinal);
            var taken = new Dictionary<string, List<Dictionary<string, AttributeValue>>>(StringComparer.Ordinal);
            var toCheck = new Queue<Dictionary<string, AttributeValue>>();
            foreach (var journal in journals)
            {
                var head = heads.GetValueOrDefault(journal) ?? JournalHead.None;
                var position = positionOf(journal);
                if (position < head.CompactedThrough)
                {
                    return new JournalPage(reads, false, true);
                }

                var end = budget > 0 ? Math.Max(position, Math.Min(head.Latest, position + budget)) : position;
                var items = await ReadRangeAsync(journal, position, end, head, cancellationToken).ConfigureAwait(false);
                budget -= items.Count;
                upTo[journal] = end;
                taken[journal] = items;
                items.ForEach(toCheck.Enqueue);
            }

            // The rest of every batch a part of which is in this page.
            while (toCheck.TryDequeue(out var item))
            {
                if (!item.TryGetValue(BatchEndsAttribute, out var ends) || ends.M is not { Count: > 0 } map)
                {
                    continue;
                }

                foreach (var (journal, value) in map)
                {
                    if (!upTo.TryGetValue(journal, out var from) || heads.GetValueOrDefault(journal) is not { } head)
                    {
                        continue;
                    }

                    var batchEnd = Math.Min(long.Parse(value.N, System.Globalization.CultureInfo.InvariantCulture), head.Latest);
                    if (batchEnd > from)
                    {
                        var more = await ReadRangeAsync(journal, from, batchEnd, head, cancellationToken).ConfigureAwait(false);
                        budget -= more.Count;
                        upTo[journal] = batchEnd;
                        taken[journal].AddRange(more);
                        more.ForEach(toCheck.Enqueue);
                    }
                }
            }

            foreach (var journal in journals)
            {
                reads.Add(new JournalRead(journal, taken[journal].Select(ToChange).ToList(), upTo[journal]));
                hasMore |= upTo[journal] < (heads.GetValueOrDefault(journal)?.Latest ?? 0);
            }
        }

        return new JournalPage(reads, hasMore, false);
    }

    /// <summary>
    /// Journal entries after <paramref name="from"/> through <paramref name="to"/> (≤ the head's latest in the snapshot): from
    /// the table, and the newest from the head item read, if it was not copied yet.
    /// </summary>
    private async Task<List<Dictionary<string, AttributeValue>>> ReadRangeAsync(string journal, long from, long to, JournalHead head, CancellationToken cancellationToken)
    {
        if (to <= from)
        {
            return [];
        }

        for (var attempt = 0; ; attempt++)
        {
            var items = await _db.QueryAllAsync(
                nameof(ReadJournalPageAsync),
                new QueryRequest
                {
                    TableName = _db.Tables.Journal,
                    KeyConditionExpression = "#pk = :ns AND #seq BETWEEN :from AND :to",
                    ExpressionAttributeNames = new() { ["#pk"] = JournalPartitionKey, ["#seq"] = JournalSortKey },
                    ExpressionAttributeValues = new() { [":ns"] = Ddb.S(journal), [":from"] = Ddb.N(from + 1), [":to"] = Ddb.N(to) },
                    ConsistentRead = true,
                },
                cancellationToken).ConfigureAwait(false);
            if (head.Newest is not null && to == head.Latest && !items.Exists(i => i.GetN(JournalSortKey) == to))
            {
                items.Add(head.Newest);
            }

            if (items.Count == to - from || attempt >= 5)
            {
                return items;
            }

            // Cannot happen under the snapshot (every number up to the head is stored before the head moves); read again.
            await Backoff.DelayAsync(attempt + 1, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The layout and every journal's head, the root's and the current layout's shard heads in one TransactGetItems
    /// (guessing the layout from the cache; read again if it was wrong), earlier layouts' (frozen) heads after them.
    /// </summary>
    private async Task<(ShardLayout Layout, Dictionary<string, JournalHead?> Heads)> ReadJournalHeadsAsync(string ns, CancellationToken cancellationToken)
    {
        var guess = ShardLayoutCache.Fresh(_db.Tables.Entries, ns) ?? ShardLayout.Single;
        for (var attempt = 0; ; attempt++)
        {
            var wanted = HeadsOf(ns, guess);
            var heads = new Dictionary<string, JournalHead?>(StringComparer.Ordinal);
            Dictionary<string, AttributeValue>? root = null;
            foreach (var chunk in wanted.Chunk(MaxTransactionItems))
            {
                var items = await ReadHeadsTransactionallyAsync(chunk, cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < chunk.Length; i++)
                {
                    var item = items[i];
                    root = chunk[i] == ns ? item : root;
                    heads[chunk[i]] = item is null ? null : new JournalHead(item.GetN(Sequence) ?? 0, item.GetN(CompactedThrough) ?? 0, NewestChangeOf(item));
                }
            }

            var layout = Remember(ns, ShardLayout.Of(root));
            if (HeadsOf(ns, layout).All(heads.ContainsKey) || attempt >= 3)
            {
                return (layout, heads);
            }

            guess = layout;
        }
    }

    /// <summary>The root head first, then the newest layout's shard heads, then the earlier layouts'.</summary>
    private static List<string> HeadsOf(string ns, ShardLayout layout) =>
        layout.Journals(ns).Reverse().SelectMany(j => j).Prepend(ns).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>A journal's head as the snapshot read it: its latest sequence, compaction point, newest change, and (for the root) the item.</summary>
    private sealed record JournalHead(long Latest, long CompactedThrough, Dictionary<string, AttributeValue>? Newest)
    {
        public static readonly JournalHead None = new(0, 0, null);
    }

    /// <summary>For a batch that journals in several shards of a namespace: per namespace, the map of each journal to the batch's last sequence in it.</summary>
    private static Dictionary<string, AttributeValue> BatchEnds(List<ChangeRecord> changes)
    {
        var ends = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
        foreach (var group in changes.Where(c => c.Journal is not null).GroupBy(c => c.NamespaceId, StringComparer.Ordinal))
        {
            var byJournal = group.GroupBy(c => c.JournalId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => Ddb.N(g.Max(c => c.Sequence)), StringComparer.Ordinal);
            if (byJournal.Count > 1)
            {
                ends[group.Key] = new AttributeValue { M = byJournal };
            }
        }

        return ends;
    }
}
