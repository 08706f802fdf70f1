using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using DropSync.Core.Model;
using static DropSync.Aws.DynamoDb.DynamoDbTables;
using static DropSync.Aws.DynamoDb.EntryCodec;

namespace DropSync.Aws.DynamoDb;

/// <summary>The change journal: numbered by the namespace head item, read without gaps, compacted from the start.</summary>
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
            var (latest, _, compacted) = await ReadHeadTransactionallyAsync(namespaceId, cancellationToken).ConfigureAwait(false);
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
            if (items.Count == upTo - from || attempt >= MaxAttempts)
            {
                return items.Select(ToChange).ToList();
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

    private async Task<(long Sequence, long Version, long CompactedThrough)> ReadHeadTransactionallyAsync(string namespaceId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var response = await _db.Client.TransactGetItemsAsync(
                    new TransactGetItemsRequest
                    {
                        TransactItems = [new TransactGetItem { Get = new Get { TableName = _db.Tables.Entries, Key = HeadKey(namespaceId) } }],
                        ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                    },
                    cancellationToken).ConfigureAwait(false);
                _db.Capacity.Record("ReadHead", response.ConsumedCapacity);
                var item = response.Responses is { Count: > 0 } ? response.Responses[0].Item : null;
                return item is null || item.Count == 0
                    ? (0, 0, 0)
                    : (item.GetN(Sequence) ?? 0, item.GetN(VersionAttribute) ?? 0, item.GetN(CompactedThrough) ?? 0);
            }
            catch (Exception e) when ((e is TransactionCanceledException or TransactionConflictException) && attempt < MaxAttempts)
            {
                // A commit on this namespace is in flight: read again once it has landed.
                await Backoff.DelayAsync(attempt + 1, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<Dictionary<string, (bool Exists, long Sequence, long Version)>> ReadHeadsAsync(IReadOnlyList<string> namespaces, CancellationToken cancellationToken)
    {
        var heads = new Dictionary<string, (bool, long, long)>(StringComparer.Ordinal);
        foreach (var ns in namespaces)
        {
            heads[ns] = (false, 0, 0);
        }

        if (namespaces.Count == 1)
        {
            var item = await _db.GetItemAsync(nameof(ApplyAsync), _db.Tables.Entries, HeadKey(namespaces[0]), cancellationToken).ConfigureAwait(false);
            if (item is not null)
            {
                heads[namespaces[0]] = (true, item.GetN(Sequence) ?? 0, item.GetN(VersionAttribute) ?? 0);
            }

            return heads;
        }

        var items = await _db.BatchGetAsync(nameof(ApplyAsync), _db.Tables.Entries, namespaces.Select(HeadKey).ToList(), cancellationToken).ConfigureAwait(false);
        foreach (var item in items)
        {
            heads[item.RequireS(EntriesPartitionKey)] = (true, item.GetN(Sequence) ?? 0, item.GetN(VersionAttribute) ?? 0);
        }

        return heads;
    }
}
