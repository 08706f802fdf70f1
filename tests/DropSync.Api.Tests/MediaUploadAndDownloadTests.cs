using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Core.Content;

namespace DropSync.Api.Tests;

public sealed class MediaUploadAndDownloadTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    [Fact]
    public async Task Every_answer_gives_a_revisions_time_as_the_same_utc_millisecond_string()
    {
        var alice = await factory.SignUpAsync();
        // A time with sub-millisecond ticks, as a real clock has: the answers must not show them.
        factory.Clock.Advance(TimeSpan.FromTicks((1234567 - (factory.Clock.GetUtcNow().Ticks % TimeSpan.TicksPerSecond) + TimeSpan.TicksPerSecond) % TimeSpan.TicksPerSecond));

        var uploaded = (await alice.UploadOkAsync("/t.txt", "one"u8.ToArray()))["server_modified"]!.GetValue<string>();
        var listed = (await alice.OkAsync("/files/list_folder", new { path = "" }))["entries"]![0]!["server_modified"]!.GetValue<string>();
        var metadata = (await alice.OkAsync("/files/get_metadata", new { path = "/t.txt" }))["server_modified"]!.GetValue<string>();
        var revision = (await alice.OkAsync("/files/list_revisions", new { path = "/t.txt" }))["entries"]![0]!;
        using var download = await alice.Http.PostAsJsonAsync("/files/download", new { path = "/t.txt" });
        var downloaded = System.Text.Json.Nodes.JsonNode.Parse(download.Headers.GetValues("DropSync-API-Result").Single())!["server_modified"]!.GetValue<string>();
        factory.Clock.Advance(TimeSpan.FromSeconds(1));
        var restored = (await alice.OkAsync("/files/restore", new { path = "/t.txt", rev = revision["rev"]!.GetValue<string>() }))["server_modified"]!.GetValue<string>();
        var restoredListed = (await alice.OkAsync("/files/list_revisions", new { path = "/t.txt" }))["entries"]![0]!["server_modified"]!.GetValue<string>();

        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.123Z$", uploaded);
        Assert.All(new[] { listed, metadata, revision["server_modified"]!.GetValue<string>(), downloaded }, t => Assert.Equal(uploaded, t));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.123Z$", restored);
        Assert.Equal(restored, restoredListed);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4 * 1024 * 1024)]
    [InlineData(9 * 1024 * 1024 + 17)]
    public async Task Any_bytes_round_trip_with_Dropbox_content_hash(int length)
    {
        var alice = await factory.SignUpAsync();
        var content = Dropbox.RandomBytes(length, seed: length);

        var metadata = await alice.UploadOkAsync("/Photos/raw.bin", content);

        Assert.Equal("/Photos/raw.bin", metadata["path"]!.GetValue<string>());
        Assert.Equal("raw.bin", metadata["name"]!.GetValue<string>());
        Assert.Equal(length, metadata["size"]!.GetValue<long>());
        Assert.Equal(Dropbox.ContentHash(content), metadata["content_hash"]!.GetValue<string>());
        Assert.Equal(alice.DeviceId, metadata["device_id"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(metadata["rev"]!.GetValue<string>()));
        Assert.Equal(content, await alice.DownloadAsync("/Photos/raw.bin"));
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("image/jpeg")]
    [InlineData(null)]
    public async Task A_media_upload_takes_a_body_of_any_content_type(string? contentType)
    {
        var alice = await factory.SignUpAsync();
        using var body = new ByteArrayContent("curl --data-binary"u8.ToArray());
        body.Headers.ContentType = contentType is null ? null : new MediaTypeHeaderValue(contentType);

        using var response = await alice.Http.PostAsync("/files/upload?uploadType=media&path=/curl.txt", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("curl --data-binary"u8.ToArray(), await alice.DownloadAsync("/curl.txt"));
    }

    [Fact]
    public async Task Download_honours_ranges()
    {
        var alice = await factory.SignUpAsync();
        var content = Dropbox.RandomBytes((5 * 1024 * 1024) + 100, seed: 7);
        await alice.UploadOkAsync("/video.mp4", content);

        Assert.Equal(content[10..20], await RangeAsync(alice, "bytes=10-19", HttpStatusCode.PartialContent));
        // Across the 4 MiB block boundary.
        var boundary = 4 * 1024 * 1024;
        Assert.Equal(content[(boundary - 5)..(boundary + 5)], await RangeAsync(alice, $"bytes={boundary - 5}-{boundary + 4}", HttpStatusCode.PartialContent));
        Assert.Equal(content[^50..], await RangeAsync(alice, "bytes=-50", HttpStatusCode.PartialContent));
        Assert.Equal(content[100..], await RangeAsync(alice, "bytes=100-", HttpStatusCode.PartialContent));
        await RangeAsync(alice, $"bytes={content.Length}-", HttpStatusCode.RequestedRangeNotSatisfiable);
    }

    [Fact]
    public async Task Download_by_get_carries_the_metadata_header_and_etag()
    {
        var alice = await factory.SignUpAsync();
        var content = "hello"u8.ToArray();
        await alice.UploadOkAsync("/ünïcødé/hello.txt", content);

        using var response = await alice.Http.GetAsync("/files/download?path=" + Uri.EscapeDataString("/ünïcødé/hello.txt"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(content, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal($"\"{Dropbox.ContentHash(content)}\"", response.Headers.ETag!.Tag);
        var result = System.Text.Json.Nodes.JsonNode.Parse(response.Headers.GetValues("DropSync-API-Result").Single())!;
        Assert.Equal("/ünïcødé/hello.txt", result["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task Old_revisions_stay_readable_and_are_listed_newest_first()
    {
        var alice = await factory.SignUpAsync();
        var v1 = await alice.UploadOkAsync("/notes.txt", "one"u8.ToArray());
        var v2 = await alice.UploadOkAsync("/notes.txt", "two"u8.ToArray(), mode: "update", rev: v1["rev"]!.GetValue<string>());
        await alice.UploadOkAsync("/notes.txt", "three"u8.ToArray(), mode: "overwrite");

        var revisions = (await alice.OkAsync("/files/list_revisions", new { path = "/notes.txt", limit = 10 }))["entries"]!.AsArray();

        Assert.Equal(3, revisions.Count);
        Assert.Equal(v2["rev"]!.GetValue<string>(), revisions[1]!["rev"]!.GetValue<string>());
        Assert.Equal(3, revisions[1]!["size"]!.GetValue<long>());
        Assert.Equal(alice.DeviceId, revisions[1]!["device_id"]!.GetValue<string>());
        Assert.Equal("one"u8.ToArray(), await alice.DownloadAsync("/notes.txt", v1["rev"]!.GetValue<string>()));
        Assert.Equal("three"u8.ToArray(), await alice.DownloadAsync("/notes.txt"));
    }

    [Fact]
    public async Task Blocks_of_a_file_are_listed_in_order_with_urls_that_return_their_bytes()
    {
        var alice = await factory.SignUpAsync();
        var content = Dropbox.RandomBytes((8 * 1024 * 1024) + 3, seed: 11);
        await alice.UploadOkAsync("/big.bin", content);

        var blocks = (await alice.OkAsync("/files/get_blocks", new { path = "/big.bin" }))["blocks"]!.AsArray();

        Assert.Equal(3, blocks.Count);
        using var anonymous = factory.CreateClient();
        var reassembled = new List<byte>();
        foreach (var block in blocks)
        {
            var bytes = await anonymous.GetByteArrayAsync(block!["url"]!.GetValue<string>());
            Assert.Equal(block["hash"]!.GetValue<string>(), Dropbox.Sha256Hex(bytes));
            Assert.Equal(reassembled.Count, block["offset"]!.GetValue<long>());
            reassembled.AddRange(bytes);
        }

        Assert.Equal(content, reassembled.ToArray());
    }

    [Fact]
    public async Task Multi_block_media_uploads_round_trip_with_and_without_a_spare_buffer_to_pipeline()
    {
        var alice = await factory.SignUpAsync();
        var files = Enumerable.Range(0, 3).Select(i => Dropbox.RandomBytes((9 * 1024 * 1024) + i, seed: 40 + i)).ToArray();

        // The server's spares are held here, so this upload stores each block before reading the next, in one buffer.
        var spares = new List<BlockBuffer>();
        try
        {
            for (var i = 0; i < BlockBuffers.MaxSpare; i++)
            {
                spares.Add(await HoldASpareBufferAsync());
            }

            await alice.UploadOkAsync("/no-spare.bin", files[0]);
        }
        finally
        {
            spares.ForEach(BlockBuffers.ReturnSpare);
        }

        // One spare held: the upload pipelines with the spares left.
        var one = await HoldASpareBufferAsync();
        try
        {
            await alice.UploadOkAsync("/one-spare.bin", files[1]);
        }
        finally
        {
            BlockBuffers.ReturnSpare(one);
        }

        // Several at once: at most one gets the spares and pipelines; every file must still arrive whole.
        await Task.WhenAll(files.Select((content, i) => alice.UploadOkAsync($"/parallel-{i}.bin", content)));

        Assert.Equal(files[0], await alice.DownloadAsync("/no-spare.bin"));
        Assert.Equal(files[1], await alice.DownloadAsync("/one-spare.bin"));
        for (var i = 0; i < files.Length; i++)
        {
            Assert.Equal(files[i], await alice.DownloadAsync($"/parallel-{i}.bin"));
        }
    }

    /// <summary>Takes one of the server's spare block buffers, waiting while an upload of another test holds them.</summary>
    private static async Task<BlockBuffer> HoldASpareBufferAsync()
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            if (BlockBuffers.TryRentSpare() is { } spare)
            {
                return spare;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("No spare block buffer was given back within 30 s.");
    }

    private static async Task<byte[]> RangeAsync(ApiClient client, string range, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/files/download") { Content = JsonContent.Create(new { path = "/video.mp4" }) };
        request.Headers.Range = RangeHeaderValue.Parse(range);
        using var response = await client.Http.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
        return await response.Content.ReadAsByteArrayAsync();
    }
}
