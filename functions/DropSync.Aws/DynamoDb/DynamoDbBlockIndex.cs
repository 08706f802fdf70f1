using Amazon.DynamoDBv2.Model;
using DropSync.Core.Content;
using DropSync.Core.Errors;
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
public sealed partial class DynamoDbBlockIndex : IBlockIndex
{
    internal const string BlockItemKey = "b";
    internal const string HolderPrefix = "u#";
    internal const string SizeAttribute = "sz";
    internal const string ReferencedAttribute = "r";
    internal const string ReferenceCountAttribute = "rc";
    internal const string PinAttribute = "pin";
    internal const string AtAttribute = "at";

    /// <summary>
    /// How long a session's pin must still run for a block to be reserved under it: far longer than a request takes
    /// (API Gateway's limit is 30 s), far shorter than a session lives. Nearer its expiry the block is staged instead.
    /// </summary>
    public static readonly TimeSpan ReservationMargin = TimeSpan.FromMinutes(2);

    /// <summary>Set by the collector before it deletes the bytes (<see cref="TryForgetAsync"/>), removed with the item after.</summary>
    internal const string TombstoneAttribute = "gone";

    private readonly DynamoDbContext _db;

    public DynamoDbBlockIndex(DynamoDbContext db) => _db = db ?? throw new ArgumentNullException(nameof(db));

    public async Task RecordAsync(string userId, BlockHash hash, int size, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await RecordStoredAsync(hash, size, at, cancellationToken).ConfigureAwait(false);
        await RecordHolderAsync(userId, hash, size, at, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records that the block's bytes are (about to be) stored: its size, and its stored time as a GC candidate until a
    /// commit references it. Refused while the collector holds a tombstone on it (its bytes are being deleted): waits a
    /// little for the collector to finish, then answers 503 so the client tries again.
    /// </summary>
    internal async Task RecordStoredAsync(BlockHash hash, int size, DateTimeOffset at, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var update = await _db.Client.UpdateItemAsync(
                    new UpdateItemRequest
                    {
                        TableName = _db.Tables.Blocks,
                        Key = BlockKey(hash),
                        UpdateExpression = "SET #sz = :sz, #st = :st, #gcs = :gcs",
                        ConditionExpression = "attribute_not_exists(#gone)",
                        ExpressionAttributeNames = new() { ["#sz"] = SizeAttribute, ["#st"] = BlocksGcIndexSortKey, ["#gcs"] = BlocksGcIndexPartitionKey, ["#gone"] = TombstoneAttribute },
                        ExpressionAttributeValues = new()
                        {
                            [":sz"] = Ddb.N(size),
                            [":st"] = Ddb.N(Ddb.Ms(at)),
                            [":gcs"] = Ddb.S(Ddb.Shard(hash.Hex, _db.Tables.GcShards)),
                        },
                        ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
                    },
                    cancellationToken).ConfigureAwait(false);
                _db.Capacity.Record(nameof(RecordAsync), update.ConsumedCapacity);
                return;
            }
            catch (ConditionalCheckFailedException) when (attempt < 8)
            {
                await Backoff.DelayAsync(attempt + 1, cancellationToken).ConfigureAwait(false);
            }
            catch (ConditionalCheckFailedException)
            {
                throw new DropSyncException(ErrorKind.Unavailable, ErrorCodes.MetadataBusy, $"Block {hash} is being garbage-collected; upload it again in a moment.");
            }
        }
    }

