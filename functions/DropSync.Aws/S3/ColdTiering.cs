using System.Globalization;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using DropSync.Aws.DynamoDb;
using DropSync.Core.Content;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.Aws.S3;

/// <summary>
/// Cold tiering of blocks: a block no current revision names (only old versions or deleted files do) is tagged
/// <c>cold=true</c> once it has been so for <see cref="DynamoDbCurrentReferences.ColdAfter"/>, and the bucket's lifecycle
/// rule (tag filter cold=true) moves it to S3 Glacier Instant Retrieval — which still serves GETs directly, so presigned
/// downloads of old revisions keep working. A block tagged cold that a current revision names again (a restore, the same
/// bytes in a new file) is tagged <c>cold=false</c>. Blocks no revision references are <see cref="Core.Blocks.BlockCollector"/>'s.
/// A run reads only the tiering queue <see cref="DynamoDbCurrentReferences"/> fills from what changed (never a table
/// scan, never the bucket): at most <see cref="MaxBlocksPerRun"/> due items, each re-checked against its block item
/// (the count may have moved since it was queued), tagged, and removed; what is left waits for the next run.
/// Per item: one GetItem, one conditional UpdateItem, one DeleteItem, and one PutObjectTagging when the tag changes.
/// </summary>
public sealed class ColdTiering(DynamoDbContext db, IAmazonS3 s3, S3BlockStoreOptions options, TimeProvider clock)
{
    public const string TagKey = "cold";

    /// <param name="Checked">Queue items read (and removed) by the run.</param>
    /// <param name="More">Whether due items were left for the next run.</param>
    public sealed record Report(int Checked, int TaggedCold, int TaggedWarm, bool More);

    /// <summary>Queue items one run handles at most (like GC's CollectionMaxBlocksPerRun).</summary>
    public int MaxBlocksPerRun { get; init; } = 10_000;

    public async Task<Report> RunOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var due = await ListDueAsync(now, MaxBlocksPerRun + 1, ct).ConfigureAwait(false);
        var more = due.Count > MaxBlocksPerRun;
        var work = due.Take(MaxBlocksPerRun).ToList();
        var (cold, warm) = (0, 0);
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (item, token) =>
        {
            switch (await TierAsync(item.Hash, now, token).ConfigureAwait(false))
            {
                case true:
                    Interlocked.Increment(ref cold);
                    break;
                case false:
                    Interlocked.Increment(ref warm);
                    break;
            }

            await DeleteQueueItemAsync(item.Key, token).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return new Report(work.Count, cold, warm, more);
    }

    /// <summary>Queue items due by <paramref name="now"/>, oldest first per shard, at most <paramref name="limit"/>.</summary>
    private async Task<List<(BlockHash Hash, Dictionary<string, AttributeValue> Key)>> ListDueAsync(DateTimeOffset now, int limit, CancellationToken ct)
    {
        var found = new List<(BlockHash, Dictionary<string, AttributeValue>)>();
        var before = (Ddb.Ms(now) + 1).ToString("D15", CultureInfo.InvariantCulture);
        foreach (var shard in Ddb.Shards(db.Tables.GcShards))
        {
            var items = await db.QueryAllAsync(
                nameof(ColdTiering),
                new QueryRequest
                {
                    TableName = db.Tables.Blocks,
                    KeyConditionExpression = "#h = :q AND #k < :before",
                    ExpressionAttributeNames = new() { ["#h"] = BlocksPartitionKey, ["#k"] = BlocksSortKey },
                    ExpressionAttributeValues = new() { [":q"] = Ddb.S(DynamoDbCurrentReferences.QueuePartition(shard)), [":before"] = Ddb.S(before) },
                    Limit = limit - found.Count,
                },
                ct,
                limit - found.Count).ConfigureAwait(false);
            foreach (var item in items.Take(limit - found.Count))
            {
                var key = item.RequireS(BlocksSortKey);
                found.Add((BlockHash.Parse(key[(key.IndexOf('#', StringComparison.Ordinal) + 1)..]), Ddb.Key(BlocksPartitionKey, item.RequireS(BlocksPartitionKey), BlocksSortKey, key)));
            }

            if (found.Count >= limit)
            {
                break;
            }
        }

        return found;
    }

