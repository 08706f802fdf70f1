using System.Net.Http.Json;
using DropSync.Client.Api;
using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

/// <summary>
/// Sync within the limits a server advertises at /config (as an AWS deployment does: 4 MiB each way). The embedded
/// server has no download limit, so these tests give the client an AWS-like config of small limits.
/// </summary>
[Collection("server")]
public sealed class ServerLimitsSyncTests(ServerFixture fixture)
{
    private const int Limit = 64 * 1024;

    private ServerConfig SmallLimits() => ServerConfig.EmbeddedDefaults(fixture.Server.BaseAddress) with
    {
        Mode = "aws",
        MaxRequestBytes = Limit,
        MaxResponseBytes = Limit,
        MaxBatchBytes = 100_000,
        MaxBatchFiles = 5,
    };

    [Fact]
    public async Task Uploads_and_downloads_stay_within_the_advertised_limits()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Api.ConfigOverride = SmallLimits();
            b.Api.ConfigOverride = SmallLimits();
            for (var i = 0; i < 30; i++)
            {
                a.Write($"small/{i:00}.bin", TestData.RandomBytes(9_000 + i, i));
            }

            var medium = TestData.RandomBytes(200_000, 100);
            var large = TestData.RandomBytes(1_500_000, 101);
            a.Write("medium.bin", medium);
            a.Write("large.bin", large);

            var up = await a.SyncAsync();

            Assert.Empty(up.Errors);
            Assert.Equal(32, up.FilesUploaded);
            Assert.InRange(a.Counter.LargestRequest("/files/upload_batch"), 1, 100_000);
            Assert.True(a.Counter.Requests("/files/upload_batch") >= 6, $"{a.Counter.Requests("/files/upload_batch")} batches for 30 files, at most 5 a batch");
            // Nothing whole over the request limit: medium.bin (200 kB, under the client's own 1 MiB) went by blocks.
            Assert.InRange(a.Counter.LargestRequest("/files/upload"), 0, Limit);

            var down = await b.SyncAsync();

            Assert.Empty(down.Errors);
            Assert.Equal(32, down.FilesDownloaded);
            Assert.Equal(medium, File.ReadAllBytes(b.PathOf("medium.bin")));
            Assert.Equal(large, File.ReadAllBytes(b.PathOf("large.bin")));
            Assert.Equal(TestData.RandomBytes(9_029, 29), File.ReadAllBytes(b.PathOf("small/29.bin")));
            // The small files came whole; the two over max_response_bytes by blocks.
            Assert.Equal(30, b.Counter.Requests("/files/download"));
            Assert.Equal(2, b.Counter.Requests("/files/get_blocks"));
        }
    }

    [Fact]
    public async Task A_damaged_block_is_refused_and_the_file_is_not_placed()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Write("photo.jpg", TestData.RandomBytes(300_000, 7));
            await a.SyncAsync();
            b.Api.ConfigOverride = SmallLimits();
            b.Counter.CorruptBlockDownloads = true;

            var damaged = await b.SyncAsync();

            Assert.Contains(damaged.Errors, e => e.Contains("photo.jpg", StringComparison.Ordinal) && e.Contains("damaged", StringComparison.Ordinal));
            Assert.False(b.Exists("photo.jpg"));
            Assert.Equal(0, b.Counter.Requests("/files/download"));

            b.Counter.CorruptBlockDownloads = false;
            var healed = await b.SyncAsync();
            Assert.Empty(healed.Errors);
            Assert.Equal(TestData.RandomBytes(300_000, 7), File.ReadAllBytes(b.PathOf("photo.jpg")));
        }
    }

    // One parallel fetch: the file's one or two runs are taken (one GET for several blocks); six: fewer runs than slots,
    // so the client fetches block by block (Downloader.PlanPage). A damaged block is fetched again alone either way.
    [Theory]
    [InlineData(1, true)]
    [InlineData(6, false)]
    public async Task A_damaged_block_is_fetched_again_alone(int blockParallelism, bool inRuns)
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            // Several content-defined blocks (256 KiB to 4 MiB each), fetched by blocks.
            var content = TestData.RandomBytes(6 * 1024 * 1024, 8);
            a.Write("video.mp4", content);
            await a.SyncAsync();
            b.Counter.CorruptNextBlockDownloads = 1;

            var damaged = await b.SyncAsync(blockParallelism: blockParallelism);

            Assert.Contains(damaged.Errors, e => e.Contains("video.mp4", StringComparison.Ordinal) && e.Contains("damaged", StringComparison.Ordinal));
            Assert.False(b.Exists("video.mp4"));
            var list = await b.Api.GetBlocksAsync("/video.mp4", null, 0, default);
            Assert.True(list.Blocks.Count > 2, $"expected the file in several blocks, got {list.Blocks.Count}");
            if (inRuns)
            {
                // Embedded mode: the blocks came in runs (the first run's first block damaged), fewer GETs than blocks.
                Assert.InRange(b.Counter.BlockGets, 1, list.Blocks.Count - 1);
            }
            else
            {
                Assert.Equal(list.Blocks.Count, b.Counter.BlockGets);
            }

            // The part file is kept: its blocks are checked against the block list, and only the damaged one comes again.
            b.Counter.Reset();
            var healed = await b.SyncAsync(blockParallelism: blockParallelism);

            Assert.Empty(healed.Errors);
            Assert.Equal(content, File.ReadAllBytes(b.PathOf("video.mp4")));
            Assert.Equal(1, b.Counter.BlockGets);
        }
    }

    /// <summary>Needs the server side of the contract (GET /config): fails against a server from before it.</summary>
    [Fact]
    public async Task The_embedded_server_advertises_its_config()
    {
        using var anonymous = new DropSyncApi(fixture.Server.BaseAddress, null);
        var config = await anonymous.GetConfigAsync(default);

        Assert.True(config.FromServer, "GET /config answered 404");
        Assert.Equal("embedded", config.Mode);
        var feed = new Uri(config.WebsocketUrl);
        Assert.Equal("ws", feed.Scheme);
        Assert.Equal(fixture.Server.BaseAddress.Port, feed.Port);
        Assert.Equal("/notifications/ws", feed.AbsolutePath);
        Assert.Null(config.MaxResponseBytes);
        Assert.Equal(1000, config.MaxBatchFiles);
        Assert.Equal(4 * 1024 * 1024, config.MaxBlockBytes);
        Assert.True(config.MaxRequestBytes >= 4 * 1024 * 1024);
        Assert.True(config.MaxBatchBytes >= 4 * 1024 * 1024);

        using var http = fixture.Server.CreateClient();
        var raw = await http.GetFromJsonAsync<System.Text.Json.JsonElement>("/config");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, raw.GetProperty("max_response_bytes").ValueKind);
    }
}