    /// <summary>Records that <paramref name="userId"/> proved they hold the block (dedup lets them skip uploading it).</summary>
    internal async Task RecordHolderAsync(string userId, BlockHash hash, int size, DateTimeOffset at, CancellationToken cancellationToken)
    {
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

    /// <summary>
    /// Reserves a block no one has stored for <paramref name="userId"/>'s direct upload to its final key: records it as
    /// stored at <paramref name="at"/> and the user as its holder — only if no stored time exists yet (never stored, and
    /// no tombstone), so of two users uploading the same new block at once exactly one gets the direct URL. False:
    /// someone stored it before.
    /// <para>
    /// Not a GC candidate yet (no <c>gcs</c> key): a reservation needs a live upload session's pin on the block, which keeps
    /// it until the session expires, so a candidate could not be collected before then anyway. The session's end decides:
    /// committed, the block is referenced (and the commit pays no index delete); expired uncommitted, the expiry sweep
    /// hands its unreferenced blocks to the GC index (<see cref="JoinGcIndexIfUnreferencedAsync"/>). That saves the index
    /// insert here and the index delete on the block's first reference: 2 WRU per new block.
    /// </para>
    /// </summary>
    internal async Task<bool> TryReserveAsync(string userId, BlockRef block, DateTimeOffset at, CancellationToken cancellationToken)
    {
        try
        {
            // Only under a session's pin with ReservationMargin left: the expiry sweep reads a session's blocks, hands them
            // over, then deletes it; a reservation landing after that hand-over would leave a block no one collects. With
            // the margin, a reservation lands before the pin (the latest expiry of the sessions declaring the block) and
            // so before any sweep of those sessions, unless its request took longer than the margin.
            var update = await _db.Client.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = _db.Tables.Blocks,
                    Key = BlockKey(block.Hash),
                    UpdateExpression = "SET #sz = :sz, #st = :st",
                    ConditionExpression = "attribute_not_exists(#st) AND #pin >= :until",
                    ExpressionAttributeNames = new() { ["#sz"] = SizeAttribute, ["#st"] = BlocksGcIndexSortKey, ["#pin"] = PinAttribute },
                    ExpressionAttributeValues = new()
                    {
                        [":sz"] = Ddb.N(block.Size),
                        [":st"] = Ddb.N(Ddb.Ms(at)),
                        [":until"] = Ddb.N(Ddb.Ms(at + ReservationMargin)),
                    },
                    ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
                },
                cancellationToken).ConfigureAwait(false);
            _db.Capacity.Record(nameof(TryReserveAsync), update.ConsumedCapacity);
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }

