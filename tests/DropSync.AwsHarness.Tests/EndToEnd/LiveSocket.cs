using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace DropSync.AwsHarness.Tests.EndToEnd;

/// <summary>
/// A device's live change feed opened the way the clients open it (the <c>websocket_url</c> of /config with
/// <c>?access_token=</c>, then <c>{"action":"hello"}</c>), reading every message into a queue in the background so a
/// test can wait for the next one, and see the server's close.
/// </summary>
public sealed class LiveSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly Channel<JsonNode> _messages = Channel.CreateUnbounded<JsonNode>();
    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    private LiveSocket(ClientWebSocket socket)
    {
        _socket = socket;
        _reading = Task.Run(ReadAsync);
    }

    /// <summary>Completes with the close status when the server closes the connection (null: it dropped without one).</summary>
    public Task<WebSocketCloseStatus?> Closed => _closed.Task;

    /// <summary>Connects, sends hello and waits for the hello answer.</summary>
    public static async Task<(LiveSocket Socket, JsonNode Hello)> OpenAsync(Uri webSocketUrl, string token)
    {
        var socket = await ConnectAsync(webSocketUrl, token);
        var live = new LiveSocket(socket);
        await socket.SendAsync("""{"action":"hello"}"""u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        var hello = await live.NextAsync("hello", TimeSpan.FromSeconds(15));
        return (live, hello);
    }

    /// <summary>Only the handshake: answers the HTTP status the server refused it with (101 when it was accepted).</summary>
    public static async Task<HttpStatusCode> HandshakeStatusAsync(Uri webSocketUrl, string token)
    {
        try
        {
            using var socket = await ConnectAsync(webSocketUrl, token);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
            return HttpStatusCode.SwitchingProtocols;
        }
        catch (RefusedHandshakeException refused)
        {
            return refused.Status;
        }
    }

    private static async Task<ClientWebSocket> ConnectAsync(Uri webSocketUrl, string token)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        var url = new UriBuilder(webSocketUrl) { Query = "access_token=" + Uri.EscapeDataString(token) }.Uri;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await socket.ConnectAsync(url, timeout.Token);
            return socket;
        }
        catch (WebSocketException) when (socket.HttpStatusCode is not 0 and not HttpStatusCode.SwitchingProtocols)
        {
            var status = socket.HttpStatusCode;
            socket.Dispose();
            throw new RefusedHandshakeException(status);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The next message of <paramref name="type"/> (others before it are skipped), within <paramref name="within"/>.</summary>
    public async Task<JsonNode> NextAsync(string type, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        try
        {
            while (true)
            {
                var message = await _messages.Reader.ReadAsync(timeout.Token);
                if (message["type"]?.GetValue<string>() == type)
                {
                    return message;
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"no {type} message within {within.TotalSeconds} s");
        }
        catch (ChannelClosedException)
        {
            throw new WebSocketException($"the connection closed before a {type} message");
        }
    }

    /// <summary>Whether a message of <paramref name="type"/> is already queued (consumes the queue).</summary>
    public bool Received(string type)
    {
        var found = false;
        while (_messages.Reader.TryRead(out var message))
        {
            found |= message["type"]?.GetValue<string>() == type;
        }

        return found;
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        var text = new StringBuilder();
        try
        {
            while (true)
            {
                var received = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    _closed.TrySetResult(received.CloseStatus);
                    return;
                }

                text.Append(Encoding.UTF8.GetString(buffer, 0, received.Count));
                if (received.EndOfMessage)
                {
                    _messages.Writer.TryWrite(JsonNode.Parse(text.ToString())!);
                    text.Clear();
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            _closed.TrySetResult(null);
        }
        finally
        {
            _messages.Writer.TryComplete();
        }
    }

    /// <summary>Closes from the client's side (a disconnect), waiting a little for the server's close answer.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                await _closed.Task.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception e) when (e is WebSocketException or TimeoutException)
            {
                // Gone already, or no answer: the reader is stopped below.
            }
        }

        await _stop.CancelAsync();
        await _reading;
        _socket.Dispose();
        _stop.Dispose();
    }

    private sealed class RefusedHandshakeException(HttpStatusCode status) : Exception($"WebSocket handshake refused with {(int)status}")
    {
        public HttpStatusCode Status { get; } = status;
    }
}
