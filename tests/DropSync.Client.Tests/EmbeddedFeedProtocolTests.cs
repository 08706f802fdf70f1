using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

/// <summary>The live feed protocol against the real embedded server. Needs the server side of the contract (hello and ping answered).</summary>
[Collection("server")]
public sealed class EmbeddedFeedProtocolTests(ServerFixture fixture)
{
    [Fact]
    public async Task The_embedded_server_answers_hello_and_ping()
    {
        var email = await fixture.NewAccountAsync();
        using var device = await fixture.DeviceAsync(email, "laptop");
        using var socket = await device.Api.ConnectChangesAsync(default);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        await SendAsync(socket, """{"action":"hello"}""", timeout.Token);
        // The unasked hello at connect, then the answer to ours.
        var first = await ReceiveAsync(socket, timeout.Token);
        var second = await ReceiveAsync(socket, timeout.Token);
        Assert.Equal("hello", first.GetProperty("type").GetString());
        Assert.Equal("hello", second.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(second.GetProperty("cursor").GetString()));
        Assert.False(string.IsNullOrEmpty(second.GetProperty("device_id").GetString()));

        await SendAsync(socket, """{"action":"ping"}""", timeout.Token);
        Assert.Equal("pong", (await ReceiveAsync(socket, timeout.Token)).GetProperty("type").GetString());
    }

    private static Task SendAsync(ClientWebSocket socket, string text, CancellationToken ct) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, ct);

    private static async Task<JsonElement> ReceiveAsync(ClientWebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        WebSocketReceiveResult received;
        do
        {
            received = await socket.ReceiveAsync(buffer, ct);
            Assert.NotEqual(WebSocketMessageType.Close, received.MessageType);
            message.Write(buffer, 0, received.Count);
        }
        while (!received.EndOfMessage);

        return JsonDocument.Parse(message.ToArray()).RootElement.Clone();
    }
}