        await RecordHolderAsync(userId, block.Hash, block.Size, at, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The subset of <paramref name="hashes"/> someone has stored (or reserved): only those can have a staged upload to adopt.</summary>
    internal async Task<IReadOnlySet<BlockHash>> FindStoredAsync(IReadOnlyCollection<BlockHash> hashes, CancellationToken cancellationToken)
    {
        var keys = hashes.Distinct().Select(BlockKey).ToList();
        if (keys.Count == 0)
        {
            return new HashSet<BlockHash>();
        }

        var items = await _db.BatchGetAsync(
            nameof(FindHeldAsync), _db.Tables.Blocks, keys, cancellationToken, "#h, #st", new() { ["#h"] = BlocksPartitionKey, ["#st"] = BlocksGcIndexSortKey }).ConfigureAwait(false);
        return items.Where(i => i.GetN(BlocksGcIndexSortKey) is not null).Select(i => BlockHash.Parse(i.RequireS(BlocksPartitionKey))).ToHashSet();
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
                            ConditionExpression = sign > 0 ? "attribute_exists(#h) AND attribute_not_exists(#gone)" : "attribute_exists(#h)",
                            ExpressionAttributeNames = sign > 0
                                ? new() { ["#rc"] = ReferenceCountAttribute, ["#gcs"] = BlocksGcIndexPartitionKey, ["#h"] = BlocksPartitionKey, ["#gone"] = TombstoneAttribute }
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

    /// <summary>
    /// An upload session ended uncommitted: each of its blocks that is recorded, not referenced and not being collected
    /// becomes a GC candidate stored <paramref name="now"/> (a fresh grace period, as for a released block). Idempotent,
    /// so a sweep that dies before deleting the session hands the blocks over again. A block another live session pins
    /// is still kept by its pin; one referenced meanwhile is left out by the condition.
    /// </summary>
    public async Task JoinGcIndexIfUnreferencedAsync(IEnumerable<BlockRef> blocks, DateTimeOffset now, string operation, CancellationToken cancellationToken)
    {
        // Not referenced (the commit counted it), stored (not someone else's staged block never adopted) and not being
        // collected already; otherwise there is nothing to hand over.
        await Parallel.ForEachAsync(
            blocks.Select(b => b.Hash).Distinct(),
            new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
            async (hash, ct) => await TryJoinGcIndexAsync(
                hash,
                now,
                "attribute_exists(#st) AND attribute_not_exists(#gone) AND attribute_not_exists(#r) AND (attribute_not_exists(#rc) OR #rc <= :zero)",
                new() { ["#gone"] = TombstoneAttribute, ["#r"] = ReferencedAttribute, ["#rc"] = ReferenceCountAttribute },
                operation,
                ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>A released block becomes a candidate again stored <paramref name="now"/>, unless referenced again meanwhile.</summary>
    private Task RejoinGcIndexAsync(BlockHash hash, DateTimeOffset now, CancellationToken cancellationToken) =>
        TryJoinGcIndexAsync(hash, now, "#rc <= :zero", new() { ["#rc"] = ReferenceCountAttribute }, "ForgetAsync", cancellationToken);

    /// <summary>Puts a block in the GC index (shard and stored time) if <paramref name="condition"/> holds; a failed condition is an answer, not an error.</summary>
    private async Task TryJoinGcIndexAsync(
        BlockHash hash, DateTimeOffset now, string condition, Dictionary<string, string> names, string operation, CancellationToken cancellationToken)
    {
        names["#gcs"] = BlocksGcIndexPartitionKey;
        names["#st"] = BlocksGcIndexSortKey;
        try
        {
            var response = await _db.Client.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = _db.Tables.Blocks,
                    Key = BlockKey(hash),
                    UpdateExpression = "SET #gcs = :shard, #st = :now",
                    ConditionExpression = condition,
                    ExpressionAttributeNames = names,
                    ExpressionAttributeValues = new() { [":shard"] = Ddb.S(Ddb.Shard(hash.Hex, _db.Tables.GcShards)), [":now"] = Ddb.N(Ddb.Ms(now)), [":zero"] = Ddb.N(0) },
                    ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
                },
                cancellationToken).ConfigureAwait(false);
            _db.Capacity.Record(operation, response.ConsumedCapacity);
        }
        catch (ConditionalCheckFailedException)
        {
            // The condition said no (see the callers).
        }
    }

    /// <summary>Pins blocks until <paramref name="expiresAt"/> (an upload session declared them), keeping the latest expiry.</summary>
    internal Task PinAsync(IEnumerable<BlockRef> blocks, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        SetPinsAsync(
            blocks,
            ":exp",
            "attribute_not_exists(#pin) OR #pin < :exp", // otherwise already pinned at least as long
            new() { [":exp"] = Ddb.N(Ddb.Ms(expiresAt)) },
            "CreateAsync",
            cancellationToken);

    /// <summary>
    /// Releases an aborted session's pins: a block whose pin is still <paramref name="expiresAt"/> (no session that
    /// expires later declared it) is pinned only until <paramref name="now"/>. A pin is the latest expiry of the
    /// sessions that declared the block, so one declared earlier by a session that is still open loses its pin here too
    /// (its block can then be collected, after its grace period, before that session finishes: the finish answers
    /// blocks_missing and the client sends it again; a committed revision's blocks are counted references and stay).
    /// </summary>
    internal Task UnpinAsync(IEnumerable<BlockRef> blocks, DateTimeOffset expiresAt, DateTimeOffset now, CancellationToken cancellationToken) =>
        SetPinsAsync(
            blocks,
            ":now",
            "#pin = :exp", // otherwise pinned by a session that expires later (or no longer pinned): left as it is
            new() { [":exp"] = Ddb.N(Ddb.Ms(expiresAt)), [":now"] = Ddb.N(Ddb.Ms(now)) },
            "MarkAbortedAsync",
            cancellationToken);

    /// <summary>Sets each distinct block's pin to <paramref name="pinValue"/> where <paramref name="condition"/> holds; a block where it does not is left as it is.</summary>
    private async Task SetPinsAsync(
        IEnumerable<BlockRef> blocks, string pinValue, string condition, Dictionary<string, AttributeValue> values, string operation, CancellationToken cancellationToken)
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
                            UpdateExpression = "SET #pin = " + pinValue,
                            ConditionExpression = condition,
                            ExpressionAttributeNames = new() { ["#pin"] = PinAttribute },
                            ExpressionAttributeValues = new(values), // a request of its own: the SDK may keep what it is given
                            ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
                        },
                        ct).ConfigureAwait(false);
                    _db.Capacity.Record(operation, response.ConsumedCapacity);
                }
                catch (ConditionalCheckFailedException)
                {
                    // The condition said no: see the callers.
                }
            }).ConfigureAwait(false);
    }

    private static Dictionary<string, AttributeValue> BlockKey(BlockHash hash) => Ddb.Key(BlocksPartitionKey, hash.Hex, BlocksSortKey, BlockItemKey);

    private Task<Dictionary<string, AttributeValue>?> ReadBlockItemAsync(BlockHash hash, string operation, CancellationToken cancellationToken) =>
        _db.GetItemAsync(operation, _db.Tables.Blocks, BlockKey(hash), cancellationToken);
}
