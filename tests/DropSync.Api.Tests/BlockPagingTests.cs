using System.Net;
using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;

namespace DropSync.Api.Tests;

/// <summary>
/// Block lists come in pages (DropSync:BlockListPageSize, 3 here) so that no answer grows with the file: /files/get_blocks
/// and /s/{token}/get_blocks by start/limit, and the resumable upload's answers hand out URLs for a page of missing blocks.
/// </summary>
public sealed class BlockPagingTests : IDisposable
{
    private const int PageSize = 3;

    private readonly DropSyncApiFactory _server = DropSyncApiFactory.WithSettings(("DropSync:BlockListPageSize", PageSize.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    public void Dispose() => _server.Dispose();

    /// <summary>Eight small blocks of distinct content, uploaded resumably and finished.</summary>
    private async Task<(ApiClient Owner, byte[] Content, List<(string Hash, byte[] Bytes)> Blocks)> EightBlockFileAsync(string path)
    {
        var owner = await _server.SignUpAsync();
        var content = Dropbox.RandomBytes(8 * 1000, seed: 40);
        var blocks = ResumableUpload.Split(content, Enumerable.Repeat(1000, 8).ToArray());
        var state = await ResumableUpload.BeginAsync(owner, ResumableUpload.Declare(path, blocks));
        using var anonymous = _server.CreateClient();
        while (true)
        {
            await ResumableUpload.SendMissingAsync(anonymous, state, blocks);
            if (state["more_missing"]!.GetValue<int>() == 0)
            {
                break;
            }

            state = await owner.OkAsync($"/files/upload?uploadType=resumable&upload_id={state["upload_id"]!.GetValue<string>()}", null);
        }

        await owner.OkAsync("/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() });
        return (owner, content, blocks);
    }

    [Fact]
    public async Task Get_blocks_answers_pages_that_follow_one_another_to_the_whole_file()
    {
        var (alice, content, _) = await EightBlockFileAsync("/paged.bin");
        using var anonymous = _server.CreateClient();
        var pages = new List<JsonNode>();
        var reassembled = new List<byte>();
        int? start = 0;
        while (start is not null)
        {
            var page = await alice.OkAsync("/files/get_blocks", new { path = "/paged.bin", start });
            pages.Add(page);
            foreach (var block in page["blocks"]!.AsArray())
            {
                Assert.Equal(reassembled.Count, block!["offset"]!.GetValue<long>());
                reassembled.AddRange(await anonymous.GetByteArrayAsync(block["url"]!.GetValue<string>()));
            }

            start = page["has_more"]!.GetValue<bool>() ? page["next_start"]!.GetValue<int>() : null;
        }

        Assert.Equal([3, 3, 2], pages.Select(p => p["blocks"]!.AsArray().Count));
        Assert.Equal([0, 3, 6], pages.Select(p => p["start"]!.GetValue<int>()));
        Assert.All(pages, p => Assert.Equal(8, p["block_count"]!.GetValue<int>()));
        Assert.All(pages, p => Assert.Equal(content.Length, p["metadata"]!["size"]!.GetValue<long>()));
        Assert.Null(pages[^1]["next_start"]);
        Assert.True(pages[^1].AsObject().ContainsKey("next_start"), "the last page says next_start: null");
        Assert.Equal(content, reassembled.ToArray());
    }

    [Fact]
    public async Task A_request_without_paging_gets_the_first_page_marked_has_more_and_limit_asks_for_less()
    {
        var (alice, _, blocks) = await EightBlockFileAsync("/old-client.bin");

        var first = await alice.OkAsync("/files/get_blocks", new { path = "/old-client.bin" });
        var small = await alice.OkAsync("/files/get_blocks", new { path = "/old-client.bin", start = 7, limit = 1 });
        var clamped = await alice.OkAsync("/files/get_blocks", new { path = "/old-client.bin", start = 2, limit = 100 });

        Assert.Equal(blocks.Take(PageSize).Select(b => b.Hash), first["blocks"]!.AsArray().Select(b => b!["hash"]!.GetValue<string>()));
        Assert.True(first["has_more"]!.GetValue<bool>());
        Assert.Equal(PageSize, first["next_start"]!.GetValue<int>());
        Assert.Equal(blocks[7].Hash, Assert.Single(small["blocks"]!.AsArray())!["hash"]!.GetValue<string>());
        Assert.Equal(7000, small["blocks"]![0]!["offset"]!.GetValue<long>());
        Assert.False(small["has_more"]!.GetValue<bool>());
        Assert.Equal(PageSize, clamped["blocks"]!.AsArray().Count);
        Assert.Equal(5, clamped["next_start"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(-1, null, "invalid_start")]
    [InlineData(9, null, "invalid_start")]
    [InlineData(0, 0, "invalid_limit")]
    public async Task A_start_outside_the_file_or_a_limit_below_one_is_refused(int start, int? limit, string error)
    {
        var (alice, _, _) = await EightBlockFileAsync("/bad-page.bin");

        var (status, body) = await alice.PostAsync("/files/get_blocks", new { path = "/bad-page.bin", start, limit });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(error, body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_link_visitor_pages_through_the_linked_files_blocks()
    {
        var (alice, content, _) = await EightBlockFileAsync("/shared.bin");
        var link = await alice.OkAsync("/sharing/create_link", new { path = "/shared.bin" });
        var token = new Uri(link["url"]!.GetValue<string>()).AbsolutePath["/s/".Length..];
        using var anonymous = new ApiClient(_server.CreateClient());
        var reassembled = new List<byte>();
        var pages = 0;
        int? start = 0;
        while (start is not null)
        {
            var page = await anonymous.OkAsync($"/s/{token}/get_blocks", new { start });
            pages++;
            foreach (var block in page["blocks"]!.AsArray())
            {
                reassembled.AddRange(await anonymous.Http.GetByteArrayAsync(block!["url"]!.GetValue<string>()));
            }

            start = page["next_start"]?.GetValue<int>();
        }

        Assert.Equal(3, pages);
        Assert.Equal(content, reassembled.ToArray());
    }

    [Fact]
    public async Task A_resumable_upload_hands_out_urls_a_page_at_a_time_and_the_status_call_gives_the_next_page()
    {
        var alice = await _server.SignUpAsync();
        var content = Dropbox.RandomBytes(7 * 500, seed: 41);
        var blocks = ResumableUpload.Split(content, Enumerable.Repeat(500, 7).ToArray());
        using var anonymous = _server.CreateClient();

        var begun = await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/up.bin", blocks));
        var uploadId = begun["upload_id"]!.GetValue<string>();
        var again = await alice.OkAsync($"/files/upload?uploadType=resumable&upload_id={uploadId}", null);
        await ResumableUpload.SendMissingAsync(anonymous, begun, blocks);
        var (early, earlyBody) = await alice.PostAsync("/files/upload/finish", new { upload_id = uploadId });
        var second = await alice.OkAsync($"/files/upload?uploadType=resumable&upload_id={uploadId}", null);
        await ResumableUpload.SendMissingAsync(anonymous, second, blocks);
        var third = await alice.OkAsync($"/files/upload?uploadType=resumable&upload_id={uploadId}", null);
        await ResumableUpload.SendMissingAsync(anonymous, third, blocks);
        var done = await alice.OkAsync($"/files/upload?uploadType=resumable&upload_id={uploadId}", null);
        await alice.OkAsync("/files/upload/finish", new { upload_id = uploadId });

        Assert.Equal(blocks.Take(3).Select(b => b.Hash), begun["missing"]!.AsArray().Select(m => m!["hash"]!.GetValue<string>()));
        Assert.Equal(4, begun["more_missing"]!.GetValue<int>());
        Assert.Equal(4, again["more_missing"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.Conflict, early);
        Assert.Equal("blocks_missing", earlyBody["error"]!.GetValue<string>());
        Assert.Equal(4, earlyBody["missing_count"]!.GetValue<int>());
        Assert.Equal(PageSize, earlyBody["missing"]!.AsArray().Count);
        Assert.Equal(blocks.Skip(3).Take(3).Select(b => b.Hash), second["missing"]!.AsArray().Select(m => m!["hash"]!.GetValue<string>()));
        Assert.Equal(1, second["more_missing"]!.GetValue<int>());
        Assert.Equal(blocks[6].Hash, Assert.Single(third["missing"]!.AsArray())!["hash"]!.GetValue<string>());
        Assert.Equal(0, third["more_missing"]!.GetValue<int>());
        Assert.Empty(done["missing"]!.AsArray());
        Assert.Equal(content, await alice.DownloadAsync("/up.bin"));
    }
}
