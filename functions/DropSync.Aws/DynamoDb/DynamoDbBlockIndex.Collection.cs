using Amazon.DynamoDBv2.Model;
using DropSync.Core.Content;
using DropSync.Core.Model;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// Collection: candidates come from the sparse, sharded GSI <see cref="BlocksGcIndex"/>, which holds only blocks not
/// known to be referenced (recorded or reserved and not yet committed, or released by the retention collector when their
/// count reached 0) — a run reads what became collectable, never the table or the bucket. Forgetting is two-phase: a
/// tombstone (<see cref="TombstoneAttribute"/>) set under the collection condition, then the bytes are deleted, then the
/// item (<see cref="CompleteForgetAsync"/>). While the tombstone stands no upload can be reserved or recorded and no
/// commit can count a reference, so bytes uploaded again never land between the index forgetting a block and its bytes
/// being deleted; a run that dies in between leaves the tombstone in the index, and the next run finishes it.
/// </summary>
public sealed partial class DynamoDbBlockIndex
{
    public async Task<IReadOnlyList<StoredBlock>> ListUnreferencedAsync(DateTimeOffset storedBefore, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        var found = new List<StoredBlock>();
        foreach (var shard in Ddb.Shards(_db.Tables.GcShards))
        {
            var request = new QueryRequest
            {
                TableName = _db.Tables.Blocks,
                IndexName = BlocksGcIndex,
                KeyConditionExpression = "#gcs = :shard AND #st < :before",
                ExpressionAttributeNames = new() { ["#gcs"] = BlocksGcIndexPartitionKey, ["#st"] = BlocksGcIndexSortKey },
                ExpressionAttributeValues = new() { [":shard"] = Ddb.S(shard), [":before"] = Ddb.N(Ddb.Ms(storedBefore)) },
                Limit = limit,
                ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
            };
            do
            {
                var page = await _db.Client.QueryAsync(request, cancellationToken).ConfigureAwait(false);
                _db.Capacity.Record(nameof(ListUnreferencedAsync), page.ConsumedCapacity);
                foreach (var key in page.Items ?? [])
                {
                    var hash = BlockHash.Parse(key.RequireS(BlocksPartitionKey));
                    var block = await ReadBlockItemAsync(hash, nameof(ListUnreferencedAsync), cancellationToken).ConfigureAwait(false);
                    if (block is null || block.GetN(BlocksGcIndexSortKey) is not { } stored || stored >= Ddb.Ms(storedBefore))
                    {
                        continue;
                    }

                    if (block.GetN(TombstoneAttribute) is null)
                    {
                        if (block.GetBool(ReferencedAttribute) || block.GetN(ReferenceCountAttribute) > 0)
                        {
                            await LeaveGcIndexAsync(hash, cancellationToken).ConfigureAwait(false);
                            continue;
                        }

                        if (block.GetN(PinAttribute) is { } pin && pin >= Ddb.Ms(now))
                        {
                            continue;
                        }
                    }

                    found.Add(new StoredBlock(hash, (int)(block.GetN(SizeAttribute) ?? 0), Ddb.Time(stored)));
                    if (found.Count >= limit)
                    {
                        return found;
                    }
                }

                request.ExclusiveStartKey = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
            }
            while (request.ExclusiveStartKey is not null);
        }

        return found;
    }

    public async Task<bool> IsKnownAsync(BlockHash hash, CancellationToken cancellationToken)
    {
        var block = await ReadBlockItemAsync(hash, nameof(IsKnownAsync), cancellationToken).ConfigureAwait(false);
        return block?.GetN(BlocksGcIndexSortKey) is not null;
    }

