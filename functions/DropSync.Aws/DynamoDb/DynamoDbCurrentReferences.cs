using System.Globalization;
using Amazon.DynamoDBv2.Model;
using DropSync.Core.Content;
using DropSync.Core.Model;
using DropSync.Core.Retention;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// Cold tiering's bookkeeping, kept off the commit path: per block, <c>cc</c> on its block item counts the paths whose
/// current revision names it; per path, an item <c>t#{pathKey}</c> in the Revisions table remembers which revision was
/// counted. <see cref="ObserveAsync"/> is fed every changed path by the retention pass (the sparse retention-due index
/// already lists each path written since it was last checked, so it serves as the change cursor: no commit writes
/// anything more, and the pass is bounded and resumes where it stopped). When a block's count reaches 0 it is queued
/// for tiering at <c>now + coldAfter</c>; when a block tagged cold is counted again (a restore, a new file with the same
/// bytes) it is queued to be warmed now. The queue is items in the Blocks table, partition <c>tq#{shard}</c>, sort key
/// due time + hash, so a run reads only what is due (<see cref="S3.ColdTiering"/>).
/// Counts move before the path's item does: a crash between them counts a block twice, which keeps it warm (a cost),
/// never tiers a block a current file names.
/// </summary>
public sealed class DynamoDbCurrentReferences(DynamoDbContext db, TimeSpan coldAfter)
{
    internal const string CurrentCountAttribute = "cc";

    /// <summary>On the block item while its object is tagged cold (the time it was tagged, ms).</summary>
    internal const string ColdAttribute = "cold";

    internal const string QueuePrefix = "tq#";
    private const string CountedPrefix = "t#";
    private const string CountedRevAttribute = "cr";

    /// <summary>The newest revision of the path seen by the last pass (its older ones were queued or counted then).</summary>
    private const string SeenRevAttribute = "sr";

    private readonly DynamoDbFileMetadataStore _files = new(db);

    /// <summary>How long a block waits, once no current revision names it, before it is tagged cold.</summary>
    public TimeSpan ColdAfter { get; } = coldAfter;

