using DropSync.Client.Sync;
using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

/// <summary>
/// A server whose rate limits are set low: four requests of burst at twenty a second per device, and thirty files of
/// burst at sixty a second in batches. A sync of more than that must be throttled and still lose nothing.
/// </summary>
public sealed class RateLimitedServerFixture : ServerFixture
{
    protected override string[] ServerSettings =>
    [
        "--DropSync:RateLimits:ApiBurstPerDevice", "4", "--DropSync:RateLimits:ApiRequestsPerSecondPerDevice", "20",
        "--DropSync:RateLimits:BatchFilesBurstPerDevice", "30", "--DropSync:RateLimits:BatchFilesPerSecondPerDevice", "60",
    ];
}

/// <summary>The client never fails a file on 429: it waits as long as Retry-After says and sends the request again.</summary>
public sealed class RateLimitedSyncTests(RateLimitedServerFixture fixture) : IClassFixture<RateLimitedServerFixture>
{
    [Fact]
    public async Task A_throttled_sync_of_many_files_completes_without_errors_both_ways()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            for (var i = 0; i < 150; i++)
            {
                a.Write($"dir{i % 7}/file{i:000}.bin", TestData.RandomBytes(2_000 + i, 500 + i));
            }

            var up = await a.SyncAsync();

            Assert.Empty(up.Errors);
            Assert.Equal(150, up.FilesUploaded);
            Assert.True(a.Counter.Refused("/files/upload_batch") > 0, "150 files in batches against a bucket of 30 files: some batches were refused and sent again");

            var down = await b.SyncAsync();

            Assert.Empty(down.Errors);
            Assert.Equal(150, down.FilesDownloaded);
            Assert.True(b.Counter.Refused("/files/download_batch") > 0, "the download batches were throttled too");
            Assert.Equal(0, b.Counter.Requests("/files/download"));
            for (var i = 0; i < 150; i += 13)
            {
                Assert.Equal(TestData.RandomBytes(2_000 + i, 500 + i), File.ReadAllBytes(b.PathOf($"dir{i % 7}/file{i:000}.bin")));
            }
        }
    }

    [Fact]
    public async Task Single_requests_past_the_request_bucket_are_retried_not_failed()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            // Over the batch limit of the client's own options: each goes up alone (media upload), 40 requests against a bucket of 4.
            for (var i = 0; i < 40; i++)
            {
                a.Write($"loose/{i:00}.txt", $"file {i}");
            }

            var up = await a.Engine.SyncAsync(new SyncOptions { BatchUploads = false, BatchDownloads = false });

            Assert.Empty(up.Errors);
            Assert.Equal(40, up.FilesUploaded);
            Assert.True(a.Counter.Refused("/files/upload") > 0, "40 single uploads against a bucket of 4 requests: some were refused");
            Assert.Equal(40, (await b.Engine.SyncAsync(new SyncOptions { BatchUploads = false, BatchDownloads = false })).FilesDownloaded);
            Assert.Equal("file 39", b.Read("loose/39.txt"));
        }
    }
}