    public async Task<bool> TryForgetAsync(BlockHash hash, DateTimeOffset now, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            if (attempt > 0)
            {
                await Backoff.DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
            }

            var items = await _db.QueryAllAsync(
                nameof(TryForgetAsync),
                new QueryRequest
                {
                    TableName = _db.Tables.Blocks,
                    KeyConditionExpression = "#h = :h",
                    ExpressionAttributeNames = new() { ["#h"] = BlocksPartitionKey },
                    ExpressionAttributeValues = new() { [":h"] = Ddb.S(hash.Hex) },
                    ConsistentRead = true,
                },
                cancellationToken).ConfigureAwait(false);
            var block = items.Find(i => i.GetS(BlocksSortKey) == BlockItemKey);
            var tombstoned = block?.GetN(TombstoneAttribute) is not null;
            if (block?.GetN(BlocksGcIndexSortKey) is not { } stored ||
                (!tombstoned && (stored >= Ddb.Ms(now) || block.GetBool(ReferencedAttribute) || block.GetN(ReferenceCountAttribute) > 0 ||
                (block.GetN(PinAttribute) is { } pin && pin >= Ddb.Ms(now)))))
            {
                return false;
            }

            var holders = items.Where(i => i.GetS(BlocksSortKey) is { } k && k.StartsWith(HolderPrefix, StringComparison.Ordinal))
                .Select(i => Ddb.Key(BlocksPartitionKey, hash.Hex, BlocksSortKey, i.RequireS(BlocksSortKey)))
                .ToList();
            var transaction = new List<TransactWriteItem>
            {
                new()
                {
                    // The tombstone, under the collection condition; the item stays in the GC index until the bytes are gone.
                    Update = new Update
                    {
                        TableName = _db.Tables.Blocks,
                        Key = BlockKey(hash),
                        UpdateExpression = "SET #gone = if_not_exists(#gone, :now)",
                        ConditionExpression = "attribute_exists(#gone) OR (#st < :now AND attribute_not_exists(#r) AND (attribute_not_exists(#rc) OR #rc <= :zero) AND (attribute_not_exists(#pin) OR #pin < :now))",
                        ExpressionAttributeNames = new()
                        {
                            ["#gone"] = TombstoneAttribute, ["#st"] = BlocksGcIndexSortKey, ["#r"] = ReferencedAttribute, ["#rc"] = ReferenceCountAttribute, ["#pin"] = PinAttribute,
                        },
                        ExpressionAttributeValues = new() { [":now"] = Ddb.N(Ddb.Ms(now)), [":zero"] = Ddb.N(0) },
                    },
                },
            };
            transaction.AddRange(holders.Take(DynamoDbFileMetadataStore.MaxTransactionItems - 1)
                .Select(k => new TransactWriteItem { Delete = new Delete { TableName = _db.Tables.Blocks, Key = k } }));
            try
            {
                var response = await _db.Client.TransactWriteItemsAsync(
                    new TransactWriteItemsRequest { TransactItems = transaction, ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.INDEXES },
                    cancellationToken).ConfigureAwait(false);
                _db.Capacity.Record(nameof(TryForgetAsync), response.ConsumedCapacity);
            }
            catch (TransactionCanceledException e) when (e.CancellationReasons?.Exists(r => r.Code == "ConditionalCheckFailed") == true)
            {
                return false;
            }
            catch (Exception e) when (e is TransactionCanceledException or TransactionConflictException)
            {
                continue;
            }

            // More holders than one transaction takes: the tombstone already keeps everyone from relying on them.
            var rest = holders.Skip(DynamoDbFileMetadataStore.MaxTransactionItems - 1).Select(Ddb.DeleteRequest).ToList();
            if (rest.Count > 0)
            {
                await _db.BatchWriteAsync(nameof(TryForgetAsync), _db.Tables.Blocks, rest, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }

        return false;
    }

    public async Task CompleteForgetAsync(BlockHash hash, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _db.Client.DeleteItemAsync(
                new DeleteItemRequest
                {
                    TableName = _db.Tables.Blocks,
                    Key = BlockKey(hash),
                    ConditionExpression = "attribute_exists(#gone)",
                    ExpressionAttributeNames = new() { ["#gone"] = TombstoneAttribute },
                    ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
                },
                cancellationToken).ConfigureAwait(false);
            _db.Capacity.Record(nameof(CompleteForgetAsync), response.ConsumedCapacity);
        }
        catch (ConditionalCheckFailedException)
        {
            // Finished by another run already.
        }
    }

    private async Task LeaveGcIndexAsync(BlockHash hash, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _db.Client.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = _db.Tables.Blocks,
                    Key = BlockKey(hash),
                    UpdateExpression = "REMOVE #gcs",
                    ConditionExpression = "#r = :true OR #rc > :zero",
                    ExpressionAttributeNames = new() { ["#gcs"] = BlocksGcIndexPartitionKey, ["#r"] = ReferencedAttribute, ["#rc"] = ReferenceCountAttribute },
                    ExpressionAttributeValues = new() { [":true"] = Ddb.Bool(true), [":zero"] = Ddb.N(0) },
                    ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
                },
                cancellationToken).ConfigureAwait(false);
            _db.Capacity.Record(nameof(ListUnreferencedAsync), response.ConsumedCapacity);
        }
        catch (ConditionalCheckFailedException)
        {
            // Forgotten meanwhile.
        }
    }
}
