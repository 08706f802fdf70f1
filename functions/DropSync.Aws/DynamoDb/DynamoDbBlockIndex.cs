using Amazon.DynamoDBv2.Model;
using DropSync.Core.Content;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// The block index in DynamoDB: per block (partition = hash) one block item and one holder item per user who stored it.
/// What keeps a block from collection lives on the block item, so <see cref="TryForgetAsync"/> re-checks it atomically
/// in the condition of its delete: <c>rc</c>, how many revisions name the block (counted up before a commit that names
/// it, down when the retention policy forgets a revision; a count left high by a failed commit keeps the block, never
/// loses it), <c>r</c>, the sticky flag of builds before retention (such blocks are kept for good), and <c>pin</c>, the
/// latest expiry of an upload session that declared it.
/// Candidates come from a sparse, sharded GSI on (shard, stored time) that holds only blocks not known to be referenced.
/// </summary>
public sealed class DynamoDbBlockIndex : IBlockIndex
{
    internal const string BlockItemKey = "b";
    internal const string HolderPrefix = "u#";
    internal const string SizeAttribute = "sz";
    internal const string ReferencedAttribute = "r";
    internal const string ReferenceCountAttribute = "rc";
    internal const string PinAttribute = "pin";
    internal const string AtAttribute = "at";

    private readonly DynamoDbContext _db;

    public DynamoDbBlockIndex(DynamoDbContext db) => _db = db ?? throw new ArgumentNullException(nameof(db));

    public async Task RecordAsync(string userId, BlockHash hash, int size, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var update = await _db.Client.UpdateItemAsync(
            new UpdateItemRequest
            {
                TableName = _db.Tables.Blocks,
                Key = BlockKey(hash),
                UpdateExpression = "SET #sz = :sz, #st = :st, #gcs = :gcs",
                ExpressionAttributeNames = new() { ["#sz"] = SizeAttribute, ["#st"] = BlocksGcIndexSortKey, ["#gcs"] = BlocksGcIndexPartitionKey },
                ExpressionAttributeValues = new()
                {
                    [":sz"] = Ddb.N(size),
                    [":st"] = Ddb.N(Ddb.Ms(at)),
                    [":gcs"] = Ddb.S(Ddb.Shard(hash.Hex, GcShards)),
                },
                ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
            },
            cancellationToken).ConfigureAwait(false);
        _db.Capacity.Record(nameof(RecordAsync), update.ConsumedCapacity);
        var put = await _db.Client.PutItemAsync(
            new PutItemRequest
            {
                TableName = _db.Tables.Blocks,
                Item = new(StringComparer.Ordinal)
                {
                    [BlocksPartitionKey] = Ddb.S(hash.Hex),
                    [BlocksSortKey] = Ddb.S(HolderPrefix + userId),
                    [SizeAttribute] = Ddb.N(size),
                    [AtAttribute] = Ddb.N(Ddb.Ms(at)),
                },
                ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
            },
            cancellationToken).ConfigureAwait(false);
        _db.Capacity.Record(nameof(RecordAsync), put.ConsumedCapacity);
    }

    public async Task<IReadOnlyDictionary<BlockHash, int>> FindHeldAsync(string userId, IReadOnlyCollection<BlockHash> hashes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        var keys = hashes.Distinct().Select(h => Ddb.Key(BlocksPartitionKey, h.Hex, BlocksSortKey, HolderPrefix + userId)).ToList();
        if (keys.Count == 0)
        {
            return new Dictionary<BlockHash, int>();
        }

        var items = await _db.BatchGetAsync(
            nameof(FindHeldAsync), _db.Tables.Blocks, keys, cancellationToken, "#h, #sz", new() { ["#h"] = BlocksPartitionKey, ["#sz"] = SizeAttribute }).ConfigureAwait(false);
        return items.ToDictionary(i => BlockHash.Parse(i.RequireS(BlocksPartitionKey)), i => (int)i.RequireN(SizeAttribute));
    }

