using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Amazon.S3;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.S3;
using DropSync.Aws.Tests.Infrastructure;
using DropSync.Core.Content;
using DropSync.Core.Retention;
using Microsoft.Extensions.DependencyInjection;

namespace DropSync.Aws.Tests;

/// <summary>
/// Cold tiering against DynamoDB Local and S3, with the API in AWS mode: files made through the API, then the scheduled
/// event (the same entry EventBridge uses) runs the retention pass — which counts, per block, the current revisions
/// that name it — and the tiering run, which tags what became cold. fauxqs has no object tagging, so S3 is reached
/// through <see cref="TaggingS3Proxy"/>, which answers the tagging calls per their documented contract and forwards
/// the rest. DROPSYNC_COLD_AFTER_DAYS=0: a block is due for tiering as soon as no current revision names it.
/// </summary>
[Collection(AwsModeCollection.Name)]
public sealed class ColdTieringTests(DynamoDbServer dynamo, S3Server s3) : ColdTieringHostTest(dynamo, s3)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Old_blocks_are_tagged_cold_blocks_a_current_file_names_are_not_and_a_restore_warms_them_and_still_downloads()
    {
        var (api, _, _, _) = await Host.SignUpAsync();
        var (other, _, _, _) = await Host.SignUpAsync();

        // report.bin: v1 = [shared, oldTail], v2 = [shared, newTail] (4 MiB blocks).
        var shared = RandomNumberGenerator.GetBytes(Limits.MaxBlockSize);
        byte[] oldTail = RandomNumberGenerator.GetBytes(1000), newTail = RandomNumberGenerator.GetBytes(2000);
        var v1 = shared.Concat(oldTail).ToArray();
        var v2 = shared.Concat(newTail).ToArray();
        var v1Rev = (await AwsModeHost.UploadResumableAsync(api, "/Docs/report.bin", v1))["rev"]!.GetValue<string>();
        await AwsModeHost.UploadResumableAsync(api, "/Docs/report.bin", v2, "overwrite");

        // notes.bin overwritten, but another account's current file has v1's bytes (dedup: one block, two owners).
        byte[] dup = RandomNumberGenerator.GetBytes(3000), notes2 = RandomNumberGenerator.GetBytes(3100);
        await AwsModeHost.UploadResumableAsync(api, "/Docs/notes.bin", dup);
        await AwsModeHost.UploadResumableAsync(api, "/Docs/notes.bin", notes2, "overwrite");
        await AwsModeHost.UploadResumableAsync(other, "/mine.bin", dup);

        // A deleted file, and a file that stays.
        byte[] deleted = RandomNumberGenerator.GetBytes(3200), kept = RandomNumberGenerator.GetBytes(3300);
        await AwsModeHost.UploadResumableAsync(api, "/Trash/gone.bin", deleted);
        await AwsModeHost.OkAsync(api, "/files/delete", new { path = "/Trash/gone.bin" });
        await AwsModeHost.UploadResumableAsync(api, "/Docs/kept.bin", kept);

        var first = await RunScheduledAsync();
        Assert.Equal(2, first["tagged_cold"]!.GetValue<int>());
        Assert.Equal(0, first["tagged_warm"]!.GetValue<int>());
        Assert.Equal("true", ColdTag(oldTail));
        Assert.Equal("true", ColdTag(deleted));
        foreach (var warm in new[] { shared, newTail, dup, notes2, kept })
        {
            Assert.Null(ColdTag(warm));
        }

        // Restoring v1 makes oldTail current again and leaves newTail to the old revision.
        var restored = await AwsModeHost.OkAsync(api, "/files/restore", new { path = "/Docs/report.bin", rev = v1Rev });
        Assert.Equal(v1.Length, restored["size"]!.GetValue<long>());
        var second = await RunScheduledAsync();
        Assert.Equal(1, second["tagged_cold"]!.GetValue<int>());
        Assert.Equal(1, second["tagged_warm"]!.GetValue<int>());
        Assert.Equal("false", ColdTag(oldTail));
        Assert.Equal("true", ColdTag(newTail));
        Assert.Null(ColdTag(shared));

        // Nothing changed: the run reads an empty queue and tags nothing.
        var taggingBefore = Proxy.PutTaggingRequests;
        var third = await RunScheduledAsync();
        Assert.Equal(0, third["tiering_checked"]!.GetValue<int>());
        Assert.Equal(taggingBefore, Proxy.PutTaggingRequests);

        // The restored file downloads with v1's bytes, by its blocks' presigned URLs (tags never touch the content).
        var blocks = await AwsModeHost.OkAsync(api, "/files/get_blocks", new { path = "/Docs/report.bin" });
        using var raw = new HttpClient();
        var downloaded = new List<byte>();
        foreach (var block in blocks["blocks"]!.AsArray())
        {
            downloaded.AddRange(await raw.GetByteArrayAsync(block!["url"]!.GetValue<string>()));
        }

        Assert.Equal(v1, downloaded.ToArray());
    }

    [Fact]
    public async Task A_bounded_run_leaves_the_rest_queued_and_the_next_runs_resume_until_all_are_tiered()
    {
        var (api, _, _, _) = await Host.SignUpAsync();
        var files = Enumerable.Range(0, 5).Select(_ => RandomNumberGenerator.GetBytes(1500)).ToList();
        for (var i = 0; i < files.Count; i++)
        {
            await AwsModeHost.UploadResumableAsync(api, $"/batch/{i}.bin", files[i]);
            await AwsModeHost.OkAsync(api, "/files/delete", new { path = $"/batch/{i}.bin" });
        }

        // The retention pass counts (and queues); a tiering run of at most 2 blocks then goes 2, 2, 1.
        var services = Host.Factory.Services;
        await services.GetRequiredService<HistoryCollector>().RunOnceAsync(None);
        var tiering = new ColdTiering(
            services.GetRequiredService<DynamoDbContext>(), services.GetRequiredService<IAmazonS3>(), new S3BlockStoreOptions { BucketName = Bucket }, TimeProvider.System)
        {
            MaxBlocksPerRun = 2,
        };
        var runs = new List<ColdTiering.Report>();
        do
        {
            runs.Add(await tiering.RunOnceAsync(None));
        }
        while (runs[^1].More && runs.Count < 10);

        Assert.Equal([2, 2, 1], runs.Select(r => r.Checked));
        Assert.Equal([true, true, false], runs.Select(r => r.More));
        Assert.Equal(5, runs.Sum(r => r.TaggedCold));
        Assert.Equal(5, Proxy.PutTaggingRequests);
        Assert.All(files, f => Assert.Equal("true", ColdTag(f)));
    }

    private string? ColdTag(byte[] block) => Proxy.Tag(Bucket, "blocks/" + BlockHash.Of(block).Hex, ColdTiering.TagKey);

    private async Task<JsonNode> RunScheduledAsync()
    {
        var (status, body) = await Host.PostEventAsync(AwsModeHost.Sample("eventbridge-scheduled.json"));
        Assert.True(status == System.Net.HttpStatusCode.OK, $"/events answered {status}: {body?.ToJsonString()}");
        return body!;
    }
}
