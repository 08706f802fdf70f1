using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;

namespace DropSync.Api.Tests;

/// <summary>Bounds on one request (issue 13 item 3): JSON bodies and batch manifests are cut off while read; caps answer stable codes.</summary>
public sealed class BoundsTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    private const int ThirtyTwoMiB = 32 * 1024 * 1024;

    [Fact]
    public async Task A_json_body_over_the_bound_is_refused_by_its_declared_length()
    {
        var alice = await factory.SignUpAsync();

        var (status, body) = await alice.PostRawAsync("/files/list_folder", "{\"path\":\"" + new string('a', 2 * 1024 * 1024) + "\"}");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("payload_too_large", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_chunked_json_body_over_the_bound_is_refused()
    {
        var alice = await factory.SignUpAsync();
        using var content = new StreamContent(new CountingJsonStream("{\"path\":\"", ThirtyTwoMiB));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/files/get_metadata") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await alice.Http.SendAsync(request);
        var body = await ApiClient.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("payload_too_large", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_bounded_body_reads_one_byte_past_the_bound_then_stops()
    {
        // The test host drains whatever the client sends, so what the app reads is measured at the stream it reads.
        var source = new CountingJsonStream("{\"path\":\"", ThirtyTwoMiB);
        await using var bounded = new Hosting.BoundedReadStream(source, 1024 * 1024);
        var buffer = new byte[64 * 1024];

        var error = await Assert.ThrowsAsync<Microsoft.AspNetCore.Http.BadHttpRequestException>(async () =>
        {
            while (await bounded.ReadAsync(buffer) > 0)
            {
            }
        });

        Assert.Equal(413, error.StatusCode);
        Assert.True(bounded.Exceeded);
        Assert.Equal((1024 * 1024) + 1, source.Produced);
    }

    [Fact]
    public async Task A_32_MiB_path_in_a_batch_manifest_is_refused_early_with_a_small_answer()
    {
        var alice = await factory.SignUpAsync();
        using var body = new MultipartFormDataContent();
        body.Add(new StringContent("{\"files\":[{\"path\":\"/" + new string('x', ThirtyTwoMiB) + "\"}]}", Encoding.UTF8, "application/json"), "manifest");
        body.Add(new ByteArrayContent("hi"u8.ToArray()), "file", "f0");

        using var response = await alice.Http.PostAsync("/files/upload_batch", body);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.True(text.Length < 1024, $"the answer is {text.Length} characters");
        Assert.Equal("payload_too_large", JsonNode.Parse(text)!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_long_path_that_fits_the_manifest_fails_alone_and_is_echoed_truncated()
    {
        var alice = await factory.SignUpAsync();
        using var body = new MultipartFormDataContent();
        body.Add(new StringContent("{\"files\":[{\"path\":\"/" + new string('x', 100_000) + "\"},{\"path\":\"/ok.txt\"}]}", Encoding.UTF8, "application/json"), "manifest");
        body.Add(new ByteArrayContent("a"u8.ToArray()), "file", "f0");
        body.Add(new ByteArrayContent("b"u8.ToArray()), "file", "f1");

        using var response = await alice.Http.PostAsync("/files/upload_batch", body);
        var text = await response.Content.ReadAsStringAsync();
        var entries = JsonNode.Parse(text)!["entries"]!.AsArray();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(400, entries[0]!["status"]!.GetValue<int>());
        Assert.Equal("malformed_path", entries[0]!["error"]!["error"]!.GetValue<string>());
        Assert.Equal(200, entries[1]!["status"]!.GetValue<int>());
        Assert.True(text.Length < 4096, $"the answer is {text.Length} characters");
    }

    [Fact]
    public async Task Mark_read_takes_at_most_1000_ids()
    {
        var alice = await factory.SignUpAsync();

        var (tooMany, body) = await alice.PostAsync("/notifications/mark_read", new { ids = Enumerable.Range(0, 1001).Select(i => $"n{i}") });
        var (enough, _) = await alice.PostAsync("/notifications/mark_read", new { ids = Enumerable.Range(0, 1000).Select(i => $"n{i}") });

        Assert.Equal(HttpStatusCode.BadRequest, tooMany);
        Assert.Equal("too_many_ids", body["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, enough);
    }

    [Fact]
    public async Task A_copy_or_move_of_more_entries_than_the_cap_answers_too_many_files()
    {
        using var server = DropSyncApiFactory.WithSettings(("DropSync:MaxCopyEntries", "5"));
        var alice = await server.SignUpAsync();
        for (var i = 0; i < 5; i++)
        {
            await alice.UploadOkAsync($"/Big/f{i}.txt", [(byte)i]);
        }

        await alice.UploadOkAsync("/Small/a.txt", [1]);

        var (copy, copyBody) = await alice.PostAsync("/files/copy", new { from_path = "/Big", to_path = "/Big2" });
        var (move, moveBody) = await alice.PostAsync("/files/move", new { from_path = "/Big", to_path = "/Moved" });
        var (small, _) = await alice.PostAsync("/files/copy", new { from_path = "/Small", to_path = "/Small2" });

        Assert.Equal(HttpStatusCode.BadRequest, copy);
        Assert.Equal("too_many_files", copyBody["error"]!.GetValue<string>());
        Assert.Equal("too_many_files", moveBody["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, small);
        Assert.Equal(5, (await alice.OkAsync("/files/list_folder", new { path = "/Big" }))["entries"]!.AsArray().Count);
    }

    [Fact]
    public async Task Open_upload_sessions_per_user_are_capped()
    {
        using var server = DropSyncApiFactory.WithSettings(("DropSync:MaxUploadSessionsPerUser", "2"));
        var alice = await server.SignUpAsync();
        var bob = await server.SignUpAsync();
        var blocks = ResumableUpload.Split("hello"u8.ToArray(), 5);

        await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/a.txt", blocks));
        await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/b.txt", blocks));
        var (third, body) = await alice.PostAsync("/files/upload?uploadType=resumable", ResumableUpload.Declare("/c.txt", blocks));
        var (bobs, _) = await bob.PostAsync("/files/upload?uploadType=resumable", ResumableUpload.Declare("/c.txt", blocks));

        Assert.Equal(HttpStatusCode.Conflict, third);
        Assert.Equal("too_many_upload_sessions", body["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, bobs);
    }

    [Fact]
    public async Task A_resumable_declaration_over_the_json_bound_is_refused()
    {
        var alice = await factory.SignUpAsync();

        var (status, body) = await alice.PostRawAsync("/files/upload?uploadType=resumable", "{\"path\":\"/" + new string('a', 2 * 1024 * 1024) + "\"}");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("payload_too_large", body["error"]!.GetValue<string>());
    }

    /// <summary>A JSON body of <c>prefix</c> then letters, made as it is read, counting how much the server asked for.</summary>
    private sealed class CountingJsonStream(string prefix, long length) : Stream
    {
        private readonly byte[] _prefix = Encoding.UTF8.GetBytes(prefix);

        public long Produced { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => Produced; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - Produced);
            for (var i = 0; i < n; i++)
            {
                var at = Produced + i;
                buffer[offset + i] = at < _prefix.Length ? _prefix[at] : (byte)'a';
            }

            Produced += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