    public async Task<IReadOnlyList<StoredBlock>> ListUnreferencedAsync(DateTimeOffset storedBefore, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        var found = new List<StoredBlock>();
        foreach (var shard in Ddb.Shards(GcShards))
        {
            var request = new QueryRequest
            {
                TableName = _db.Tables.Blocks,
                IndexName = BlocksGcIndex,
                KeyConditionExpression = "#gcs = :shard AND #st < :before",
                ExpressionAttributeNames = new() { ["#gcs"] = BlocksGcIndexPartitionKey, ["#st"] = BlocksGcIndexSortKey },
                ExpressionAttributeValues = new() { [":shard"] = Ddb.S(shard), [":before"] = Ddb.N(Ddb.Ms(storedBefore)) },
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

                    if (block.GetBool(ReferencedAttribute) || block.GetN(ReferenceCountAttribute) > 0)
                    {
                        await LeaveGcIndexAsync(hash, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    if (block.GetN(PinAttribute) is { } pin && pin >= Ddb.Ms(now))
                    {
                        continue;
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
            if (block?.GetN(BlocksGcIndexSortKey) is not { } stored || stored >= Ddb.Ms(now) || block.GetBool(ReferencedAttribute) || block.GetN(ReferenceCountAttribute) > 0 ||
                (block.GetN(PinAttribute) is { } pin && pin >= Ddb.Ms(now)))
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
                    Delete = new Delete
                    {
                        TableName = _db.Tables.Blocks,
                        Key = BlockKey(hash),
                        ConditionExpression = "#st < :now AND attribute_not_exists(#r) AND (attribute_not_exists(#rc) OR #rc <= :zero) AND (attribute_not_exists(#pin) OR #pin < :now)",
                        ExpressionAttributeNames = new() { ["#st"] = BlocksGcIndexSortKey, ["#r"] = ReferencedAttribute, ["#rc"] = ReferenceCountAttribute, ["#pin"] = PinAttribute },
                        ExpressionAttributeValues = new() { [":now"] = Ddb.N(Ddb.Ms(now)), [":zero"] = Ddb.N(0) },
                    },
                },
            };
            transaction.AddRange(holders.Take(DynamoDbFileMetadataStore.MaxTransactionItems - 1)
                .Select(k => new TransactWriteItem { Delete = new Delete { TableName = _db.Tables.Blocks, Key = k } }));
            try
            {
                var response = await _db.Client.TransactWriteItemsAsync(
                    new TransactWriteItemsRequest { TransactItems = transaction, ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL },
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

            // More holders than one transaction takes: the block item is gone, so the rest are only leftovers.
            var rest = holders.Skip(DynamoDbFileMetadataStore.MaxTransactionItems - 1).Select(Ddb.DeleteRequest).ToList();
            if (rest.Count > 0)
            {
                await _db.BatchWriteAsync(nameof(TryForgetAsync), _db.Tables.Blocks, rest, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }

        return false;
    }

    /// <summary>
    /// Counts one reference per revision for each recorded block the revisions name, before the commit that stores them,
    /// which also takes the blocks out of the GC index. Blocks the index never recorded are left alone.
    /// </summary>
    internal Task MarkReferencedAsync(IEnumerable<IReadOnlyList<BlockRef>> revisions, CancellationToken cancellationToken) =>
        AddReferencesAsync(revisions, +1, default, cancellationToken);

    /// <summary>
    /// Drops one reference per forgotten revision; a block no revision names any more goes back into the GC index as
    /// stored <paramref name="now"/>, so it is collected after a fresh grace period (a client told it holds the block may
    /// still be about to commit it).
    /// </summary>
    internal Task ReleaseAsync(IEnumerable<IReadOnlyList<BlockRef>> revisions, DateTimeOffset now, CancellationToken cancellationToken) =>
        AddReferencesAsync(revisions, -1, now, cancellationToken);

    private async Task AddReferencesAsync(IEnumerable<IReadOnlyList<BlockRef>> revisions, int sign, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var counts = revisions.SelectMany(blocks => blocks.Select(b => b.Hash).Distinct()).CountBy(h => h).ToList();
        var operation = sign > 0 ? "ApplyAsync" : "ForgetAsync";
        await Parallel.ForEachAsync(
            counts,
            new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
            async (count, ct) =>
            {
                try
                {
                    var response = await _db.Client.UpdateItemAsync(
                        new UpdateItemRequest
                        {
                            TableName = _db.Tables.Blocks,
                            Key = BlockKey(count.Key),
                            UpdateExpression = sign > 0 ? "ADD #rc :n REMOVE #gcs" : "ADD #rc :n",
                            ConditionExpression = "attribute_exists(#h)",
                            ExpressionAttributeNames = sign > 0
                                ? new() { ["#rc"] = ReferenceCountAttribute, ["#gcs"] = BlocksGcIndexPartitionKey, ["#h"] = BlocksPartitionKey }
                                : new() { ["#rc"] = ReferenceCountAttribute, ["#h"] = BlocksPartitionKey },
                            ExpressionAttributeValues = new() { [":n"] = Ddb.N(sign * count.Value) },
                            ReturnValues = Amazon.DynamoDBv2.ReturnValue.ALL_NEW,
                            ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
                        },
                        ct).ConfigureAwait(false);
                    _db.Capacity.Record(operation, response.ConsumedCapacity);
                    if (sign < 0 && response.Attributes.GetN(ReferenceCountAttribute) <= 0 && !response.Attributes.GetBool(ReferencedAttribute))
                    {
                        await RejoinGcIndexAsync(count.Key, now, ct).ConfigureAwait(false);
                    }
                }
                catch (ConditionalCheckFailedException)
                {
                    // Never recorded, or forgotten meanwhile: nothing to count.
                }
            }).ConfigureAwait(false);
    }

    private async Task RejoinGcIndexAsync(BlockHash hash, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _db.Client.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = _db.Tables.Blocks,
                    Key = BlockKey(hash),
                    UpdateExpression = "SET #gcs = :shard, #st = :now",
                    ConditionExpression = "#rc <= :zero",
                    ExpressionAttributeNames = new() { ["#gcs"] = BlocksGcIndexPartitionKey, ["#st"] = BlocksGcIndexSortKey, ["#rc"] = ReferenceCountAttribute },
                    ExpressionAttributeValues = new() { [":shard"] = Ddb.S(Ddb.Shard(hash.Hex, GcShards)), [":now"] = Ddb.N(Ddb.Ms(now)), [":zero"] = Ddb.N(0) },
                    ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
                },
                cancellationToken).ConfigureAwait(false);
            _db.Capacity.Record("ForgetAsync", response.ConsumedCapacity);
        }
        catch (ConditionalCheckFailedException)
        {
            // Referenced again meanwhile.
        }
    }

    /// <summary>Pins blocks until <paramref name="expiresAt"/> (an upload session declared them), keeping the latest expiry.</summary>
    internal async Task PinAsync(IEnumerable<BlockRef> blocks, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await Parallel.ForEachAsync(
            blocks.Select(b => b.Hash).Distinct(),
            new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
            async (hash, ct) =>
            {
                try
                {
                    var response = await _db.Client.UpdateItemAsync(
                        new UpdateItemRequest
                        {
                            TableName = _db.Tables.Blocks,
                            Key = BlockKey(hash),
                            UpdateExpression = "SET #pin = :exp",
                            ConditionExpression = "attribute_not_exists(#pin) OR #pin < :exp",
                            ExpressionAttributeNames = new() { ["#pin"] = PinAttribute },
                            ExpressionAttributeValues = new() { [":exp"] = Ddb.N(Ddb.Ms(expiresAt)) },
                            ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
                        },
                        ct).ConfigureAwait(false);
                    _db.Capacity.Record("CreateAsync", response.ConsumedCapacity);
                }
                catch (ConditionalCheckFailedException)
                {
                    // Already pinned at least as long.
                }
            }).ConfigureAwait(false);
    }

    private static Dictionary<string, AttributeValue> BlockKey(BlockHash hash) => Ddb.Key(BlocksPartitionKey, hash.Hex, BlocksSortKey, BlockItemKey);

    private Task<Dictionary<string, AttributeValue>?> ReadBlockItemAsync(BlockHash hash, string operation, CancellationToken cancellationToken) =>
        _db.GetItemAsync(operation, _db.Tables.Blocks, BlockKey(hash), cancellationToken);

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
