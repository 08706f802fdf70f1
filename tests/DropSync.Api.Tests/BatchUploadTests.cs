using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Embedded.Metadata;
using Microsoft.Extensions.DependencyInjection;

namespace DropSync.Api.Tests;

public sealed class BatchUploadTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    private sealed record BatchFile(string Path, byte[] Content, string? Mode = null, string? Rev = null);

    private static async Task<(HttpStatusCode Status, JsonNode Body)> UploadBatchAsync(ApiClient client, IEnumerable<BatchFile> files)
    {
        var list = files.ToList();
        using var body = new MultipartFormDataContent();
        var manifest = JsonSerializer.Serialize(new { files = list.Select(f => new { path = f.Path, mode = f.Mode, rev = f.Rev }) });
        body.Add(new StringContent(manifest, Encoding.UTF8, "application/json"), "manifest");
        for (var i = 0; i < list.Count; i++)
        {
            var part = new ByteArrayContent(list[i].Content);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            body.Add(part, "file", $"f{i}");
        }

        using var response = await client.Http.PostAsync("/files/upload_batch", body);
        return (response.StatusCode, await ApiClient.ReadJsonAsync(response));
    }

    private static JsonArray Entries(JsonNode body) => body["entries"]!.AsArray();

    [Fact]
    public async Task Uploads_many_files_in_one_request_with_content_hashes()
    {
        var alice = await factory.SignUpAsync();
        var files = Enumerable.Range(0, 50).Select(i => new BatchFile($"/Batch/dir{i % 5}/file{i}.txt", Dropbox.RandomBytes(100 + i, seed: i))).ToList();
        files.Add(new BatchFile("/Batch/empty.txt", []));

        var (status, body) = await UploadBatchAsync(alice, files);

        Assert.Equal(HttpStatusCode.OK, status);
        var entries = Entries(body);
        Assert.Equal(files.Count, entries.Count);
        for (var i = 0; i < files.Count; i++)
        {
            Assert.Equal(200, entries[i]!["status"]!.GetValue<int>());
            Assert.Equal(i, entries[i]!["index"]!.GetValue<int>());
            var metadata = entries[i]!["metadata"]!;
            Assert.Equal(files[i].Path, metadata["path"]!.GetValue<string>());
            Assert.Equal(files[i].Content.Length, metadata["size"]!.GetValue<long>());
            Assert.Equal(Dropbox.ContentHash(files[i].Content), metadata["content_hash"]!.GetValue<string>());
            Assert.Equal(files[i].Content, await alice.DownloadAsync(files[i].Path));
        }
    }

    [Fact]
    public async Task One_bad_path_in_the_batch_fails_alone()
    {
        var alice = await factory.SignUpAsync();
        var files = new[]
        {
            new BatchFile("/ok1.txt", "one"u8.ToArray()),
            new BatchFile("/bad/../../escape.txt", "bad"u8.ToArray()),
            new BatchFile("/ok2.txt", "two"u8.ToArray()),
            new BatchFile("/ok3.txt", "three"u8.ToArray(), Mode: "sideways"),
        };

        var (status, body) = await UploadBatchAsync(alice, files);

        Assert.Equal(HttpStatusCode.OK, status);
        var entries = Entries(body);
        Assert.Equal(200, entries[0]!["status"]!.GetValue<int>());
        Assert.Equal(400, entries[1]!["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(entries[1]!["error"]!["error"]!.GetValue<string>()));
        Assert.Null(entries[1]!["metadata"]);
        Assert.Equal(200, entries[2]!["status"]!.GetValue<int>());
        Assert.Equal("invalid_mode", entries[3]!["error"]!["error"]!.GetValue<string>());
        Assert.Equal("one"u8.ToArray(), await alice.DownloadAsync("/ok1.txt"));
        Assert.Equal("two"u8.ToArray(), await alice.DownloadAsync("/ok2.txt"));
    }

    [Fact]
    public async Task Conflicts_in_the_batch_keep_conflicted_copies()
    {
        var laptop = await factory.SignUpAsync(deviceName: "laptop");
        var phone = await factory.SignInAsync(laptop.Email!, "phone");
        var rev1 = (await laptop.UploadOkAsync("/Docs/plan.txt", "v1"u8.ToArray()))["rev"]!.GetValue<string>();
        await laptop.UploadOkAsync("/Docs/plan.txt", "laptop edit"u8.ToArray(), mode: "update", rev: rev1);
        await laptop.UploadOkAsync("/Docs/new.txt", "laptop new"u8.ToArray());

        var (status, body) = await UploadBatchAsync(phone,
        [
            new BatchFile("/Docs/plan.txt", "phone edit"u8.ToArray(), "update", rev1),
            new BatchFile("/Docs/new.txt", "phone new"u8.ToArray(), "add"),
            new BatchFile("/Docs/fine.txt", "fine"u8.ToArray()),
        ]);

        Assert.Equal(HttpStatusCode.OK, status);
        var entries = Entries(body);
        foreach (var i in new[] { 0, 1 })
        {
            Assert.Equal(409, entries[i]!["status"]!.GetValue<int>());
            var error = entries[i]!["error"]!;
            Assert.Equal("conflict", error["error"]!.GetValue<string>());
            var copy = error["conflicted_copy"]!["path"]!.GetValue<string>();
            Assert.Contains("(conflicted copy from phone", copy, StringComparison.Ordinal);
            Assert.Equal(i == 0 ? "phone edit"u8.ToArray() : "phone new"u8.ToArray(), await laptop.DownloadAsync(copy));
        }

        Assert.Equal(200, entries[2]!["status"]!.GetValue<int>());
        Assert.Equal("laptop edit"u8.ToArray(), await laptop.DownloadAsync("/Docs/plan.txt"));
        Assert.Equal("laptop new"u8.ToArray(), await laptop.DownloadAsync("/Docs/new.txt"));
    }

    [Fact]
    public async Task A_file_over_4_MiB_fails_alone_and_a_missing_part_is_reported()
    {
        var alice = await factory.SignUpAsync();
        using var body = new MultipartFormDataContent();
        var manifest = JsonSerializer.Serialize(new { files = new[] { new { path = "/big.bin" }, new { path = "/small.txt" }, new { path = "/never.txt" } } });
        body.Add(new StringContent(manifest, Encoding.UTF8, "application/json"), "manifest");
        body.Add(new ByteArrayContent(new byte[(4 * 1024 * 1024) + 1]), "file", "big");
        body.Add(new ByteArrayContent("small"u8.ToArray()), "file", "small");

        using var response = await alice.Http.PostAsync("/files/upload_batch", body);
        var entries = Entries(await ApiClient.ReadJsonAsync(response));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(413, entries[0]!["status"]!.GetValue<int>());
        Assert.Equal(200, entries[1]!["status"]!.GetValue<int>());
        Assert.Equal("missing_content", entries[2]!["error"]!["error"]!.GetValue<string>());
        Assert.Equal("small"u8.ToArray(), await alice.DownloadAsync("/small.txt"));
    }

    [Fact]
    public async Task A_batch_of_500_files_is_committed_with_its_blocks_in_one_transaction_with_its_journal_in_manifest_order()
    {
        var alice = await factory.SignUpAsync();
        var store = factory.Services.GetRequiredService<SqliteMetadataStore>();
        var files = Enumerable.Range(0, 500).Select(i => new BatchFile($"/Many/d{i % 7}/f{i}.txt", Dropbox.RandomBytes(200, seed: 5000 + i))).ToList();
        var cursor = (await alice.OkAsync("/files/list_folder/get_latest_cursor", new { path = "", recursive = true }))["cursor"]!.GetValue<string>();
        var before = store.CommittedMetadataBatchTransactions;
        var writesBefore = store.CommittedWriteTransactions;

        var (status, body) = await UploadBatchAsync(alice, files);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.All(Entries(body), e => Assert.Equal(200, e!["status"]!.GetValue<int>()));
        Assert.Equal(1, store.CommittedMetadataBatchTransactions - before);
        // The 500 blocks went in that same write (each was a write of its own): at most one more, the device's last use.
        Assert.InRange(store.CommittedWriteTransactions - writesBefore, 1, 2);
        var changed = new List<string>();
        for (var more = true; more;)
        {
            var page = await alice.OkAsync("/files/list_folder/continue", new { cursor });
            changed.AddRange(page["entries"]!.AsArray().Where(e => e!["tag"]!.GetValue<string>() == "file").Select(e => e!["path"]!.GetValue<string>()));
            cursor = page["cursor"]!.GetValue<string>();
            more = page["has_more"]!.GetValue<bool>();
        }

        Assert.Equal(files.Select(f => f.Path), changed);
        foreach (var i in new[] { 0, 250, 499 })
        {
            Assert.Equal(files[i].Content, await alice.DownloadAsync(files[i].Path));
        }
    }

    [Fact]
    public async Task Files_of_one_batch_racing_for_one_path_commit_once_and_keep_the_loser_as_a_conflicted_copy()
    {
        var alice = await factory.SignUpAsync(deviceName: "desk");

        var (status, body) = await UploadBatchAsync(alice,
        [
            new BatchFile("/Same/x.txt", "first"u8.ToArray()),
            new BatchFile("/Same/x.txt", "second"u8.ToArray()),
            new BatchFile("/Same/y.txt", "other"u8.ToArray()),
        ]);

        Assert.Equal(HttpStatusCode.OK, status);
        var entries = Entries(body);
        Assert.Equal(200, entries[0]!["status"]!.GetValue<int>());
        Assert.Equal(409, entries[1]!["status"]!.GetValue<int>());
        var copy = entries[1]!["error"]!["conflicted_copy"]!["path"]!.GetValue<string>();
        Assert.Equal("second"u8.ToArray(), await alice.DownloadAsync(copy));
        Assert.Equal(200, entries[2]!["status"]!.GetValue<int>());
        Assert.Equal("first"u8.ToArray(), await alice.DownloadAsync("/Same/x.txt"));
        Assert.Equal("other"u8.ToArray(), await alice.DownloadAsync("/Same/y.txt"));
    }

    [Fact]
    public async Task A_body_that_is_not_a_batch_is_refused()
    {
        var alice = await factory.SignUpAsync();

        var (status, body) = await alice.PostAsync("/files/upload_batch", new { files = Array.Empty<object>() });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request", body["error"]!.GetValue<string>());
    }
}
