using System.Net;
using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Core.Files;
using Microsoft.Extensions.DependencyInjection;

namespace DropSync.Api.Tests;

/// <summary>A resumable upload whose block list comes in parts (<c>more_blocks</c>, then <c>/files/upload/blocks</c>).</summary>
public sealed class ResumableUploadPartsTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    private const int MiB = 1024 * 1024;
    private static readonly int[] Sizes = [1_100_000, 3 * MiB, 800_000, 2_345_678, 1_999_999, 654_321];

    [Fact]
    public async Task A_list_sent_in_parts_commits_with_the_right_content_hash_hashed_as_the_blocks_arrive()
    {
        var alice = await factory.SignUpAsync();
        var content = Dropbox.RandomBytes(Sizes.Sum(), seed: 21);
        var blocks = ResumableUpload.Split(content, Sizes);
        using var anonymous = factory.CreateClient();
        var hashing = factory.Services.GetRequiredService<UploadPieceHashing>();
        var before = hashing.PiecesHashed;

        var state = await ResumableUpload.BeginAsync(alice, BeginPart("/parts.bin", content.Length, blocks[..2], contentHash: Dropbox.ContentHash(content)));
        Assert.Equal(2, state["missing"]!.AsArray().Count);
        await ResumableUpload.SendMissingAsync(anonymous, state, blocks);
        var uploadId = state["upload_id"]!.GetValue<string>();
        var second = await alice.OkAsync("/files/upload/blocks", Part(uploadId, 2, blocks[2..5]));
        Assert.Equal(3, second["missing"]!.AsArray().Count);
        await ResumableUpload.SendMissingAsync(anonymous, second, blocks);
        var last = await alice.OkAsync("/files/upload/blocks", Part(uploadId, 5, blocks[5..]));
        await ResumableUpload.SendMissingAsync(anonymous, last, blocks);
        var metadata = await alice.OkAsync("/files/upload/finish", new { upload_id = uploadId });

        Assert.Equal(Dropbox.ContentHash(content), metadata["content_hash"]!.GetValue<string>());
        Assert.Equal(content.Length, metadata["size"]!.GetValue<long>());
        Assert.Equal(content, await alice.DownloadAsync("/parts.bin"));
        // Every piece was hashed as its blocks came, across the parts' boundaries: the finish read none back.
        Assert.Equal((content.Length + (4 * MiB) - 1) / (4 * MiB), hashing.PiecesHashed - before);
    }

    [Fact]
    public async Task A_null_block_entry_is_refused_with_a_clear_error_and_changes_nothing()
    {
        var alice = await factory.SignUpAsync();
        var content = Dropbox.RandomBytes(Sizes.Sum(), seed: 23);
        var blocks = ResumableUpload.Split(content, Sizes);
        var state = await ResumableUpload.BeginAsync(alice, BeginPart("/nulls.bin", content.Length, blocks[..2]));
        var uploadId = state["upload_id"]!.GetValue<string>();

        var (status, body) = await alice.PostAsync("/files/upload/blocks", new { upload_id = uploadId, index = 2, blocks = new object?[] { null } });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request", body["error"]!.GetValue<string>());
        var next = await alice.OkAsync("/files/upload/blocks", Part(uploadId, 2, blocks[2..]));
        Assert.NotNull(next["missing"]);
    }

    [Fact]
    public async Task A_part_sent_again_changes_nothing_and_a_part_out_of_place_is_refused()
    {
        var alice = await factory.SignUpAsync();
        var content = Dropbox.RandomBytes(Sizes.Sum(), seed: 22);
        var blocks = ResumableUpload.Split(content, Sizes);
        var state = await ResumableUpload.BeginAsync(alice, BeginPart("/again.bin", content.Length, blocks[..2]));
        var uploadId = state["upload_id"]!.GetValue<string>();

        await alice.OkAsync("/files/upload/blocks", Part(uploadId, 2, blocks[2..4]));
        var retried = await alice.OkAsync("/files/upload/blocks", Part(uploadId, 2, blocks[2..4]));
        var (gap, gapBody) = await alice.PostAsync("/files/upload/blocks", Part(uploadId, 5, blocks[5..]));
        var (other, otherBody) = await alice.PostAsync("/files/upload/blocks", Part(uploadId, 1, blocks[4..5]));

        Assert.Equal(4, retried["missing"]!.AsArray().Count);
        Assert.Equal(HttpStatusCode.Conflict, gap);
        Assert.Equal("block_index_mismatch", gapBody["error"]!.GetValue<string>());
        Assert.Equal(4, gapBody["block_count"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.Conflict, other);
        Assert.Equal("block_index_mismatch", otherBody["error"]!.GetValue<string>());

        // The list is still the four blocks added once: the rest completes it.
        await alice.OkAsync("/files/upload/blocks", Part(uploadId, 4, blocks[4..]));
        using var anonymous = factory.CreateClient();
        await SendAllAsync(alice, anonymous, uploadId, blocks);
        await alice.OkAsync("/files/upload/finish", new { upload_id = uploadId });
        Assert.Equal(content, await alice.DownloadAsync("/again.bin"));
    }

    [Fact]
    public async Task An_incomplete_list_cannot_be_finished_and_parts_are_held_to_the_limits()
    {
        var alice = await factory.SignUpAsync();
        var content = Dropbox.RandomBytes(Sizes.Sum(), seed: 23);
        var blocks = ResumableUpload.Split(content, Sizes);
        var state = await ResumableUpload.BeginAsync(alice, BeginPart("/short.bin", content.Length, blocks[..1]));
        var uploadId = state["upload_id"]!.GetValue<string>();

        var (early, earlyBody) = await alice.PostAsync("/files/upload/finish", new { upload_id = uploadId });
        var (past, pastBody) = await alice.PostAsync("/files/upload/blocks", Part(uploadId, 1, [.. blocks[1..], .. blocks[..1]]));
        var (huge, hugeBody) = await alice.PostAsync(
            "/files/upload/blocks", new { upload_id = uploadId, index = 1, blocks = new[] { new { hash = new string('b', 64), size = (4 * MiB) + 1 } } });
        var (noIndex, noIndexBody) = await alice.PostAsync("/files/upload/blocks", new { upload_id = uploadId, blocks = Array.Empty<object>() });
        var (firstTooLong, firstTooLongBody) = await alice.PostAsync(
            "/files/upload?uploadType=resumable", BeginPart("/long.bin", content.Length - 1, blocks));

        Assert.Equal((HttpStatusCode.Conflict, "block_list_incomplete"), (early, earlyBody["error"]!.GetValue<string>()));
        Assert.Equal(1, earlyBody["block_count"]!.GetValue<int>());
        Assert.Equal((HttpStatusCode.BadRequest, "size_mismatch"), (past, pastBody["error"]!.GetValue<string>()));
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "block_too_large"), (huge, hugeBody["error"]!.GetValue<string>()));
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_request"), (noIndex, noIndexBody["error"]!.GetValue<string>()));
        Assert.Equal((HttpStatusCode.BadRequest, "size_mismatch"), (firstTooLong, firstTooLongBody["error"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Only_the_uploads_owner_can_add_to_it_and_a_finished_upload_takes_no_more()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        var content = Dropbox.RandomBytes(Sizes.Sum(), seed: 24);
        var blocks = ResumableUpload.Split(content, Sizes);
        var state = await ResumableUpload.BeginAsync(alice, BeginPart("/mine.bin", content.Length, blocks[..3]));
        var uploadId = state["upload_id"]!.GetValue<string>();

        var (bobs, bobsBody) = await bob.PostAsync("/files/upload/blocks", Part(uploadId, 3, blocks[3..]));
        Assert.Equal((HttpStatusCode.NotFound, "upload_not_found"), (bobs, bobsBody["error"]!.GetValue<string>()));

        await alice.OkAsync("/files/upload/blocks", Part(uploadId, 3, blocks[3..]));
        using var anonymous = factory.CreateClient();
        await SendAllAsync(alice, anonymous, uploadId, blocks);
        await alice.OkAsync("/files/upload/finish", new { upload_id = uploadId });
        var (after, afterBody) = await alice.PostAsync("/files/upload/blocks", Part(uploadId, 6, blocks[..1]));
        var retried = await alice.OkAsync("/files/upload/blocks", Part(uploadId, 3, blocks[3..]));

        Assert.Equal((HttpStatusCode.BadRequest, "size_mismatch"), (after, afterBody["error"]!.GetValue<string>()));
        Assert.Equal("/mine.bin", retried["committed"]!["path"]!.GetValue<string>());
    }

    private static object BeginPart(string path, long size, List<(string Hash, byte[] Bytes)> blocks, string? contentHash = null) => new
    {
        path,
        size,
        blocks = blocks.Select(b => new { hash = b.Hash, size = b.Bytes.Length }),
        mode = "add",
        content_hash = contentHash,
        more_blocks = true,
    };

    private static object Part(string uploadId, int index, List<(string Hash, byte[] Bytes)> blocks) => new
    {
        upload_id = uploadId,
        index,
        blocks = blocks.Select(b => new { hash = b.Hash, size = b.Bytes.Length }),
    };

    private static async Task SendAllAsync(ApiClient owner, HttpClient anonymous, string uploadId, List<(string Hash, byte[] Bytes)> blocks)
    {
        JsonNode state = await owner.OkAsync($"/files/upload?uploadType=resumable&upload_id={uploadId}", null);
        await ResumableUpload.SendMissingAsync(anonymous, state, blocks);
    }
}
