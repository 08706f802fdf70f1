using System.Net;
using System.Text.Json.Nodes;
using DropSync.Api.Hosting;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Aws.Hosting;
using DropSync.Core.Files;
using Microsoft.Extensions.Configuration;

namespace DropSync.Api.Tests;

/// <summary>
/// <c>DropSync:BlockListContentHash=false</c> (AWS: <c>DROPSYNC_BLOCK_LIST_CONTENT_HASH=false</c>), for deployments
/// with clients from before b1: /config stops offering it and a begin that asks for it gets Dropbox's hash.
/// </summary>
public sealed class BlockListHashSettingTests : IDisposable
{
    private static readonly int[] Sizes = [1_100_000, 3 * 1024 * 1024, 800_000];

    private readonly DropSyncApiFactory _server = DropSyncApiFactory.WithSettings(("DropSync:BlockListContentHash", "false"));

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task Turned_off_config_does_not_offer_b1()
    {
        using var anonymous = _server.CreateClient();
        var config = JsonNode.Parse(await anonymous.GetStringAsync("/config"))!;

        Assert.False(config["block_list_content_hash"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Turned_off_a_begin_that_asks_for_b1_gets_dropboxs_hash_and_downloads_verified()
    {
        var alice = await _server.SignUpAsync();
        var content = Dropbox.RandomBytes(Sizes.Sum(), seed: 71);
        var blocks = ResumableUpload.Split(content, Sizes);

        var state = await ResumableUpload.BeginAsync(alice, Declare("/old-clients.bin", blocks, "b1"));
        using var anonymous = _server.CreateClient();
        await ResumableUpload.SendMissingAsync(anonymous, state, blocks);
        var metadata = await alice.OkAsync("/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() });

        Assert.Equal(Dropbox.ContentHash(content), metadata["content_hash"]!.GetValue<string>());
        Assert.Equal(content, await alice.DownloadAsync("/old-clients.bin"));
    }

    [Fact]
    public async Task Turned_off_a_declared_b1_value_is_refused_since_the_revision_will_not_carry_it()
    {
        var alice = await _server.SignUpAsync();
        var content = Dropbox.RandomBytes(Sizes.Sum(), seed: 72);
        var blocks = ResumableUpload.Split(content, Sizes);

        var (status, body) = await alice.PostAsync("/files/upload?uploadType=resumable", Declare("/d.bin", blocks, "b1", "b1:" + new string('a', 64)));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("malformed_content_hash", body["error"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("true", true)]
    [InlineData("false", false)]
    public void Aws_mode_takes_the_setting_from_the_lambda_environment(string? value, bool offered)
    {
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (value is not null)
        {
            settings[AwsEnvironment.BlockListContentHash] = value;
        }

        var options = new DropSyncOptions();
        AwsModeServices.ApplyRetentionSettings(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), options);

        Assert.Equal(offered, options.BlockListContentHash);
    }

    private static object Declare(string path, List<(string Hash, byte[] Bytes)> blocks, string kind, string? contentHash = null) => new
    {
        path,
        size = blocks.Sum(b => (long)b.Bytes.Length),
        blocks = blocks.Select(b => new { hash = b.Hash, size = b.Bytes.Length }),
        mode = "add",
        content_hash = contentHash,
        content_hash_kind = kind,
    };
}
