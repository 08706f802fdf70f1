using System.Net;
using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;

namespace DropSync.Api.Tests;

/// <summary>GET /config in embedded mode: anonymous; the live feed on this server; no limit on downloads.</summary>
public sealed class ServerConfigTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    [Fact]
    public async Task Config_is_anonymous_and_gives_the_embedded_mode_websocket_url_and_limits()
    {
        using var anonymous = factory.CreateClient();
        using var response = await anonymous.GetAsync("/config");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var config = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

        Assert.Equal("embedded", config["mode"]!.GetValue<string>());
        Assert.Equal("ws://localhost/notifications/ws", config["websocket_url"]!.GetValue<string>());
        Assert.Equal(10L * 1024 * 1024 * 1024, config["max_request_bytes"]!.GetValue<long>());
        Assert.True(config.ContainsKey("max_response_bytes"), "max_response_bytes is present, as null");
        Assert.Null(config["max_response_bytes"]);
        Assert.Equal((1000L * ((4 * 1024 * 1024) + (64 * 1024))) + (4 * 1024 * 1024), config["max_batch_bytes"]!.GetValue<long>());
        Assert.Equal(1000, config["max_batch_files"]!.GetValue<int>());
        Assert.Equal(4 * 1024 * 1024, config["max_block_bytes"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_websocket_url_follows_the_public_base_url_with_wss_for_https()
    {
        await using var server = DropSyncApiFactory.WithSettings(("DropSync:PublicBaseUrl", "https://drop.example.com/"));
        using var anonymous = server.CreateClient();
        var config = JsonNode.Parse(await anonymous.GetStringAsync("/config"))!;
        Assert.Equal("wss://drop.example.com/notifications/ws", config["websocket_url"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_websocket_url_it_gives_is_where_the_feed_answers()
    {
        var device = await factory.SignUpAsync();
        using var anonymous = factory.CreateClient();
        var url = new Uri(JsonNode.Parse(await anonymous.GetStringAsync("/config"))!["websocket_url"]!.GetValue<string>());
        var client = factory.Server.CreateWebSocketClient();
        using var socket = await client.ConnectAsync(new Uri(factory.Server.BaseAddress, url.AbsolutePath + "?access_token=" + Uri.EscapeDataString(device.AccessToken!)), CancellationToken.None);
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, socket.State);
    }
}
