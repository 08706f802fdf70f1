using DropSync.Client.Api;
using DropSync.Client.Chunking;
using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

/// <summary>A server that lists blocks two at a time, so that a file's block list spans several pages.</summary>
public sealed class PagedServerFixture : ServerFixture
{
    public const int PageSize = 2;

    protected override string[] ServerSettings => ["--DropSync:BlockListPageSize", PageSize.ToString(System.Globalization.CultureInfo.InvariantCulture)];
}

/// <summary>
/// The sync follows the server's pages: a resumable upload PUTs a page of missing blocks and asks for the next, and a
/// download by blocks asks for get_blocks pages until has_more is false.
/// </summary>
public sealed class BlockPagingSyncTests(PagedServerFixture fixture) : IClassFixture<PagedServerFixture>
{
    private const int Limit = 64 * 1024;

    private ServerConfig SmallLimits() => ServerConfig.EmbeddedDefaults(fixture.Server.BaseAddress) with
    {
        Mode = "aws",
        MaxRequestBytes = Limit,
        MaxResponseBytes = Limit,
    };

    [Fact]
    public async Task A_file_whose_block_list_spans_several_pages_uploads_and_downloads_whole()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Api.ConfigOverride = SmallLimits();
            b.Api.ConfigOverride = SmallLimits();
            var content = TestData.RandomBytes(9_000_000, 77);
            a.Write("video.bin", content);
            using var stream = new MemoryStream(content);
            var blocks = (await FastCdc.ChunkAsync(stream)).Count;
            var pages = (blocks + PagedServerFixture.PageSize - 1) / PagedServerFixture.PageSize;
            Assert.True(pages >= 2, $"{blocks} blocks make {pages} page(s); the test needs several");

            var up = await a.SyncAsync();
            var down = await b.SyncAsync();

            Assert.Empty(up.Errors);
            Assert.Empty(down.Errors);
            Assert.Equal(content, File.ReadAllBytes(b.PathOf("video.bin")));
            // Begin, then one status call per further page of missing blocks; one get_blocks per page.
            Assert.Equal(pages, a.Counter.Requests("/files/upload"));
            Assert.Equal(pages, b.Counter.Requests("/files/get_blocks"));
            Assert.Equal(0, b.Counter.Requests("/files/download"));
        }
    }
}

/// <summary>The resumable manifest (the request that starts an upload) must fit in a request the server takes.</summary>
public sealed class ResumableManifestSizeTests
{
    [Fact]
    public void The_manifest_of_a_10_GiB_file_in_the_smallest_blocks_the_cli_cuts_fits_in_an_aws_request()
    {
        // FastCdc never cuts a block under MinSize (but the last), so a 10 GiB file has at most this many blocks.
        var blocks = (int)(DropSync.Core.Content.Limits.MaxFileSize / ChunkerOptions.Default.MinSize);
        var manifest = new BeginUploadRequest(
            "/" + new string('x', 250),
            DropSync.Core.Content.Limits.MaxFileSize,
            Enumerable.Range(0, blocks).Select(i => new BlockSpec(new string('a', 64), ChunkerOptions.Default.MinSize)),
            "overwrite",
            new string('0', 40));

        var bytes = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(manifest, DropSyncApi.Info<BeginUploadRequest>()).Length;

        Assert.Equal(40_960, blocks);
        Assert.True(bytes < 4_194_304, $"{bytes} bytes for {blocks} blocks");
    }
}
