using System.Net;
using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;
using static DropSync.Api.Tests.Infrastructure.Sharing;

namespace DropSync.Api.Tests;

/// <summary>POST /files/download_batch: many files' contents in one answer, each file on its own terms.</summary>
public sealed class BatchDownloadTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    private static JsonArray Entries(JsonNode body) => body["entries"]!.AsArray();

    private static object Ask(params object[] files) => new { files };

    [Fact]
    public async Task Carries_many_files_with_their_metadata_and_content()
    {
        var alice = await factory.SignUpAsync();
        var files = Enumerable.Range(0, 40).Select(i => ($"/Many/d{i % 4}/f{i}.bin", Dropbox.RandomBytes(10 + (i * 97), seed: 300 + i))).ToList();
        files.Add(("/Many/empty.bin", []));
        foreach (var (path, content) in files)
        {
            await alice.UploadOkAsync(path, content);
        }

        var (status, body) = await alice.PostAsync("/files/download_batch", Ask([.. files.Select(f => new { path = f.Item1 })]));

        Assert.Equal(HttpStatusCode.OK, status);
        var entries = Entries(body);
        Assert.Equal(files.Count, entries.Count);
        for (var i = 0; i < files.Count; i++)
        {
            Assert.Equal(200, entries[i]!["status"]!.GetValue<int>());
            Assert.Equal(i, entries[i]!["index"]!.GetValue<int>());
            Assert.Equal(files[i].Item1, entries[i]!["metadata"]!["path"]!.GetValue<string>());
            Assert.Equal(Dropbox.ContentHash(files[i].Item2), entries[i]!["metadata"]!["content_hash"]!.GetValue<string>());
            Assert.Equal(files[i].Item2, Convert.FromBase64String(entries[i]!["content"]!.GetValue<string>()));
        }
    }

    [Fact]
    public async Task Each_file_fails_alone_with_the_error_a_single_download_would_have()
    {
        var alice = await factory.SignUpAsync();
        var first = await alice.UploadOkAsync("/Mixed/a.txt", Bytes("first"));
        await alice.UploadOkAsync("/Mixed/a.txt", Bytes("second"), mode: "overwrite");
        await alice.OkAsync("/files/create_folder", new { path = "/Mixed/folder" });

        var (status, body) = await alice.PostAsync("/files/download_batch", Ask(
            new { path = "/Mixed/a.txt" },
            new { path = "/Mixed/a.txt", rev = first["rev"]!.GetValue<string>() },
            new { path = "/Mixed/missing.txt" },
            new { path = "/Mixed/folder" },
            new { path = "no-slash\0" }));

        Assert.Equal(HttpStatusCode.OK, status);
        var entries = Entries(body);
        Assert.Equal("second", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(entries[0]!["content"]!.GetValue<string>())));
        Assert.Equal("first", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(entries[1]!["content"]!.GetValue<string>())));
        Assert.Equal(404, entries[2]!["status"]!.GetValue<int>());
        Assert.Equal(409, entries[3]!["status"]!.GetValue<int>());
        Assert.Equal("path_is_folder", entries[3]!["error"]!["error"]!.GetValue<string>());
        Assert.Equal(400, entries[4]!["status"]!.GetValue<int>());
        Assert.Null(entries[2]!["content"]);
    }

    [Fact]
    public async Task A_stranger_gets_not_found_for_someone_elses_files()
    {
        var alice = await factory.SignUpAsync();
        var mallory = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Private/secret.txt", Bytes("secret"));

        var (status, body) = await mallory.PostAsync("/files/download_batch", Ask(new { path = "/Private/secret.txt" }));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(404, Entries(body)[0]!["status"]!.GetValue<int>());
        Assert.Null(Entries(body)[0]!["content"]);
    }

    [Fact]
    public async Task A_file_over_one_block_and_files_past_the_answer_budget_are_refused_alone()
    {
        var alice = await factory.SignUpAsync();
        var block = 4 * 1024 * 1024;
        await alice.UploadOkAsync("/Big/over.bin", Dropbox.RandomBytes(block + 1, seed: 1));
        for (var i = 0; i < 4; i++)
        {
            await alice.UploadOkAsync($"/Big/full{i}.bin", Dropbox.RandomBytes(block, seed: 10 + i));
        }

        var (status, body) = await alice.PostAsync("/files/download_batch", Ask(
            new { path = "/Big/over.bin" }, new { path = "/Big/full0.bin" }, new { path = "/Big/full1.bin" }, new { path = "/Big/full2.bin" }, new { path = "/Big/full3.bin" }));

        Assert.Equal(HttpStatusCode.OK, status);
        var entries = Entries(body);
        Assert.Equal(413, entries[0]!["status"]!.GetValue<int>());
        Assert.Equal("file_too_large", entries[0]!["error"]!["error"]!.GetValue<string>());
        // 16 MiB of answer: two 4 MiB files in base64 (5.6 MB each) fit, a third does not.
        Assert.Equal([200, 200, 413, 413], entries.Skip(1).Select(e => e!["status"]!.GetValue<int>()));
        Assert.Equal("download_batch_full", entries[3]!["error"]!["error"]!.GetValue<string>());
        Assert.Equal(16L * 1024 * 1024, entries[3]!["error"]!["max_download_batch_bytes"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_batch_names_at_most_a_thousand_files()
    {
        var alice = await factory.SignUpAsync();
        var (status, body) = await alice.PostAsync("/files/download_batch", Ask([.. Enumerable.Range(0, 1001).Select(i => new { path = $"/f{i}" })]));
        Status(HttpStatusCode.BadRequest, (status, body), "too_many_files");

        var (missing, missingBody) = await alice.PostAsync("/files/download_batch", new { });
        Status(HttpStatusCode.BadRequest, (missing, missingBody), "invalid_request");
    }
}
