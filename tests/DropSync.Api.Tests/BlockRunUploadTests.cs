using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Core.Content;

namespace DropSync.Api.Tests;

/// <summary>
/// Embedded mode's upload runs: a resumable upload's answer also offers runs of consecutive missing blocks (at most
/// <see cref="Limits.MaxRunBlocks"/> and <see cref="Limits.MaxRunBytes"/>), each one signed PUT of their bytes back to
/// back. Each block is verified against its name and stored as a single block PUT stores it; a run URL is good only for
/// its blocks, in its order, for a PUT, until it expires.
/// </summary>
public sealed class BlockRunUploadTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    // Over the store's inline size (64 KiB), so that each block is a file of its own as a large file's are.
    private const int BlockSize = 100_000;

    private Task<(ApiClient Owner, byte[] Content, List<(string Hash, byte[] Bytes)> Blocks, JsonNode State)> BeginAsync(
        string path, int seed, int count, int blockSize = BlockSize) =>
        ResumableUpload.BeginRandomAsync(factory, path, seed, count, blockSize);

    private static async Task<HttpResponseMessage> PutRunAsync(HttpClient http, string url, byte[] body, long? contentLength = null)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.ContentLength = contentLength ?? body.Length;
        return await http.PutAsync(url, content);
    }

    private static byte[] BodyOf(List<(string Hash, byte[] Bytes)> blocks, int first, int count) =>
        blocks.Skip(first).Take(count).SelectMany(b => b.Bytes).ToArray();

    private static List<string> Missing(JsonNode state) => state["missing"]!.AsArray().Select(m => m!["hash"]!.GetValue<string>()).ToList();

    private static string RunList(string url) =>
        Uri.UnescapeDataString(url[(url.IndexOf("blocks=", StringComparison.Ordinal) + "blocks=".Length)..url.IndexOf('&', StringComparison.Ordinal)]);

    private static async Task<string> ErrorAsync(HttpResponseMessage response) => (await ApiClient.ReadJsonAsync(response))["error"]!.GetValue<string>();

    [Fact]
    public async Task Runs_cover_the_missing_blocks_in_order_and_each_stores_its_blocks()
    {
        var (owner, content, blocks, state) = await BeginAsync("/up-runs.bin", seed: 70, count: 20, blockSize: 1000);
        using var anonymous = factory.CreateClient();

        var runs = state["runs"]!.AsArray();
        Assert.Equal([8, 8, 4], runs.Select(r => r!["count"]!.GetValue<int>()));
        Assert.Equal([0, 8, 16], runs.Select(r => r!["first"]!.GetValue<int>()));
        foreach (var run in runs)
        {
            var (first, count) = (run!["first"]!.GetValue<int>(), run["count"]!.GetValue<int>());
            Assert.Equal(count * 1000, run["size"]!.GetValue<long>());
            Assert.Equal("application/octet-stream", run["headers"]!["Content-Type"]!.GetValue<string>());
            Assert.True(run["expires_at"]!.GetValue<DateTimeOffset>() > DateTimeOffset.UtcNow);
            using var response = await PutRunAsync(anonymous, run["url"]!.GetValue<string>(), BodyOf(blocks, first, count));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var stored = (await ApiClient.ReadJsonAsync(response))["stored"]!.AsArray();
            Assert.Equal(blocks.Skip(first).Take(count).Select(b => b.Hash), stored.Select(s => s!["hash"]!.GetValue<string>()));
        }

        await owner.OkAsync("/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() });
        Assert.Equal(content, await owner.DownloadAsync("/up-runs.bin"));
    }

    [Fact]
    public async Task A_damaged_block_in_the_middle_is_refused_and_the_blocks_before_it_stay_stored()
    {
        var (owner, content, blocks, state) = await BeginAsync("/up-damaged.bin", seed: 71, count: 4);
        var body = BodyOf(blocks, 0, 4);
        body[(2 * BlockSize) + 500] ^= 1;
        using var anonymous = factory.CreateClient();

        using var response = await PutRunAsync(anonymous, state["runs"]![0]!["url"]!.GetValue<string>(), body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ApiClient.ReadJsonAsync(response);
        Assert.Equal("block_hash_mismatch", error["error"]!.GetValue<string>());
        Assert.Equal([blocks[0].Hash, blocks[1].Hash], error["stored"]!.AsArray().Select(h => h!.GetValue<string>()));
        Assert.Equal(blocks[2].Hash, error["refused"]!.GetValue<string>());
        var resumed = await owner.OkAsync($"/files/upload?uploadType=resumable&upload_id={state["upload_id"]!.GetValue<string>()}", null);
        Assert.Equal([blocks[2].Hash, blocks[3].Hash], Missing(resumed));

        // The rest by a fresh run of the two, then the file is whole.
        using var rest = await PutRunAsync(anonymous, resumed["runs"]![0]!["url"]!.GetValue<string>(), BodyOf(blocks, 2, 2));
        Assert.Equal(HttpStatusCode.OK, rest.StatusCode);
        await owner.OkAsync("/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() });
        Assert.Equal(content, await owner.DownloadAsync("/up-damaged.bin"));
    }

    [Fact]
    public async Task A_short_body_stores_the_complete_blocks_before_the_cut()
    {
        var (owner, _, blocks, state) = await BeginAsync("/up-short.bin", seed: 72, count: 4);
        var body = BodyOf(blocks, 0, 4)[..((2 * BlockSize) + (BlockSize / 2))];
        using var anonymous = factory.CreateClient();

        var failed = await Record.ExceptionAsync(async () =>
        {
            // Declares the whole run's length and ends halfway into the third block.
            using var response = await PutRunAsync(anonymous, state["runs"]![0]!["url"]!.GetValue<string>(), body, contentLength: 4 * BlockSize);
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        });

        var resumed = await owner.OkAsync($"/files/upload?uploadType=resumable&upload_id={state["upload_id"]!.GetValue<string>()}", null);
        Assert.True(Missing(resumed).SequenceEqual([blocks[2].Hash, blocks[3].Hash]), $"missing {string.Join(',', Missing(resumed))}; the PUT: {failed}");
    }

    [Fact]
    public async Task A_body_not_the_runs_length_is_refused_before_any_block_is_stored()
    {
        var (owner, _, blocks, state) = await BeginAsync("/up-length.bin", seed: 73, count: 3);
        using var anonymous = factory.CreateClient();
        var url = state["runs"]![0]!["url"]!.GetValue<string>();

        using var shorter = await PutRunAsync(anonymous, url, BodyOf(blocks, 0, 2));
        using var longer = await PutRunAsync(anonymous, url, [.. BodyOf(blocks, 0, 3), 0]);

        Assert.Equal(HttpStatusCode.BadRequest, shorter.StatusCode);
        Assert.Equal("block_size_mismatch", await ErrorAsync(shorter));
        Assert.Equal(HttpStatusCode.BadRequest, longer.StatusCode);
        Assert.Equal("block_size_mismatch", await ErrorAsync(longer));
        var resumed = await owner.OkAsync($"/files/upload?uploadType=resumable&upload_id={state["upload_id"]!.GetValue<string>()}", null);
        Assert.Equal(blocks.Select(b => b.Hash), Missing(resumed));
    }

    [Theory]
    [InlineData("nothex.1000", "malformed_block_hash")]
    [InlineData("{0}", "invalid_request")]
    [InlineData("{0}.0", "invalid_request")]
    [InlineData("{0}.4194305", "invalid_request")]
    [InlineData("{0}.1000,{0}.1000,{0}.1000,{0}.1000,{0}.1000,{0}.1000,{0}.1000,{0}.1000,{0}.1000", "invalid_request")]
    [InlineData("{0}.4194304,{0}.4194304,{0}.4194304,{0}.4194304,{0}.1", "invalid_request")]
    [InlineData("", "invalid_request")]
    public async Task A_malformed_or_oversized_run_is_refused_before_the_body_is_read(string blocks, string error)
    {
        var hash = new string('a', 64);
        using var anonymous = factory.CreateClient();

        using var response = await PutRunAsync(anonymous, $"/blocks/run?blocks={string.Format(System.Globalization.CultureInfo.InvariantCulture, blocks, hash)}&u=x&exp=9999999999&sig=x", new byte[1000]);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(error, await ErrorAsync(response));
    }

    [Fact]
    public async Task A_run_put_url_is_good_only_for_its_own_blocks_in_their_order_and_for_a_put()
    {
        var (owner, _, blocks, state) = await BeginAsync("/up-scoped.bin", seed: 74, count: 12, blockSize: 1000);
        var url = state["runs"]![0]!["url"]!.GetValue<string>();
        var list = RunList(url);
        var names = list.Split(',');
        using var anonymous = factory.CreateClient();

        // Another block of the same upload in place of the second; the first two swapped; the last left off; a bad signature.
        var foreign = url.Replace(names[1], $"{blocks[10].Hash}.1000", StringComparison.Ordinal);
        var swapped = url.Replace(list, string.Join(',', [names[1], names[0], .. names[2..]]), StringComparison.Ordinal);
        var shorter = url.Replace(list, string.Join(',', names[..^1]), StringComparison.Ordinal);
        var bodies = new[] { BodyOf(blocks, 0, 8), [.. blocks[1].Bytes, .. blocks[0].Bytes, .. BodyOf(blocks, 2, 6)], BodyOf(blocks, 0, 7), BodyOf(blocks, 0, 8) };
        var forged = new[] { foreign, swapped, shorter, url[..^3] + "AAA" };
        for (var i = 0; i < forged.Length; i++)
        {
            using var response = await PutRunAsync(anonymous, forged[i], bodies[i]);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("invalid_signature", await ErrorAsync(response));
        }

        // A run's PUT URL does not read the blocks, and a download run's URL (same form, signed for a GET) does not write them.
        using (var read = await anonymous.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);
            Assert.Equal("invalid_signature", await ErrorAsync(read));
        }

        var other = await UploadedFileRunUrlAsync(owner);
        using (var write = await PutRunAsync(anonymous, other.Url, other.Body))
        {
            Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
            Assert.Equal("invalid_signature", await ErrorAsync(write));
        }

        var resumed = await owner.OkAsync($"/files/upload?uploadType=resumable&upload_id={state["upload_id"]!.GetValue<string>()}", null);
        Assert.Equal(blocks.Select(b => b.Hash), Missing(resumed));
    }

    private async Task<(string Url, byte[] Body)> UploadedFileRunUrlAsync(ApiClient owner)
    {
        var content = Dropbox.RandomBytes(3000, seed: 75);
        var blocks = ResumableUpload.Split(content, 1000, 1000, 1000);
        var state = await ResumableUpload.BeginAsync(owner, ResumableUpload.Declare("/uploaded.bin", blocks));
        using (var anonymous = factory.CreateClient())
        {
            await ResumableUpload.SendMissingAsync(anonymous, state, blocks);
        }

        await owner.OkAsync("/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() });
        var page = await owner.OkAsync("/files/get_blocks", new { path = "/uploaded.bin" });
        return (page["runs"]![0]!["url"]!.GetValue<string>(), content);
    }

    [Fact]
    public async Task A_run_put_url_expires_like_a_block_url()
    {
        var (_, _, blocks, state) = await BeginAsync("/up-expiring.bin", seed: 76, count: 2, blockSize: 1000);
        factory.Clock.Advance(TimeSpan.FromMinutes(16));
        using var anonymous = factory.CreateClient();

        using var response = await PutRunAsync(anonymous, state["runs"]![0]!["url"]!.GetValue<string>(), BodyOf(blocks, 0, 2));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("url_expired", await ErrorAsync(response));
    }
}