    /// <summary>
    /// Brings the counts in line with the path's current revision (none for a deleted file or a folder), and queues the
    /// blocks of revisions newer than the newest one seen before that are not current (replaced between two passes, or
    /// the last one of a deleted file): the tiering run checks their counts when they are due.
    /// </summary>
    public async Task ObserveAsync(FileHistory history, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(history);
        var entry = history.Entry;
        var current = entry.IsLiveFile ? entry.Rev : null;
        var newest = history.Revisions.Count > 0 ? history.Revisions[0].Rev : null;
        var key = Ddb.Key(RevisionsPartitionKey, entry.NamespaceId, RevisionsSortKey, CountedPrefix + entry.PathKey);
        var state = await db.GetItemAsync(nameof(ObserveAsync), db.Tables.Revisions, key, cancellationToken).ConfigureAwait(false);
        var counted = state?.GetS(CountedRevAttribute);
        var seen = state?.GetS(SeenRevAttribute);
        if (counted == current && seen == newest)
        {
            return;
        }

        var added = await BlocksOfAsync(entry.NamespaceId, current, cancellationToken).ConfigureAwait(false);
        var removed = await BlocksOfAsync(entry.NamespaceId, counted, cancellationToken).ConfigureAwait(false);
        var between = new HashSet<BlockHash>();
        foreach (var stamp in history.Revisions.TakeWhile(r => r.Rev != seen).Where(r => r.Rev != current && r.Rev != counted))
        {
            between.UnionWith(await BlocksOfAsync(entry.NamespaceId, stamp.Rev, cancellationToken).ConfigureAwait(false));
        }

        between.ExceptWith(added);
        between.ExceptWith(removed);
        var deltas = added.Except(removed).Select(h => (Hash: h, Delta: 1)).Concat(removed.Except(added).Select(h => (Hash: h, Delta: -1))).ToList();
        await Parallel.ForEachAsync(deltas, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (d, ct) =>
            await CountAsync(d.Hash, d.Delta, now, ct).ConfigureAwait(false)).ConfigureAwait(false);
        await Parallel.ForEachAsync(between, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (hash, ct) =>
            await EnqueueAsync(hash, now + ColdAfter, ct).ConfigureAwait(false)).ConfigureAwait(false);
        await MoveCountedAsync(key, counted, seen, current, newest, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The backfill's step for one path written before this bookkeeping existed: if the path has no <c>t#</c> item (it
    /// was never observed), counts the blocks of its current revision and records that revision as counted. The newest
    /// revision seen is left unset, so the path's next observation queues its older revisions' blocks for a check (a
    /// path written twice since the counting began but not yet observed would otherwise never queue the first one's).
    /// False if the path was counted already (observed, or backfilled by an earlier run), so nothing is counted twice.
    /// Counts move before the path item, as in <see cref="ObserveAsync"/>: a crash between counts twice (kept warm).
    /// </summary>
    public async Task<bool> CountIfUncountedAsync(FileEntry entry, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (!entry.IsLiveFile)
        {
            return false;
        }

        var key = Ddb.Key(RevisionsPartitionKey, entry.NamespaceId, RevisionsSortKey, CountedPrefix + entry.PathKey);
        if (await db.GetItemAsync(nameof(CountIfUncountedAsync), db.Tables.Revisions, key, cancellationToken).ConfigureAwait(false) is not null)
        {
            return false;
        }

        foreach (var hash in await BlocksOfAsync(entry.NamespaceId, entry.Rev, cancellationToken).ConfigureAwait(false))
        {
            await CountAsync(hash, 1, now, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            // UpdateItem, not PutItem: it creates the item too, and the maintenance role has no PutItem on Revisions.
            var response = await db.Client.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = db.Tables.Revisions,
                    Key = key,
                    UpdateExpression = "SET #cr = :rev",
                    ConditionExpression = "attribute_not_exists(#k)",
                    ExpressionAttributeNames = new() { ["#cr"] = CountedRevAttribute, ["#k"] = RevisionsSortKey },
                    ExpressionAttributeValues = new() { [":rev"] = Ddb.S(entry.Rev) },
                    ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
                },
                cancellationToken).ConfigureAwait(false);
            db.Capacity.Record(nameof(CountIfUncountedAsync), response.ConsumedCapacity);
        }
        catch (ConditionalCheckFailedException)
        {
            // Observed meanwhile (runs are one at a time, so only by a pass that lost its lease): counted twice, kept warm.
        }

        return true;
    }

    /// <summary>
    /// Forgets a path's <c>t#</c> item once retention has forgotten the path itself (a deleted file past its retention),
    /// if nothing is counted for it (a deleted path's item counts nothing; a path written again since keeps it).
    /// </summary>
    public async Task ForgetPathAsync(string namespaceId, string pathKey, CancellationToken cancellationToken)
    {
        try
        {
            var response = await db.Client.DeleteItemAsync(
                new DeleteItemRequest
                {
                    TableName = db.Tables.Revisions,
                    Key = Ddb.Key(RevisionsPartitionKey, namespaceId, RevisionsSortKey, CountedPrefix + pathKey),
                    ConditionExpression = "attribute_not_exists(#cr)",
                    ExpressionAttributeNames = new() { ["#cr"] = CountedRevAttribute },
                    ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
                },
                cancellationToken).ConfigureAwait(false);
            db.Capacity.Record(nameof(ForgetPathAsync), response.ConsumedCapacity);
        }
        catch (ConditionalCheckFailedException)
        {
            // Counted: the path is live again, and its item is still needed.
        }
    }

    /// <summary>Queues a block for the tiering run at <paramref name="due"/>.</summary>
    internal async Task EnqueueAsync(BlockHash hash, DateTimeOffset due, CancellationToken cancellationToken)
    {
        var response = await db.Client.PutItemAsync(
            new PutItemRequest
            {
                TableName = db.Tables.Blocks,
                Item = new(StringComparer.Ordinal)
                {
                    [BlocksPartitionKey] = Ddb.S(QueuePartition(Ddb.Shard(hash.Hex, db.Tables.GcShards))),
                    [BlocksSortKey] = Ddb.S(QueueKey(due, hash)),
                },
                ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
            },
            cancellationToken).ConfigureAwait(false);
        db.Capacity.Record(nameof(EnqueueAsync), response.ConsumedCapacity);
    }

    internal static string QueuePartition(string shard) => QueuePrefix + shard;

    /// <summary>Due time (ms, 15 digits) + "#" + hash: a shard's queue sorts by due time.</summary>
    internal static string QueueKey(DateTimeOffset due, BlockHash hash) =>
        Math.Max(0, Ddb.Ms(due)).ToString("D15", CultureInfo.InvariantCulture) + "#" + hash.Hex;

    private async Task<HashSet<BlockHash>> BlocksOfAsync(string namespaceId, string? rev, CancellationToken cancellationToken)
    {
        if (rev is null)
        {
            return [];
        }

        // A revision forgotten meanwhile leaves its blocks counted: kept warm, never tiered by mistake.
        var revision = await _files.GetRevisionAsync(namespaceId, rev, cancellationToken).ConfigureAwait(false);
        return revision?.Blocks.Select(b => b.Hash).ToHashSet() ?? [];
    }

    private async Task CountAsync(BlockHash hash, int delta, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Dictionary<string, AttributeValue> block;
        try
        {
            var response = await db.Client.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = db.Tables.Blocks,
                    Key = Ddb.Key(BlocksPartitionKey, hash.Hex, BlocksSortKey, DynamoDbBlockIndex.BlockItemKey),
                    UpdateExpression = "ADD #cc :d",
                    ConditionExpression = "attribute_exists(#h)",
                    ExpressionAttributeNames = new() { ["#cc"] = CurrentCountAttribute, ["#h"] = BlocksPartitionKey },
                    ExpressionAttributeValues = new() { [":d"] = Ddb.N(delta) },
                    ReturnValues = Amazon.DynamoDBv2.ReturnValue.ALL_NEW,
                    ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
                },
                cancellationToken).ConfigureAwait(false);
            db.Capacity.Record(nameof(ObserveAsync), response.ConsumedCapacity);
            block = response.Attributes;
        }
        catch (ConditionalCheckFailedException)
        {
            // Not in the block index (collected, or never recorded): nothing to tier.
            return;
        }

