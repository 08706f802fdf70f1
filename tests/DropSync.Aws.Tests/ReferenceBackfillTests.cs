using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Amazon.DynamoDBv2.Model;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.Hosting;
using DropSync.Aws.Tests.Infrastructure;
using DropSync.Core.Content;
using DropSync.Core.Files;
using DropSync.Core.Retention;
using Microsoft.Extensions.DependencyInjection;

namespace DropSync.Aws.Tests;

/// <summary>
/// The one-off backfill of cold tiering's reference counts, against DynamoDB Local and S3 with the API in AWS mode.
/// Data "written the old way" is files whose retention pass ran without the counting (the plain
/// <see cref="DynamoDbRetentionStore"/>, as before incremental tiering): settled, never due again, their blocks uncounted.
/// S3 tagging goes through <see cref="TaggingS3Proxy"/> (fauxqs has none), as in <see cref="ColdTieringTests"/>.
/// </summary>
[Collection(AwsModeCollection.Name)]
public sealed class ReferenceBackfillTests(DynamoDbServer dynamo, S3Server s3) : ColdTieringHostTest(dynamo, s3)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Old_files_are_counted_once_by_runs_capped_at_n_items_that_resume_until_done()
    {
        var (api, _, _, _) = await Host.SignUpAsync();
        var files = Enumerable.Range(0, 7).Select(_ => RandomNumberGenerator.GetBytes(1200)).ToList();
        for (var i = 0; i < files.Count; i++)
        {
            await AwsModeHost.UploadResumableAsync(api, $"/old/{i}.bin", files[i]);
        }

        await SettleTheOldWayAsync();
        foreach (var file in files)
        {
            Assert.Null(await CurrentCountAsync(file));
        }

        var backfill = new CurrentReferencesBackfill(Host.Db, Host.Factory.Services.GetRequiredService<DynamoDbCurrentReferences>(), TimeProvider.System)
        {
            MaxEntriesPerRun = 3,
            PageSize = 2,
        };
        var runs = new List<CurrentReferencesBackfill.Report>();
        do
        {
            runs.Add(await backfill.RunOnceAsync(None));
        }
        while (!runs[^1].Done && runs.Count < 20);

        // 7 files + the namespace head item (and whatever else the table holds): several capped runs, each resuming.
        Assert.True(runs.Count >= 3, $"{runs.Count} runs");
        Assert.All(runs, r => Assert.InRange(r.Scanned, 0, 3));
        Assert.All(runs.SkipLast(1), r => Assert.False(r.Done));
        Assert.True(runs[^1].Done);
        Assert.Equal(files.Count, runs.Sum(r => r.Counted));
        foreach (var file in files)
        {
            Assert.Equal(1, await CurrentCountAsync(file));
        }

        // Done: a further run reads only its state, and counts nothing twice.
        Assert.Equal(new CurrentReferencesBackfill.Report(0, 0, true), await backfill.RunOnceAsync(None));
        foreach (var file in files)
        {
            Assert.Equal(1, await CurrentCountAsync(file));
        }
    }

    [Fact]
    public async Task The_scheduled_run_backfills_before_tiering_so_an_old_file_keeps_its_block_warm_when_a_copy_of_it_is_replaced()
    {
        var (api, _, _, _) = await Host.SignUpAsync();
        var shared = RandomNumberGenerator.GetBytes(2500);
        await AwsModeHost.UploadResumableAsync(api, "/old/report.bin", shared);
        await SettleTheOldWayAsync();

        // Since the counting: the same bytes in a new file, replaced. The retention pass queues the replaced revision's
        // block; without the backfill its count would be 0 (the old file was never counted) and it would be tagged cold.
        var replacement = RandomNumberGenerator.GetBytes(2600);
        await AwsModeHost.UploadResumableAsync(api, "/new/copy.bin", shared);
        await AwsModeHost.UploadResumableAsync(api, "/new/copy.bin", replacement, "overwrite");

        var (status, body) = await Host.PostEventAsync(AwsModeHost.Sample("eventbridge-scheduled.json"));
        Assert.True(status == System.Net.HttpStatusCode.OK, $"/events answered {status}: {body?.ToJsonString()}");
        Assert.True(body!["backfill_done"]!.GetValue<bool>());
        Assert.Equal(1, body["backfill_counted"]!.GetValue<int>());
        Assert.Null(Proxy.Tag(Bucket, "blocks/" + BlockHash.Of(shared).Hex, S3.ColdTiering.TagKey));
        Assert.Equal(1, await CurrentCountAsync(shared));
        Assert.Equal(1, await CurrentCountAsync(replacement));

        // The next run's backfill is done and reads nothing.
        (_, body) = await Host.PostEventAsync(AwsModeHost.Sample("eventbridge-scheduled.json"));
        Assert.Equal(0, body!["backfill_scanned"]!.GetValue<int>());
    }

    /// <summary>A retention pass as before incremental tiering: the paths leave the due index, nothing is counted.</summary>
    private async Task SettleTheOldWayAsync()
    {
        var services = Host.Factory.Services;
        var report = await new HistoryCollector(new DynamoDbRetentionStore(Host.Db), services.GetRequiredService<DropSyncOptions>(), TimeProvider.System).RunOnceAsync(None);
        Assert.True(report.CheckedFiles > 0);
    }

    /// <summary>The block's count of current revisions naming it ("cc" on its block item), null if never counted.</summary>
    private async Task<long?> CurrentCountAsync(byte[] block)
    {
        var response = await Host.Db.Client.GetItemAsync(
            new GetItemRequest
            {
                TableName = Host.Db.Tables.Blocks,
                Key = new() { [DynamoDbTables.BlocksPartitionKey] = new AttributeValue(BlockHash.Of(block).Hex), [DynamoDbTables.BlocksSortKey] = new AttributeValue("b") },
                ConsistentRead = true,
            },
            None);
        Assert.True(response.IsItemSet, "no block item");
        return response.Item.TryGetValue("cc", out var cc) ? long.Parse(cc.N, System.Globalization.CultureInfo.InvariantCulture) : null;
    }
}