    /// <summary>
    /// Decides from the block item now: cold (true) if no current revision names it and it is not tagged cold yet, warm
    /// (false) if one does and it is tagged cold, else nothing (null). The block item changes first, under the same
    /// condition, so a count that moves meanwhile either fails the condition or finds the new state and queues the block
    /// again; the tag follows (a crash between leaves the queue item for the next run, which tags it).
    /// </summary>
    private async Task<bool?> TierAsync(BlockHash hash, DateTimeOffset now, CancellationToken ct)
    {
        var key = Ddb.Key(BlocksPartitionKey, hash.Hex, BlocksSortKey, DynamoDbBlockIndex.BlockItemKey);
        var block = await db.GetItemAsync(nameof(ColdTiering), db.Tables.Blocks, key, ct).ConfigureAwait(false);
        if (block is null || block.GetN(DynamoDbBlockIndex.TombstoneAttribute) is not null)
        {
            return null;
        }

        var current = block.GetN(DynamoDbCurrentReferences.CurrentCountAttribute) ?? 0;
        var taggedCold = block.GetN(DynamoDbCurrentReferences.ColdAttribute) is not null;
        bool cold;
        UpdateItemRequest update;
        if (current <= 0)
        {
            cold = true;
            update = new UpdateItemRequest
            {
                UpdateExpression = "SET #cold = if_not_exists(#cold, :now)",
                ConditionExpression = "attribute_exists(#h) AND attribute_not_exists(#gone) AND (attribute_not_exists(#cc) OR #cc <= :zero)",
                ExpressionAttributeValues = new() { [":now"] = Ddb.N(Ddb.Ms(now)), [":zero"] = Ddb.N(0) },
            };
        }
        else if (taggedCold)
        {
            cold = false;
            update = new UpdateItemRequest
            {
                UpdateExpression = "REMOVE #cold",
                ConditionExpression = "attribute_exists(#h) AND attribute_not_exists(#gone) AND #cc > :zero",
                ExpressionAttributeValues = new() { [":zero"] = Ddb.N(0) },
            };
        }
        else
        {
            return null;
        }

        update.TableName = db.Tables.Blocks;
        update.Key = key;
        update.ExpressionAttributeNames = new()
        {
            ["#cold"] = DynamoDbCurrentReferences.ColdAttribute,
            ["#h"] = BlocksPartitionKey,
            ["#gone"] = DynamoDbBlockIndex.TombstoneAttribute,
            ["#cc"] = DynamoDbCurrentReferences.CurrentCountAttribute,
        };
        update.ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL;
        try
        {
            var response = await db.Client.UpdateItemAsync(update, ct).ConfigureAwait(false);
            db.Capacity.Record(nameof(ColdTiering), response.ConsumedCapacity);
        }
        catch (ConditionalCheckFailedException)
        {
            return null;
        }

        return await TagAsync(hash, cold, ct).ConfigureAwait(false) ? cold : null;
    }

    /// <summary>Sets the tag; false if the object is gone.</summary>
    private async Task<bool> TagAsync(BlockHash hash, bool cold, CancellationToken ct)
    {
        try
        {
            await s3.PutObjectTaggingAsync(
                new PutObjectTaggingRequest
                {
                    BucketName = options.BucketName,
                    Key = options.KeyPrefix + hash.Hex,
                    Tagging = new Tagging { TagSet = [new Amazon.S3.Model.Tag { Key = TagKey, Value = cold ? "true" : "false" }] },
                },
                ct).ConfigureAwait(false);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private async Task DeleteQueueItemAsync(Dictionary<string, AttributeValue> key, CancellationToken ct)
    {
        var response = await db.Client.DeleteItemAsync(
            new DeleteItemRequest { TableName = db.Tables.Blocks, Key = key, ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL }, ct).ConfigureAwait(false);
        db.Capacity.Record(nameof(ColdTiering), response.ConsumedCapacity);
    }
}
