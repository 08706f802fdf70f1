using System.Net;
using System.Text.Json;
using DropSync.Client.Api;
using DropSync.Client.Sync;
using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

/// <summary>GET /config: the server's advertised limits, or the embedded defaults from a server without it.</summary>
public sealed class ServerConfigTests
{
    private static readonly Uri Server = new("http://127.0.0.1:5999/");

    [Fact]
    public async Task A_server_without_config_gets_the_embedded_defaults_asked_once()
    {
        var stub = new StubHandler(_ => StubHandler.Json(HttpStatusCode.NotFound, """{"error":"not_found","message":"No such endpoint."}"""));
        using var api = new DropSyncApi(Server, "token", stub);

        var config = await api.GetConfigAsync(default);
        var again = await api.GetConfigAsync(default);

        Assert.False(config.FromServer);
        Assert.Same(config, again);
        Assert.Equal(1, stub.Count("/config"));
        Assert.Equal("embedded", config.Mode);
        Assert.Equal("ws://127.0.0.1:5999/notifications/ws", config.WebsocketUrl);
        Assert.Null(config.MaxResponseBytes);
        Assert.True(config.CanDownloadDirectly(50L * 1024 * 1024 * 1024));
        Assert.Equal(1000, config.MaxBatchFiles);
        Assert.Equal(4 * 1024 * 1024, config.MaxBlockBytes);
        Assert.Equal(10L * 1024 * 1024 * 1024, config.MaxRequestBytes);
        Assert.Equal(new Uri("ws://127.0.0.1:5999/notifications/ws?access_token=a%2Bb%2Fc"), config.WebSocketUri(Server, "a+b/c"));
    }

    [Fact]
    public async Task An_https_server_without_config_has_its_feed_on_wss()
    {
        using var api = new DropSyncApi(new Uri("https://drop.example.com/"), null, new StubHandler(_ => new HttpResponseMessage(HttpStatusCode.NotFound)));
        var config = await api.GetConfigAsync(default);
        Assert.Equal("wss://drop.example.com/notifications/ws", config.WebsocketUrl);
        Assert.Equal(new Uri("wss://drop.example.com/notifications/ws"), config.WebSocketUri(api.Server, null));
    }

    [Fact]
    public async Task The_servers_config_is_read_as_the_contract_spells_it()
    {
        var stub = new StubHandler(_ => StubHandler.Json(HttpStatusCode.OK, """
            {"mode":"aws","websocket_url":"wss://abc123.execute-api.eu-west-1.amazonaws.com/live","max_request_bytes":4194304,
             "max_response_bytes":4194304,"max_batch_bytes":4194304,"max_batch_files":1000,"max_block_bytes":4194304}
            """));
        using var api = new DropSyncApi(Server, "tok", stub);

        var config = await api.GetConfigAsync(default);

        Assert.True(config.FromServer);
        Assert.Equal("aws", config.Mode);
        Assert.Equal(4194304, config.MaxRequestBytes);
        Assert.Equal(4194304, config.MaxResponseBytes);
        Assert.Equal(4194304, config.MaxBatchBytes);
        Assert.Equal(1000, config.MaxBatchFiles);
        Assert.True(config.CanDownloadDirectly(4194304));
        Assert.False(config.CanDownloadDirectly(4194305));
        Assert.Equal(new Uri("wss://abc123.execute-api.eu-west-1.amazonaws.com/live?access_token=tok"), config.WebSocketUri(api.Server, "tok"));
    }

    [Fact]
    public async Task A_failed_config_request_is_not_kept()
    {
        var calls = 0;
        var stub = new StubHandler(_ => Interlocked.Increment(ref calls) == 1
            ? StubHandler.Json(HttpStatusCode.InternalServerError, """{"error":"internal_error","message":"Try again."}""")
            : StubHandler.Json(HttpStatusCode.OK, """{"mode":"embedded","websocket_url":"ws://127.0.0.1:5999/notifications/ws","max_request_bytes":1000,"max_response_bytes":null,"max_batch_bytes":2000,"max_batch_files":10,"max_block_bytes":4194304}"""));
        using var api = new DropSyncApi(Server, "tok", stub);

        var failure = await Assert.ThrowsAsync<DropSyncApiException>(() => api.GetConfigAsync(default));
        Assert.Equal(HttpStatusCode.InternalServerError, failure.Status);
        var config = await api.GetConfigAsync(default);

        Assert.Equal(1000, config.MaxRequestBytes);
        Assert.Equal(2, stub.Count("/config"));
    }

    [Fact]
    public void Batches_keep_within_the_file_count_and_byte_limits()
    {
        var sizes = Enumerable.Range(0, 50).Select(i => (Path: $"/f{i}.txt", Size: 1000L + (i * 37))).ToList();

        var batches = UploadBatches.Split(sizes, s => UploadBatches.PartBytes(s.Path, s.Size), perBatch: 7, maxRequestBytes: 6000);

        Assert.Equal(sizes, batches.SelectMany(b => b));
        Assert.All(batches, b => Assert.InRange(b.Count, 1, 7));
        Assert.All(batches, b => Assert.True(UploadBatches.FixedBytes + b.Sum(s => UploadBatches.PartBytes(s.Path, s.Size)) <= 6000));
        Assert.True(batches.Count >= 50 * 1000 / 6000);
    }

    [Fact]
    public async Task A_planned_batch_request_is_no_bigger_than_its_estimate()
    {
        // The estimate must hold for the real multipart body, names JSON-escaped (non-ASCII) included.
        var stub = new StubHandler(_ => StubHandler.Json(HttpStatusCode.OK, """{"entries":[]}"""));
        using var api = new DropSyncApi(Server, "tok", stub);
        var files = Enumerable.Range(0, 40)
            .Select(i => new BatchFile($"/Fotos/Übersicht – {i} 日本語 \"quoted\".txt", "overwrite", "015f3e1b2c4d5e6f7a8b9c0d", new byte[100 + i]))
            .ToList();

        await api.UploadBatchAsync(files, default);

        var sent = stub.Requests.Single(r => r.Path == "/files/upload_batch").Length;
        var estimate = UploadBatches.FixedBytes + files.Sum(f => UploadBatches.PartBytes(f.Path, f.Content.Length));
        Assert.True(sent <= estimate, $"sent {sent} bytes, estimated {estimate}");
    }

    [Fact]
    public void A_config_with_missing_fields_keeps_the_defaults_for_them()
    {
        var partial = JsonSerializer.Deserialize<ServerConfig>("""{"mode":"aws","max_response_bytes":4194304}""", DropSyncApi.Json)!;
        var config = partial.Or(ServerConfig.EmbeddedDefaults(Server));
        Assert.Equal("ws://127.0.0.1:5999/notifications/ws", config.WebsocketUrl);
        Assert.Equal(4194304, config.MaxResponseBytes);
        Assert.Equal(1000, config.MaxBatchFiles);
    }
}
