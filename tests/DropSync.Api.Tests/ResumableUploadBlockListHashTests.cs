using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Core.Files;
using Microsoft.Extensions.DependencyInjection;

namespace DropSync.Api.Tests;

/// <summary>
/// A resumable upload that asks for <c>content_hash_kind: "b1"</c> gets the content hash derived from its block list
/// (SHA-256 over each block's 32-byte name and 8-byte little-endian length), with no pass over the bytes; any other
/// upload keeps Dropbox's.
/// </summary>
public sealed class ResumableUploadBlockListHashTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    private static readonly int[] Sizes = [1_100_000, 3 * 1024 * 1024, 800_000, 2_345_678];

    [Fact]
    public async Task The_server_advertises_the_block_list_hash()
    {
        using var anonymous = factory.CreateClient();
        var config = JsonNode.Parse(await anonymous.GetStringAsync("/config"))!;

        Assert.True(config["block_list_content_hash"]!.GetValue<bool>());
    }

    [Fact]
    public async Task An_upload_that_asks_for_b1_gets_it_without_hashing_pieces_and_downloads_verified()
    {
        var alice = await factory.SignUpAsync();
        var content = Dropbox.RandomBytes(Sizes.Sum(), seed: 61);
        var blocks = ResumableUpload.Split(content, Sizes);
        var hashing = factory.Services.GetRequiredService<UploadPieceHashing>();
        var before = hashing.PiecesHashed;

        var metadata = await UploadAsync(alice, "/b1.bin", blocks, kind: "b1");

        var expected = BlockListHash(blocks);
        Assert.Equal(expected, metadata["content_hash"]!.GetValue<string>());
        Assert.Equal(before, hashing.PiecesHashed);
        var listed = await alice.OkAsync("/files/get_metadata", new { path = "/b1.bin" });
        Assert.Equal(expected, listed["content_hash"]!.GetValue<string>());
        var revisions = await alice.OkAsync("/files/list_revisions", new { path = "/b1.bin" });
        Assert.Equal(expected, revisions["entries"]![0]!["content_hash"]!.GetValue<string>());
        // The whole-file download checks the names against the recorded b1 value, as it checks Dropbox's hash otherwise.
        Assert.Equal(content, await alice.DownloadAsync("/b1.bin"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("pieces")]
    public async Task An_upload_without_the_opt_in_keeps_dropboxs_hash(string? kind)
    {
        var alice = await factory.SignUpAsync();
        var content = Dropbox.RandomBytes(Sizes.Sum(), seed: 62);
        var blocks = ResumableUpload.Split(content, Sizes);

        var metadata = await UploadAsync(alice, "/pieces.bin", blocks, kind);

        Assert.Equal(Dropbox.ContentHash(content), metadata["content_hash"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_wrong_kind_or_a_declared_hash_of_the_other_kind_is_refused_and_a_wrong_b1_value_commits_nothing()
    {
        var alice = await factory.SignUpAsync();
        var content = Dropbox.RandomBytes(Sizes.Sum(), seed: 63);
        var blocks = ResumableUpload.Split(content, Sizes);

        var (unknown, unknownBody) = await alice.PostAsync("/files/upload?uploadType=resumable", Declare("/k.bin", blocks, "b2"));
        var (mixed, mixedBody) = await alice.PostAsync("/files/upload?uploadType=resumable", Declare("/k.bin", blocks, "b1", Dropbox.ContentHash(content)));
        Assert.Equal(HttpStatusCode.BadRequest, unknown);
        Assert.Equal("invalid_request", unknownBody["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, mixed);
        Assert.Equal("malformed_content_hash", mixedBody["error"]!.GetValue<string>());

        var wrong = BlockListHash(blocks[..^1]);
        var state = await ResumableUpload.BeginAsync(alice, Declare("/k.bin", blocks, "b1", wrong));
        using var anonymous = factory.CreateClient();
        await ResumableUpload.SendMissingAsync(anonymous, state, blocks);
        var (finish, finishBody) = await alice.PostAsync("/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() });
        Assert.Equal(HttpStatusCode.BadRequest, finish);
        Assert.Equal("content_hash_mismatch", finishBody["error"]!.GetValue<string>());

        var right = await UploadAsync(alice, "/k.bin", blocks, "b1", BlockListHash(blocks));
        Assert.Equal(BlockListHash(blocks), right["content_hash"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_same_bytes_added_again_in_the_other_kind_are_not_a_conflict()
    {
        var alice = await factory.SignUpAsync();
        var content = Dropbox.RandomBytes(Sizes.Sum(), seed: 64);
        var blocks = ResumableUpload.Split(content, Sizes);
        var first = await UploadAsync(alice, "/same.bin", blocks, kind: null);

        // mode=add over a live file: the same bytes are "already there" (the b1 value follows from the live revision's
        // blocks), not a conflicted copy.
        var again = await UploadAsync(alice, "/same.bin", blocks, kind: "b1");

        Assert.Equal(first["rev"]!.GetValue<string>(), again["rev"]!.GetValue<string>());
        var listing = await alice.OkAsync("/files/list_folder", new { path = "" });
        Assert.Single(listing["entries"]!.AsArray());
    }

    [Fact]
    public async Task A_single_block_b1_file_comes_in_a_download_batch()
    {
        var alice = await factory.SignUpAsync();
        var content = Dropbox.RandomBytes(5000, seed: 65);
        var blocks = ResumableUpload.Split(content, content.Length);
        await UploadAsync(alice, "/small.bin", blocks, kind: "b1");

        var (status, body) = await alice.PostAsync("/files/download_batch", new { files = new[] { new { path = "/small.bin" } } });

        Assert.Equal(HttpStatusCode.OK, status);
        var entry = body["entries"]![0]!;
        Assert.Equal(200, entry["status"]!.GetValue<int>());
        Assert.Equal(BlockListHash(blocks), entry["metadata"]!["content_hash"]!.GetValue<string>());
        Assert.Equal(content, Convert.FromBase64String(entry["content"]!.GetValue<string>()));
    }

    /// <summary>The b1 value as the API documents it, computed here apart from the server's code.</summary>
    private static string BlockListHash(List<(string Hash, byte[] Bytes)> blocks)
    {
        var input = new byte[blocks.Count * 40];
        for (var i = 0; i < blocks.Count; i++)
        {
            Convert.FromHexString(blocks[i].Hash).CopyTo(input, i * 40);
            BinaryPrimitives.WriteInt64LittleEndian(input.AsSpan((i * 40) + 32, 8), blocks[i].Bytes.Length);
        }

        return "b1:" + Convert.ToHexStringLower(SHA256.HashData(input));
    }

    private static object Declare(string path, List<(string Hash, byte[] Bytes)> blocks, string? kind, string? contentHash = null) => new
    {
        path,
        size = blocks.Sum(b => (long)b.Bytes.Length),
        blocks = blocks.Select(b => new { hash = b.Hash, size = b.Bytes.Length }),
        mode = "add",
        content_hash = contentHash,
        content_hash_kind = kind,
    };

    private async Task<JsonNode> UploadAsync(ApiClient client, string path, List<(string Hash, byte[] Bytes)> blocks, string? kind, string? contentHash = null)
    {
        var state = await ResumableUpload.BeginAsync(client, Declare(path, blocks, kind, contentHash));
        using var anonymous = factory.CreateClient();
        await ResumableUpload.SendMissingAsync(anonymous, state, blocks);
        return await client.OkAsync("/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() });
    }
}