        var cold = block.GetN(ColdAttribute) is not null;
        if (delta < 0 && block.GetN(CurrentCountAttribute) <= 0 && !cold)
        {
            await EnqueueAsync(hash, now + ColdAfter, cancellationToken).ConfigureAwait(false);
        }
        else if (delta > 0 && cold)
        {
            await EnqueueAsync(hash, now, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Records what was counted (the current revision, if any) and the newest revision seen, if nothing moved them meanwhile.</summary>
    private async Task MoveCountedAsync(
        Dictionary<string, AttributeValue> key, string? counted, string? seen, string? current, string? newest, CancellationToken cancellationToken)
    {
        var names = new Dictionary<string, string> { ["#cr"] = CountedRevAttribute, ["#sr"] = SeenRevAttribute };
        var values = new Dictionary<string, AttributeValue>();
        var condition = (counted is null ? "attribute_not_exists(#cr)" : "#cr = :counted") + " AND " + (seen is null ? "attribute_not_exists(#sr)" : "#sr = :seen");
        if (counted is not null)
        {
            values[":counted"] = Ddb.S(counted);
        }

        if (seen is not null)
        {
            values[":seen"] = Ddb.S(seen);
        }

        var set = new List<string>();
        var remove = new List<string>();
        if (current is null)
        {
            remove.Add("#cr");
        }
        else
        {
            set.Add("#cr = :current");
            values[":current"] = Ddb.S(current);
        }

        if (newest is null)
        {
            remove.Add("#sr");
        }
        else
        {
            set.Add("#sr = :newest");
            values[":newest"] = Ddb.S(newest);
        }

        var update = (set.Count > 0 ? "SET " + string.Join(", ", set) : "") + (remove.Count > 0 ? " REMOVE " + string.Join(", ", remove) : "");
        try
        {
            var updated = await db.Client.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = db.Tables.Revisions,
                    Key = key,
                    UpdateExpression = update.Trim(),
                    ConditionExpression = condition,
                    ExpressionAttributeNames = names,
                    ExpressionAttributeValues = values.Count > 0 ? values : null,
                    ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
                },
                cancellationToken).ConfigureAwait(false);
            db.Capacity.Record(nameof(ObserveAsync), updated.ConsumedCapacity);
        }
        catch (ConditionalCheckFailedException)
        {
            // Another pass moved it first and both counted (passes are meant to run one at a time: the maintenance
            // function's schedule); the next change of the path counts from what that pass wrote.
        }
    }
}
