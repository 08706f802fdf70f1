using System.Collections.Concurrent;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using DropSync.Aws.DynamoDb;
using DropSync.Core.Content;
using DropSync.Core.Ports;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.Aws.S3;

/// <summary>
/// Cold tiering of blocks: a block that only non-current revisions reference (old versions, deleted files) is tagged
/// <c>cold=true</c>, and the bucket's lifecycle rule (tag filter cold=true) moves it to S3 Glacier Instant Retrieval after
/// N days — which still serves GETs directly, so presigned downloads of old revisions keep working. A block that a
/// current revision references again (a restore) is tagged <c>cold=false</c>. Blocks no revision references are
/// <see cref="Core.Blocks.BlockCollector"/>'s, after the grace period. Runs from the scheduled event: it reads the
/// entries and revisions tables in parallel scan segments (a batch job, never a request path).
/// </summary>
public sealed class ColdTiering(DynamoDbContext db, IFileMetadataStore meta, IAmazonS3 s3, S3BlockStoreOptions options)
{
    public const string TagKey = "cold";

    public sealed record Report(int Revisions, int TaggedCold, int TaggedWarm);

    /// <summary>Parallel scan segments per table.</summary>
    public int Segments { get; init; } = 4;

    /// <summary>What a run decides: the blocks only non-current revisions reference (cold), and those a current revision references (warm).</summary>
    public sealed record Plan(int Revisions, IReadOnlySet<BlockHash> Cold, IReadOnlySet<BlockHash> Warm);

    public async Task<Report> RunOnceAsync(CancellationToken ct)
    {
        var plan = await PlanAsync(ct).ConfigureAwait(false);
        var cold = 0;
        var warm = 0;
        var work = plan.Cold.Select(h => (Hash: h, Cold: true)).Concat(plan.Warm.Select(h => (Hash: h, Cold: false)));
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (block, token) =>
        {
            switch (await RetagAsync(block.Hash, block.Cold, token).ConfigureAwait(false))
            {
                case true when block.Cold:
                    Interlocked.Increment(ref cold);
                    break;
                case true:
                    Interlocked.Increment(ref warm);
                    break;
            }
        }).ConfigureAwait(false);
        return new Report(plan.Revisions, cold, warm);
    }

    /// <summary>The decision of a run, without touching S3: reads the entries and revisions tables.</summary>
    public async Task<Plan> PlanAsync(CancellationToken ct)
    {
        // Current revisions: the rev of every live file entry.
        var current = new ConcurrentDictionary<(string Ns, string Rev), bool>();
        await ScanAsync(db.Tables.Entries, "#pk, #r, #t, #del", new() { ["#pk"] = EntriesPartitionKey, ["#r"] = "r", ["#t"] = "t", ["#del"] = "del" }, item =>
        {
            if (item.GetS("t") == "f" && !item.GetBool("del") && item.GetS("r") is { } rev)
            {
                current[(item.RequireS(EntriesPartitionKey), rev)] = true;
            }
        }, ct).ConfigureAwait(false);

        // Every revision, then its blocks, hot if any current revision names them.
        var revisions = new ConcurrentBag<(string Ns, string Rev)>();
        await ScanAsync(db.Tables.Revisions, "#pk, #k", new() { ["#pk"] = RevisionsPartitionKey, ["#k"] = RevisionsSortKey }, item =>
        {
            var key = item.RequireS(RevisionsSortKey);
            if (key.StartsWith("r#", StringComparison.Ordinal) && key.IndexOf('#', 2) < 0)
            {
                revisions.Add((item.RequireS(RevisionsPartitionKey), key[2..]));
            }
        }, ct).ConfigureAwait(false);

        var hot = new ConcurrentDictionary<BlockHash, bool>();
        var referenced = new ConcurrentDictionary<BlockHash, bool>();
        await Parallel.ForEachAsync(revisions, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (r, token) =>
        {
            var revision = await meta.GetRevisionAsync(r.Ns, r.Rev, token).ConfigureAwait(false);
            var isCurrent = current.ContainsKey(r);
            foreach (var block in revision?.Blocks ?? [])
            {
                referenced[block.Hash] = true;
                if (isCurrent)
                {
                    hot[block.Hash] = true;
                }
            }
        }).ConfigureAwait(false);

        return new Plan(revisions.Count, referenced.Keys.Where(h => !hot.ContainsKey(h)).ToHashSet(), hot.Keys.ToHashSet());
    }

    /// <summary>Whether the block is tagged cold now (null: not tagged, or not stored).</summary>
    public async Task<bool?> IsColdAsync(BlockHash hash, CancellationToken ct)
    {
        try
        {
            var tags = await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = options.BucketName, Key = options.KeyPrefix + hash.Hex }, ct).ConfigureAwait(false);
            var tag = tags.Tagging?.FirstOrDefault(t => t.Key == TagKey);
            return tag is null ? null : tag.Value == "true";
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Sets the tag where it differs; true if it changed it.</summary>
    private async Task<bool> RetagAsync(BlockHash hash, bool cold, CancellationToken ct)
    {
        var now = await IsColdAsync(hash, ct).ConfigureAwait(false);
        if (now == cold || (now is null && !cold))
        {
            return false;
        }

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

    private async Task ScanAsync(string table, string projection, Dictionary<string, string> names, Action<Dictionary<string, AttributeValue>> each, CancellationToken ct)
    {
        await Parallel.ForEachAsync(Enumerable.Range(0, Segments), new ParallelOptions { MaxDegreeOfParallelism = Segments, CancellationToken = ct }, async (segment, token) =>
        {
            var request = new ScanRequest
            {
                TableName = table,
                Segment = segment,
                TotalSegments = Segments,
                ProjectionExpression = projection,
                ExpressionAttributeNames = names,
                ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
            };
            do
            {
                var response = await db.Client.ScanAsync(request, token).ConfigureAwait(false);
                db.Capacity.Record("ColdTiering", response.ConsumedCapacity);
                foreach (var item in response.Items ?? [])
                {
                    each(item);
                }

                request.ExclusiveStartKey = response.LastEvaluatedKey is { Count: > 0 } next ? next : null;
            }
            while (request.ExclusiveStartKey is not null);
        }).ConfigureAwait(false);
    }
}
