using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace DropSync.Api.Tests.Infrastructure;

/// <summary>
/// A device's change-feed WebSocket: every message it receives is kept, in order, for the test to wait on and inspect.
/// Works over the test host's in-memory WebSocket client and over a real <see cref="ClientWebSocket"/>.
/// </summary>
public sealed class LiveFeed : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly WebSocket _socket;
    private readonly List<JsonNode> _received = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;

    private LiveFeed(WebSocket socket)
    {
        _socket = socket;
        _pump = Task.Run(PumpAsync);
    }

    public string? DeviceId { get; private init; }

    /// <summary>Every message so far (a copy).</summary>
    public IReadOnlyList<JsonNode> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public IReadOnlyList<JsonNode> Changes => Received.Where(m => Type(m) == "change").ToList();

    public bool IsClosed => _pump.IsCompleted;

    /// <summary>Why the server closed the socket, once it has.</summary>
    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    /// <summary>Connects through the test host, with the token in the Authorization header (or the access_token query).</summary>
    public static async Task<LiveFeed> ConnectAsync(DropSyncApiFactory factory, ApiClient device, bool echo = false, bool tokenInQuery = false)
    {
        var client = factory.Server.CreateWebSocketClient();
        var query = $"?echo={(echo ? "true" : "false")}" + (tokenInQuery ? $"&access_token={Uri.EscapeDataString(device.AccessToken!)}" : "");
        if (!tokenInQuery)
        {
            client.ConfigureRequest = r => r.Headers.Authorization = $"Bearer {device.AccessToken}";
        }

        var socket = await client.ConnectAsync(new Uri(factory.Server.BaseAddress, "/notifications/ws" + query), CancellationToken.None);
        return await HelloAsync(new LiveFeed(socket) { DeviceId = device.DeviceId });
    }

    /// <summary>Connects to a real server over TCP with <see cref="ClientWebSocket"/>.</summary>
    public static async Task<LiveFeed> ConnectAsync(Uri httpBase, ApiClient device, bool echo = false)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {device.AccessToken}");
        var uri = new UriBuilder(httpBase) { Scheme = "ws", Path = "/notifications/ws", Query = $"echo={(echo ? "true" : "false")}" }.Uri;
        await socket.ConnectAsync(uri, CancellationToken.None);
        return await HelloAsync(new LiveFeed(socket) { DeviceId = device.DeviceId });
    }

    /// <summary>Sends one text message (the client's side of the protocol: {"action":"hello"}, {"action":"ping"}).</summary>
    public async Task SendAsync(string text)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
    }

    public static string? Type(JsonNode message) => message["type"]?.GetValue<string>();

    public static string? PathOf(JsonNode message) => message["path"]?.GetValue<string>();

    /// <summary>Waits for the first message (received at any time) that matches.</summary>
    public async Task<JsonNode> WaitForAsync(Func<JsonNode, bool> match, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var found = Received.FirstOrDefault(match);
            if (found is not null)
            {
                return found;
            }

            if (DateTime.UtcNow > deadline || IsClosed)
            {
                throw new Xunit.Sdk.XunitException(
                    $"device {DeviceId}: no {what} within {(timeout ?? DefaultTimeout).TotalSeconds} s{(IsClosed ? " (socket closed)" : "")}; received: " +
                    string.Join(" | ", Received.Select(m => m.ToJsonString())));
            }

            await Task.Delay(5);
        }
    }

    public Task<JsonNode> WaitForChangeAsync(string path, string? kind = null, TimeSpan? timeout = null) =>
        WaitForAsync(m => Type(m) == "change" && PathOf(m) == path && (kind is null || m["kind"]?.GetValue<string>() == kind), $"change at {path} ({kind ?? "any"})", timeout);

    public bool HasChangeAt(string path) => Changes.Any(m => PathOf(m) == path);

    /// <summary>Waits until the socket is closed by the server.</summary>
    public async Task WaitClosedAsync(TimeSpan? timeout = null)
    {
        var done = await Task.WhenAny(_pump, Task.Delay(timeout ?? DefaultTimeout));
        Assert.True(done == _pump, $"device {DeviceId}: the server did not close the socket");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // Already closing.
        }

        await _stop.CancelAsync();
        await Task.WhenAny(_pump, Task.Delay(2000));
        _socket.Dispose();
        _stop.Dispose();
    }

    private static async Task<LiveFeed> HelloAsync(LiveFeed feed)
    {
        var hello = await feed.WaitForAsync(_ => true, "first message");
        Assert.Equal("hello", Type(hello));
        Assert.Equal(feed.DeviceId, hello["device_id"]?.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(hello["cursor"]?.GetValue<string>()));
        return feed;
    }

    private async Task PumpAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var result = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    var node = JsonNode.Parse(Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length))!;
                    message.SetLength(0);
                    lock (_received)
                    {
                        _received.Add(node);
                    }
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // Closed.
        }
    }
}
