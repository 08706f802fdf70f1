using System.Net;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Core.Files;
using Microsoft.Extensions.DependencyInjection;

namespace DropSync.Api.Tests;

public sealed class ResumableUploadTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task Content_defined_blocks_upload_and_commit_with_the_right_content_hash()
    {
        var alice = await factory.SignUpAsync();
        var content = Dropbox.RandomBytes((3 * MiB) + 1000, seed: 1);
        var blocks = ResumableUpload.Split(content, 700_000, 2 * MiB, content.Length - 700_000 - (2 * MiB));
        using var anonymous = factory.CreateClient();

        var state = await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/cdc.bin", blocks, contentHash: Dropbox.ContentHash(content)));
        Assert.Equal(3, state["missing"]!.AsArray().Count);
        await ResumableUpload.SendMissingAsync(anonymous, state, blocks);
        var metadata = await alice.OkAsync("/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() });

        Assert.Equal(Dropbox.ContentHash(content), metadata["content_hash"]!.GetValue<string>());
        Assert.Equal(content, await alice.DownloadAsync("/cdc.bin"));
    }

    [Fact]
    public async Task More_content_defined_blocks_than_the_finish_reads_ahead_commit_with_the_right_content_hash()
    {
        // Eleven blocks of uneven sizes, so the finish's read-ahead (a few blocks on other threads) wraps several
        // times and 4 MiB pieces straddle blocks: any block hashed out of order changes the content hash.
        var alice = await factory.SignUpAsync();
        int[] sizes = [300_000, 1_200_000, 450_000, 2 * MiB, 700_001, 999_999, 262_144, 1_500_000, 333_333, 1_000_000, 777_777];
        var content = Dropbox.RandomBytes(sizes.Sum(), seed: 11);
        var blocks = ResumableUpload.Split(content, sizes);
        using var anonymous = factory.CreateClient();

        var state = await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/many.bin", blocks, contentHash: Dropbox.ContentHash(content)));
        await ResumableUpload.SendMissingAsync(anonymous, state, blocks);
        var metadata = await alice.OkAsync("/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() });

        Assert.Equal(Dropbox.ContentHash(content), metadata["content_hash"]!.GetValue<string>());
        Assert.Equal(content, await alice.DownloadAsync("/many.bin"));
    }

    [Fact]
    public async Task Pieces_are_hashed_as_the_blocks_arrive_so_the_finish_reads_none_back()
    {
        var alice = await factory.SignUpAsync();
        int[] sizes = [1_100_000, 3 * MiB, 800_000, 2_345_678, 1_999_999, 654_321];
        var content = Dropbox.RandomBytes(sizes.Sum(), seed: 13);
        var blocks = ResumableUpload.Split(content, sizes);
        using var anonymous = factory.CreateClient();
        var hashing = factory.Services.GetRequiredService<UploadPieceHashing>();

        var state = await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/arriving.bin", blocks, contentHash: Dropbox.ContentHash(content)));
        var before = hashing.PiecesHashed;
        // Out of file order, as parallel PUTs arrive: the early blocks wait for their turn.
        var missing = state["missing"]!.AsArray().Reverse().ToList();
        foreach (var m in missing)
        {
            using var response = await ResumableUpload.PutAsync(anonymous, m!, blocks.First(b => b.Hash == m!["hash"]!.GetValue<string>()).Bytes);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal((content.Length + (4 * MiB) - 1) / (4 * MiB), hashing.PiecesHashed - before);
        var metadata = await alice.OkAsync("/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() });

        Assert.Equal(Dropbox.ContentHash(content), metadata["content_hash"]!.GetValue<string>());
        Assert.Equal(content, await alice.DownloadAsync("/arriving.bin"));
    }

    [Fact]
    public async Task An_edited_file_committed_again_gets_the_content_hash_of_its_new_bytes()
    {
        // The finish remembers piece digests by the blocks that make them up: the unchanged pieces of the second upload
        // come from the first, the edited ones must be hashed afresh (a stale digest would give the old hash).
        var alice = await factory.SignUpAsync();
        int[] sizes = [1_300_000, 2 * MiB, 900_000, 3 * MiB, 1_234_567, 2_500_000, 654_321];
        var content = Dropbox.RandomBytes(sizes.Sum(), seed: 12);
        using var anonymous = factory.CreateClient();
        foreach (var round in new[] { 0, 1 })
        {
            if (round == 1)
            {
                content[^10] ^= 0x5A; // the last block only; sizes unchanged
            }

            var blocks = ResumableUpload.Split(content, sizes);
            var state = await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/edited.bin", blocks, mode: "overwrite"));
            Assert.Equal(round == 0 ? sizes.Length : 1, state["missing"]!.AsArray().Count);
            await ResumableUpload.SendMissingAsync(anonymous, state, blocks);
            var metadata = await alice.OkAsync("/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() });

            Assert.Equal(Dropbox.ContentHash(content), metadata["content_hash"]!.GetValue<string>());
            Assert.Equal(content, await alice.DownloadAsync("/edited.bin"));
        }
    }

    [Fact]
    public async Task Blocks_a_user_already_holds_are_not_asked_for_again_but_another_user_must_send_them()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        var content = Dropbox.RandomBytes(2 * MiB, seed: 2);
        var blocks = ResumableUpload.Split(content, MiB, MiB);
        await alice.UploadOkAsync("/first.bin", content);
        var aliceFirst = await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/x.bin", blocks));
        using var anonymous = factory.CreateClient();
        await ResumableUpload.SendMissingAsync(anonymous, aliceFirst, blocks);
        await alice.OkAsync("/files/upload/finish", new { upload_id = aliceFirst["upload_id"]!.GetValue<string>() });

        var aliceAgain = await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/copy.bin", blocks));
        var bobSame = await ResumableUpload.BeginAsync(bob, ResumableUpload.Declare("/mine.bin", blocks));

        Assert.Empty(aliceAgain["missing"]!.AsArray());
        Assert.Equal(2, bobSame["missing"]!.AsArray().Count);
        var (status, body) = await bob.PostAsync("/files/upload/finish", new { upload_id = bobSame["upload_id"]!.GetValue<string>() });
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("blocks_missing", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_interrupted_upload_resumes_with_only_what_is_missing()
    {
        var alice = await factory.SignUpAsync();
        var content = Dropbox.RandomBytes(3 * MiB, seed: 3);
        var blocks = ResumableUpload.Split(content, MiB, MiB, MiB);
        using var anonymous = factory.CreateClient();
        var state = await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/resume.bin", blocks));
        var uploadId = state["upload_id"]!.GetValue<string>();
        using (var first = await ResumableUpload.PutAsync(anonymous, state["missing"]![0]!, blocks[0].Bytes))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        var (early, earlyBody) = await alice.PostAsync("/files/upload/finish", new { upload_id = uploadId });
        Assert.Equal(HttpStatusCode.Conflict, early);
        Assert.Equal(2, earlyBody["missing"]!.AsArray().Count);

        var resumed = await alice.OkAsync($"/files/upload?uploadType=resumable&upload_id={uploadId}", null);
        Assert.Equal(new[] { blocks[1].Hash, blocks[2].Hash }.Order(), resumed["missing"]!.AsArray().Select(m => m!["hash"]!.GetValue<string>()).Order());
        await ResumableUpload.SendMissingAsync(anonymous, resumed, blocks);
        var metadata = await alice.OkAsync("/files/upload/finish", new { upload_id = uploadId });
        var again = await alice.OkAsync("/files/upload/finish", new { upload_id = uploadId });

        Assert.Equal(metadata["rev"]!.GetValue<string>(), again["rev"]!.GetValue<string>());
        Assert.Equal(content, await alice.DownloadAsync("/resume.bin"));
    }

    [Fact]
    public async Task Wrong_bytes_for_a_block_url_are_refused_and_nothing_is_stored()
    {
        var alice = await factory.SignUpAsync();
        var blocks = ResumableUpload.Split(Dropbox.RandomBytes(1000, seed: 4), 1000);
        var state = await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/a.bin", blocks));
        using var anonymous = factory.CreateClient();

        using var response = await ResumableUpload.PutAsync(anonymous, state["missing"]![0]!, Dropbox.RandomBytes(1000, seed: 5));
        var body = await ApiClient.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("block_hash_mismatch", body["error"]!.GetValue<string>());
        var resumed = await alice.OkAsync($"/files/upload?uploadType=resumable&upload_id={state["upload_id"]!.GetValue<string>()}", null);
        Assert.Single(resumed["missing"]!.AsArray());
    }

    [Fact]
    public async Task A_block_url_works_only_for_its_own_block_and_signature()
    {
        var alice = await factory.SignUpAsync();
        var blocks = ResumableUpload.Split(Dropbox.RandomBytes(2000, seed: 6), 1000, 1000);
        var state = await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/b.bin", blocks));
        var url = state["missing"]![0]!["url"]!.GetValue<string>();
        var otherHash = state["missing"]![1]!["hash"]!.GetValue<string>();
        var thisHash = state["missing"]![0]!["hash"]!.GetValue<string>();
        using var anonymous = factory.CreateClient();

        // The signature of block 0 presented for block 1.
        var swapped = new System.Text.Json.Nodes.JsonObject { ["url"] = url.Replace(thisHash, otherHash, StringComparison.Ordinal) };
        var otherBytes = blocks.First(b => b.Hash == otherHash).Bytes;
        using var forged = await ResumableUpload.PutAsync(anonymous, swapped, otherBytes);
        var tampered = new System.Text.Json.Nodes.JsonObject { ["url"] = url[..^3] + "AAA" };
        using var badSig = await ResumableUpload.PutAsync(anonymous, tampered, blocks.First(b => b.Hash == thisHash).Bytes);

        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal("invalid_signature", (await ApiClient.ReadJsonAsync(forged))["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, badSig.StatusCode);
    }

    [Fact]
    public async Task Block_urls_expire()
    {
        var alice = await factory.SignUpAsync();
        var blocks = ResumableUpload.Split(Dropbox.RandomBytes(1000, seed: 8), 1000);
        var state = await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/c.bin", blocks));
        factory.Clock.Advance(TimeSpan.FromMinutes(16));
        using var anonymous = factory.CreateClient();

        using var response = await ResumableUpload.PutAsync(anonymous, state["missing"]![0]!, blocks[0].Bytes);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("url_expired", (await ApiClient.ReadJsonAsync(response))["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Another_users_upload_id_is_not_found()
    {
        var alice = await factory.SignUpAsync();
        var mallory = await factory.SignUpAsync();
        var blocks = ResumableUpload.Split(Dropbox.RandomBytes(10, seed: 9), 10);
        var state = await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/d.bin", blocks));
        var uploadId = state["upload_id"]!.GetValue<string>();

        var finish = await mallory.PostAsync("/files/upload/finish", new { upload_id = uploadId });
        var resume = await mallory.PostAsync($"/files/upload?uploadType=resumable&upload_id={uploadId}", null);
        var unknown = await alice.PostAsync("/files/upload/finish", new { upload_id = "up_unknown" });

        Assert.All(new[] { finish, resume, unknown }, r =>
        {
            Assert.Equal(HttpStatusCode.NotFound, r.Status);
            Assert.Equal("upload_not_found", r.Body["error"]!.GetValue<string>());
        });
    }

    [Fact]
    public async Task A_declared_content_hash_that_does_not_match_commits_nothing()
    {
        var alice = await factory.SignUpAsync();
        var blocks = ResumableUpload.Split(Dropbox.RandomBytes(100, seed: 10), 100);
        var state = await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/e.bin", blocks, contentHash: new string('a', 64)));
        using var anonymous = factory.CreateClient();
        await ResumableUpload.SendMissingAsync(anonymous, state, blocks);

        var (status, body) = await alice.PostAsync("/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("content_hash_mismatch", body["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await alice.PostAsync("/files/get_metadata", new { path = "/e.bin" })).Status);
    }

    [Theory]
    [InlineData(5 * MiB, "block_too_large", HttpStatusCode.RequestEntityTooLarge)]
    [InlineData(0, "block_too_large", HttpStatusCode.RequestEntityTooLarge)]
    public async Task Declared_blocks_outside_the_limits_are_refused(int blockSize, string code, HttpStatusCode expected)
    {
        var alice = await factory.SignUpAsync();
        var declaration = new { path = "/f.bin", size = blockSize, blocks = new[] { new { hash = new string('b', 64), size = blockSize } } };

        var (status, body) = await alice.PostAsync("/files/upload?uploadType=resumable", declaration);

        Assert.Equal(expected, status);
        Assert.Equal(code, body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Sizes_that_do_not_add_up_and_files_over_10_GiB_are_refused()
    {
        var alice = await factory.SignUpAsync();
        var mismatch = new { path = "/g.bin", size = 11, blocks = new[] { new { hash = new string('c', 64), size = 10 } } };
        var huge = new { path = "/h.bin", size = (10L * 1024 * MiB) + 1, blocks = Array.Empty<object>() };

        var (s1, b1) = await alice.PostAsync("/files/upload?uploadType=resumable", mismatch);
        var (s2, b2) = await alice.PostAsync("/files/upload?uploadType=resumable", huge);

        Assert.Equal(HttpStatusCode.BadRequest, s1);
        Assert.Equal("size_mismatch", b1["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, s2);
        Assert.Equal("file_too_large", b2["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_oversize_block_body_is_refused()
    {
        var alice = await factory.SignUpAsync();
        var blocks = ResumableUpload.Split(Dropbox.RandomBytes(4 * MiB, seed: 12), 4 * MiB);
        var state = await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/i.bin", blocks));
        using var anonymous = factory.CreateClient();

        using var response = await ResumableUpload.PutAsync(anonymous, state["missing"]![0]!, Dropbox.RandomBytes((4 * MiB) + 1, seed: 13));

        Assert.True(response.StatusCode is HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.BadRequest, response.StatusCode.ToString());
        Assert.Equal(HttpStatusCode.Conflict, (await alice.PostAsync("/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() })).Status);
    }
}
