using System.Net;
using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Core.Content;

namespace DropSync.Api.Tests;

/// <summary>
/// Embedded mode's block runs: /files/get_blocks also answers runs of consecutive blocks (at most
/// <see cref="Limits.MaxRunBlocks"/> and <see cref="Limits.MaxRunBytes"/>), each one signed GET of their bytes back to
/// back, each block read through the store's check as a single block GET is. A run URL is good only for its blocks,
/// in its order, until it expires.
/// </summary>
public sealed class BlockRunTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    private const int Blocks = 20;
    private const int BlockSize = 1000;

    private async Task<(ApiClient Owner, byte[] Content, List<(string Hash, byte[] Bytes)> Blocks, JsonNode Page)> TwentyBlockFileAsync(
        string path, int seed, int count = Blocks, int blockSize = BlockSize)
    {
        var (owner, content, blocks, state) = await ResumableUpload.BeginRandomAsync(factory, path, seed, count, blockSize);
        using (var anonymous = factory.CreateClient())
        {
            await ResumableUpload.SendMissingAsync(anonymous, state, blocks);
        }

        await owner.OkAsync("/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() });
        return (owner, content, blocks, await owner.OkAsync("/files/get_blocks", new { path }));
    }

    [Fact]
    public async Task Runs_cover_the_page_in_order_and_each_answers_its_blocks_back_to_back()
    {
        var (_, content, _, page) = await TwentyBlockFileAsync("/runs.bin", seed: 60);
        using var anonymous = factory.CreateClient();

        var runs = page["runs"]!.AsArray();
        Assert.Equal([8, 8, 4], runs.Select(r => r!["count"]!.GetValue<int>()));
        Assert.Equal([0, 8, 16], runs.Select(r => r!["first"]!.GetValue<int>()));
        var reassembled = new List<byte>();
        foreach (var run in runs)
        {
            Assert.Equal(reassembled.Count, run!["offset"]!.GetValue<long>());
            Assert.True(run["expires_at"]!.GetValue<DateTimeOffset>() > DateTimeOffset.UtcNow);
            using var response = await anonymous.GetAsync(run["url"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(run["size"]!.GetValue<long>(), response.Content.Headers.ContentLength);
            reassembled.AddRange(await response.Content.ReadAsByteArrayAsync());
        }

        Assert.Equal(content, reassembled.ToArray());
    }

    [Fact]
    public async Task A_run_url_is_good_only_for_its_own_blocks_in_their_order()
    {
        var (_, _, blocks, page) = await TwentyBlockFileAsync("/scoped.bin", seed: 61);
        var url = page["runs"]![0]!["url"]!.GetValue<string>();
        var list = Uri.UnescapeDataString(url[(url.IndexOf("blocks=", StringComparison.Ordinal) + "blocks=".Length)..url.IndexOf('&', StringComparison.Ordinal)]);
        var names = list.Split(',');
        using var anonymous = factory.CreateClient();

        // Another block of the same file in place of the second; the first two swapped; the last left off.
        var foreign = url.Replace(names[1], $"{blocks[10].Hash}.{BlockSize}", StringComparison.Ordinal);
        var swapped = url.Replace(list, string.Join(',', [names[1], names[0], .. names[2..]]), StringComparison.Ordinal);
        var shorter = url.Replace(list, string.Join(',', names[..^1]), StringComparison.Ordinal);
        foreach (var forged in new[] { foreign, swapped, shorter, url[..^3] + "AAA" })
        {
            using var response = await anonymous.GetAsync(forged);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("invalid_signature", (await ApiClient.ReadJsonAsync(response))["error"]!.GetValue<string>());
        }
    }

    [Theory]
    [InlineData("nothex.1000", "malformed_block_hash")]
    [InlineData("{0}", "invalid_request")]
    [InlineData("{0}.0", "invalid_request")]
    [InlineData("{0}.4194305", "invalid_request")]
    [InlineData("{0}.1000,{0}.1000,{0}.1000,{0}.1000,{0}.1000,{0}.1000,{0}.1000,{0}.1000,{0}.1000", "invalid_request")]
    [InlineData("{0}.4194304,{0}.4194304,{0}.4194304,{0}.4194304,{0}.1", "invalid_request")]
    [InlineData("", "invalid_request")]
    public async Task A_malformed_or_oversized_run_is_refused_before_any_block_is_read(string blocks, string error)
    {
        var hash = new string('a', 64);
        using var anonymous = factory.CreateClient();

        using var response = await anonymous.GetAsync($"/blocks/run?blocks={string.Format(System.Globalization.CultureInfo.InvariantCulture, blocks, hash)}&u=x&exp=9999999999&sig=x");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(error, (await ApiClient.ReadJsonAsync(response))["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_run_url_expires_like_a_block_url()
    {
        var (_, _, _, page) = await TwentyBlockFileAsync("/expiring.bin", seed: 62);
        factory.Clock.Advance(TimeSpan.FromMinutes(16));
        using var anonymous = factory.CreateClient();

        using var response = await anonymous.GetAsync(page["runs"]![0]!["url"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("url_expired", (await ApiClient.ReadJsonAsync(response))["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_block_damaged_at_rest_cuts_the_run_short_and_sends_none_of_its_bytes()
    {
        // Blocks over the store's inline size (64 KiB), so that each is a file of its own to damage.
        const int FileBlockSize = 100_000;
        var (_, content, blocks, page) = await TwentyBlockFileAsync("/damaged.bin", seed: 63, count: 4, blockSize: FileBlockSize);
        var file = Directory.EnumerateFiles(factory.DataDirectory, blocks[2].Hash, SearchOption.AllDirectories).Single();
        var stored = await File.ReadAllBytesAsync(file);
        stored[^20] ^= 1;
        await File.WriteAllBytesAsync(file, stored);
        using var anonymous = factory.CreateClient();

        var received = new MemoryStream();
        var failed = await Record.ExceptionAsync(async () =>
        {
            using var response = await anonymous.GetAsync(page["runs"]![0]!["url"]!.GetValue<string>(), HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            await (await response.Content.ReadAsStreamAsync()).CopyToAsync(received);
        });

        Assert.NotNull(failed);
        // The two blocks before it may have arrived; nothing of the damaged one or after it.
        Assert.True(received.Length <= 2 * FileBlockSize, $"{received.Length} bytes arrived");
        Assert.Equal(content[..(int)received.Length], received.ToArray());
    }
}
