using System.Net;
using System.Net.Http.Headers;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Core.Ports;
using Microsoft.Extensions.DependencyInjection;

namespace DropSync.Api.Tests;

/// <summary>The storage quota: a write past it answers 409 insufficient_space and stores nothing.</summary>
public sealed class QuotaTests : IDisposable
{
    private const long Quota = 10_000;
    private readonly DropSyncApiFactory _server = DropSyncApiFactory.WithSettings(("DropSync:StorageQuota", Quota.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    public void Dispose() => _server.Dispose();

    private async Task<int> StoredBlocksAsync()
    {
        var count = 0;
        await foreach (var _ in _server.Services.GetRequiredService<IBlockStore>().ListAsync(CancellationToken.None))
        {
            count++;
        }

        return count;
    }

    [Fact]
    public async Task Uploads_past_the_quota_answer_insufficient_space_before_any_block_is_stored()
    {
        var alice = await _server.SignUpAsync();
        await alice.UploadOkAsync("/six.bin", Dropbox.RandomBytes(6000, seed: 1));
        var blocksBefore = await StoredBlocksAsync();

        var (media, mediaBody) = await alice.UploadAsync("/five.bin", Dropbox.RandomBytes(5000, seed: 2));
        var blocks = ResumableUpload.Split(Dropbox.RandomBytes(5000, seed: 3), 5000);
        var (resumable, resumableBody) = await alice.PostAsync("/files/upload?uploadType=resumable", ResumableUpload.Declare("/r.bin", blocks));
        var (copy, copyBody) = await alice.PostAsync("/files/copy", new { from_path = "/six.bin", to_path = "/six-again.bin" });
        using var batch = new MultipartFormDataContent();
        batch.Add(new StringContent("{\"files\":[{\"path\":\"/b.bin\"}]}", System.Text.Encoding.UTF8, "application/json"), "manifest");
        batch.Add(new ByteArrayContent(Dropbox.RandomBytes(5000, seed: 4)), "file", "f0");
        using var batchResponse = await alice.Http.PostAsync("/files/upload_batch", batch);

        Assert.Equal(HttpStatusCode.Conflict, media);
        Assert.Equal("insufficient_space", mediaBody["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, resumable);
        Assert.Equal("insufficient_space", resumableBody["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, copy);
        Assert.Equal("insufficient_space", copyBody["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, batchResponse.StatusCode);
        Assert.Equal(blocksBefore, await StoredBlocksAsync());
        var usage = await alice.OkAsync("/users/get_space_usage", new { });
        Assert.Equal(6000, usage["used"]!.GetValue<long>());
        Assert.Equal(Quota, usage["allocated"]!.GetValue<long>());
        Assert.Equal(["/six.bin"], Sharing.Paths(await alice.OkAsync("/files/list_folder", new { path = "" })));
    }

    [Fact]
    public async Task A_chunked_upload_past_the_quota_is_refused_at_commit()
    {
        var alice = await _server.SignUpAsync();
        await alice.UploadOkAsync("/six.bin", Dropbox.RandomBytes(6000, seed: 5));

        // No Content-Length: the size is known only once read, so the commit refuses it (its blocks are collected later).
        using var content = new StreamContent(new MemoryStream(Dropbox.RandomBytes(5000, seed: 6)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.ContentLength = null;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/files/upload?uploadType=media&path=/chunked.bin") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await alice.Http.SendAsync(request);
        var body = await ApiClient.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("insufficient_space", body["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await alice.PostAsync("/files/get_metadata", new { path = "/chunked.bin" })).Status);
    }

    [Fact]
    public async Task Each_user_has_their_own_quota_and_a_shared_folder_counts_for_its_owner()
    {
        var owner = await _server.SignUpAsync();
        var member = await _server.SignUpAsync();
        await owner.OkAsync("/files/create_folder", new { path = "/Team" });
        await Sharing.ShareAsync(owner, "/Team", member, "editor");
        await owner.UploadOkAsync("/Team/owner.bin", Dropbox.RandomBytes(6000, seed: 7));

        var (member5k, _) = await member.UploadAsync("/Mine.bin", Dropbox.RandomBytes(5000, seed: 8));
        var (shared5k, body) = await member.UploadAsync("/Team/member.bin", Dropbox.RandomBytes(5000, seed: 9));

        Assert.Equal(HttpStatusCode.OK, member5k);
        Assert.Equal(HttpStatusCode.Conflict, shared5k);
        Assert.Equal("insufficient_space", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Blocks_sent_by_run_obey_the_quota_as_blocks_sent_one_by_one()
    {
        var alice = await _server.SignUpAsync();
        var firstBlocks = ResumableUpload.Split(Dropbox.RandomBytes(6000, seed: 10), 3000, 3000);
        var secondBlocks = ResumableUpload.Split(Dropbox.RandomBytes(6000, seed: 11), 3000, 3000);
        var first = await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/first.bin", firstBlocks));
        var second = await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/second.bin", secondBlocks));
        using var anonymous = _server.CreateClient();
        foreach (var (state, blocks) in new[] { (first, firstBlocks), (second, secondBlocks) })
        {
            using var content = new ByteArrayContent(blocks.SelectMany(b => b.Bytes).ToArray());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var put = await anonymous.PutAsync(state["runs"]![0]!["url"]!.GetValue<string>(), content);
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        await alice.OkAsync("/files/upload/finish", new { upload_id = first["upload_id"]!.GetValue<string>() });
        var (finish, finishBody) = await alice.PostAsync("/files/upload/finish", new { upload_id = second["upload_id"]!.GetValue<string>() });
        var (past, pastBody) = await alice.PostAsync("/files/upload?uploadType=resumable", ResumableUpload.Declare("/third.bin", ResumableUpload.Split(Dropbox.RandomBytes(5000, seed: 12), 5000)));

        // Both began within the quota; the second's commit would pass it. A third begun past it gets no URL of either kind.
        Assert.Equal(HttpStatusCode.Conflict, finish);
        Assert.Equal("insufficient_space", finishBody["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, past);
        Assert.Equal("insufficient_space", pastBody["error"]!.GetValue<string>());
        Assert.Null(pastBody["runs"]);
        Assert.Equal(["/first.bin"], Sharing.Paths(await alice.OkAsync("/files/list_folder", new { path = "" })));
    }
}
