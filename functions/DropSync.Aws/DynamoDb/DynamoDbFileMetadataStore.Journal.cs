using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using DropSync.Core.Model;
using static DropSync.Aws.DynamoDb.DynamoDbTables;
using static DropSync.Aws.DynamoDb.EntryCodec;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// The change journal: numbered by the namespace head item, read without gaps, compacted from the start. A namespace's
/// newest change lives in its head item (<see cref="EntryCodec.NewestChange"/>), which the commit's transaction updates
/// anyway, instead of in a journal item of its own (a transaction bills every item twice); the next commit that appends
/// to the namespace first copies it into the Journal table with a plain write (1 WRU), then replaces it. Readers take the
/// newest change from the head they read transactionally and the rest from the table, so a reader sees each change
/// exactly once whichever of the two holds it; the copy is idempotent, so a retried or crashed commit copies again.
/// </summary>
public sealed partial class DynamoDbFileMetadataStore
{
    public async Task<IReadOnlyList<ChangeRecord>> ReadJournalAsync(string namespaceId, long afterSequence, int limit, CancellationToken cancellationToken)
    {
        if (limit <= 0)
        {
            return [];
        }

        for (var attempt = 0; ; attempt++)
        {
            // The head's sequence is read transactionally (never mid-commit); every number up to it is then in the journal.
            // A gap means a commit is still landing: read again, so a cursor never skips a change.
            var (latest, _, compacted, newest, _) = await ReadHeadTransactionallyAsync(namespaceId, cancellationToken).ConfigureAwait(false);
            if (latest <= afterSequence)
            {
                return [];
            }

            // Entries up to the compaction point are gone; the caller compares its cursor with GetCompactedThroughAsync.
            var from = Math.Max(afterSequence, compacted);
            var upTo = Math.Min(latest, afterSequence + limit);
            if (upTo <= from)
            {
                return [];
            }

            var items = await _db.QueryAllAsync(
                nameof(ReadJournalAsync),
                new QueryRequest
                {
                    TableName = _db.Tables.Journal,
                    KeyConditionExpression = "#pk = :ns AND #seq BETWEEN :from AND :to",
                    ExpressionAttributeNames = new() { ["#pk"] = JournalPartitionKey, ["#seq"] = JournalSortKey },
                    ExpressionAttributeValues = new() { [":ns"] = Ddb.S(namespaceId), [":from"] = Ddb.N(from + 1), [":to"] = Ddb.N(upTo) },
                    ConsistentRead = true,
                },
                cancellationToken).ConfigureAwait(false);
            var changes = items.Select(ToChange).ToList();
            if (newest is not null && upTo == latest && !changes.Exists(c => c.Sequence == latest))
            {
                // Not copied to the table yet: the head holds it.
                changes.Add(ToChange(newest));
            }

            if (changes.Count == upTo - from || attempt >= MaxAttempts)
            {
                return changes;
            }

            await Backoff.DelayAsync(attempt + 1, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<long> GetLatestSequenceAsync(string namespaceId, CancellationToken cancellationToken)
    {
        var head = await _db.GetItemAsync(nameof(GetLatestSequenceAsync), _db.Tables.Entries, HeadKey(namespaceId), cancellationToken).ConfigureAwait(false);
        return head?.GetN(Sequence) ?? 0;
    }

    public async Task CompactJournalAsync(string namespaceId, long throughSequence, CancellationToken cancellationToken)
    {
        var head = await _db.GetItemAsync(nameof(CompactJournalAsync), _db.Tables.Entries, HeadKey(namespaceId), cancellationToken).ConfigureAwait(false);
        if (head is null)
        {
            return;
        }

        // Never past the latest sequence: entries appended later must stay readable by every cursor.
        var through = Math.Min(throughSequence, head.GetN(Sequence) ?? 0);
        var previous = head.GetN(CompactedThrough) ?? 0;
        if (through <= previous)
        {
            return;
        }

        try
        {
            var response = await _db.Client.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = _db.Tables.Entries,
                    Key = HeadKey(namespaceId),
                    UpdateExpression = "SET #cmp = :through",
                    ConditionExpression = "attribute_exists(#pk) AND (attribute_not_exists(#cmp) OR #cmp < :through)",
                    ExpressionAttributeNames = new() { ["#cmp"] = CompactedThrough, ["#pk"] = EntriesPartitionKey },
                    ExpressionAttributeValues = new() { [":through"] = Ddb.N(through) },
                    ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                },
                cancellationToken).ConfigureAwait(false);
            _db.Capacity.Record(nameof(CompactJournalAsync), response.ConsumedCapacity);
        }
        catch (ConditionalCheckFailedException)
        {
            // Compacted at least this far by someone else.
        }

        var keys = await _db.QueryAllAsync(
            nameof(CompactJournalAsync),
            new QueryRequest
            {
                TableName = _db.Tables.Journal,
                KeyConditionExpression = "#pk = :ns AND #seq <= :through",
                ProjectionExpression = "#pk, #seq",
                ExpressionAttributeNames = new() { ["#pk"] = JournalPartitionKey, ["#seq"] = JournalSortKey },
                ExpressionAttributeValues = new() { [":ns"] = Ddb.S(namespaceId), [":through"] = Ddb.N(through) },
            },
            cancellationToken).ConfigureAwait(false);
        if (keys.Count > 0)
        {
            await _db.BatchWriteAsync(nameof(CompactJournalAsync), _db.Tables.Journal, keys.Select(Ddb.DeleteRequest).ToList(), cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<long> GetCompactedThroughAsync(string namespaceId, CancellationToken cancellationToken)
    {
        var head = await _db.GetItemAsync(nameof(GetCompactedThroughAsync), _db.Tables.Entries, HeadKey(namespaceId), cancellationToken).ConfigureAwait(false);
        return head?.GetN(CompactedThrough) ?? 0;
    }

    /// <summary>A head (a namespace's or, by journal id, a shard's) read transactionally; the item itself too (the root's layout).</summary>
    private async Task<(long Sequence, long Version, long CompactedThrough, Dictionary<string, AttributeValue>? Newest, Dictionary<string, AttributeValue>? Item)> ReadHeadTransactionallyAsync(string namespaceId, CancellationToken cancellationToken)
    {
        var item = (await ReadHeadsTransactionallyAsync([namespaceId], cancellationToken).ConfigureAwait(false))[0];
        return item is null
            ? (0, 0, 0, null, null)
            : (item.GetN(Sequence) ?? 0, item.GetN(VersionAttribute) ?? 0, item.GetN(CompactedThrough) ?? 0, NewestChangeOf(item), item);
    }

    /// <summary>Heads by partition in one TransactGetItems (up to 100: a shard count is capped below that), null where none.</summary>
    private async Task<List<Dictionary<string, AttributeValue>?>> ReadHeadsTransactionallyAsync(IReadOnlyList<string> partitions, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var response = await _db.Client.TransactGetItemsAsync(
                    new TransactGetItemsRequest
                    {
                        TransactItems = partitions.Select(p => new TransactGetItem { Get = new Get { TableName = _db.Tables.Entries, Key = HeadKey(p) } }).ToList(),
                        ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                    },
                    cancellationToken).ConfigureAwait(false);
                _db.Capacity.Record("ReadHead", response.ConsumedCapacity);
                return partitions.Select((_, i) => response.Responses is { } r && i < r.Count && r[i].Item is { Count: > 0 } item ? item : null).ToList();
            }
            catch (Exception e) when ((e is TransactionCanceledException or TransactionConflictException) && attempt < MaxAttempts)
            {
                // A commit on this namespace is in flight: read again once it has landed.
                await Backoff.DelayAsync(attempt + 1, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The heads a batch conditions on, keyed by partition: each namespace's root head (its layout, and for S = 1 its
    /// journal counter and version), then for a sharded namespace the heads of the shards the batch writes entries or
    /// journal entries in. <c>Busy</c> when a namespace is being resharded or a head is frozen (the batch waits and retries).
    /// </summary>
    private async Task<HeadRead> ReadHeadsAsync(BatchPlan plan, CancellationToken cancellationToken)
    {
        var namespaces = plan.Namespaces;
        var heads = new Dictionary<string, HeadState>(StringComparer.Ordinal);
        var layouts = new Dictionary<string, ShardLayout>(StringComparer.Ordinal);
        var roots = namespaces.Count == 1
            ? [await _db.GetItemAsync(nameof(ApplyAsync), _db.Tables.Entries, HeadKey(namespaces[0]), cancellationToken).ConfigureAwait(false)]
            : (await _db.BatchGetAsync(nameof(ApplyAsync), _db.Tables.Entries, namespaces.Select(HeadKey).ToList(), cancellationToken).ConfigureAwait(false)).Cast<Dictionary<string, AttributeValue>?>().ToList();
        foreach (var ns in namespaces)
        {
            heads[ns] = new HeadState(false, 0, 0, null, false);
            layouts[ns] = ShardLayout.Single;
        }

        foreach (var item in roots.OfType<Dictionary<string, AttributeValue>>())
        {
            var ns = item.RequireS(EntriesPartitionKey);
            heads[ns] = HeadOf(item);
            layouts[ns] = Remember(ns, ShardLayout.Of(item));
        }

        var busy = layouts.Values.Any(l => !l.IsStable);
        var sharded = layouts.Where(l => l.Value.Count > 1).Select(l => l.Key).ToHashSet(StringComparer.Ordinal);
        if (sharded.Count > 0 && !busy)
        {
            // A sharded namespace's root head is not written by commits: only the heads of the shards touched are.
            foreach (var ns in sharded)
            {
                heads.Remove(ns);
            }

            var partitions = plan.Slots.Where(s => s.Put is not null && sharded.Contains(s.NamespaceId))
                .Select(s => ShardLayout.PartitionOf(s.NamespaceId, layouts[s.NamespaceId].Count, s.PathKey))
                .Concat(JournalAppends(plan, layouts).Where(a => sharded.Contains(a.Change.NamespaceId)).Select(a => a.Change.JournalId))
                .Distinct(StringComparer.Ordinal)
                .ToList();
            foreach (var partition in partitions)
            {
                heads[partition] = new HeadState(false, 0, 0, null, false);
            }

            foreach (var item in await _db.BatchGetAsync(nameof(ApplyAsync), _db.Tables.Entries, partitions.Select(HeadKey).ToList(), cancellationToken).ConfigureAwait(false))
            {
                heads[item.RequireS(EntriesPartitionKey)] = HeadOf(item);
            }
        }

        return new HeadRead(heads, layouts, busy || heads.Values.Any(h => h.Frozen));
    }

    private static HeadState HeadOf(Dictionary<string, AttributeValue> item) =>
        new(true, item.GetN(Sequence) ?? 0, item.GetN(VersionAttribute) ?? 0, NewestChangeOf(item), item.GetBool(ShardLayout.FrozenAttribute));

    /// <summary>
    /// Before a batch replaces the newest change its heads hold, copies each into the Journal table (a plain, idempotent
    /// put: the same item every time). Only namespaces the batch appends to: the others keep theirs.
    /// </summary>
    private async Task CopyNewestChangesAsync(BatchPlan plan, HeadRead read, CancellationToken cancellationToken)
    {
        var heads = read.Heads;
        var appending = JournalAppends(plan, read.Layouts).Select(a => a.Change.JournalId).ToHashSet(StringComparer.Ordinal);
        await Task.WhenAll(heads.Where(h => appending.Contains(h.Key) && h.Value.Newest is not null).Select(async h =>
        {
            var response = await _db.Client.PutItemAsync(
                new PutItemRequest { TableName = _db.Tables.Journal, Item = h.Value.Newest, ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL },
                cancellationToken).ConfigureAwait(false);
            _db.Capacity.Record(nameof(ApplyAsync), response.ConsumedCapacity);
        })).ConfigureAwait(false);
    }

    private static Dictionary<string, AttributeValue>? NewestChangeOf(Dictionary<string, AttributeValue> head) =>
        head.TryGetValue(NewestChange, out var value) && value.M is { Count: > 0 } newest ? newest : null;

    /// <summary>A head (a namespace's, or a shard's) as a batch read it: its sequence, version, the newest change it holds, and whether it is frozen.</summary>
    private sealed record HeadState(bool Exists, long Sequence, long Version, Dictionary<string, AttributeValue>? Newest, bool Frozen);

    /// <summary>What a batch read before writing: the heads by partition, each namespace's layout, and whether to wait.</summary>
    private sealed record HeadRead(Dictionary<string, HeadState> Heads, Dictionary<string, ShardLayout> Layouts, bool Busy);
}
