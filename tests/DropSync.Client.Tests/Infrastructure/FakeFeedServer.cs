using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace DropSync.Client.Tests.Infrastructure;

/// <summary>
/// A stand-in for a server that speaks the live feed protocol of the contract the way API Gateway does: /config points
/// at its feed at /live, and the feed sends nothing at connect (API Gateway's $connect cannot): it answers
/// {"action":"hello"} with a hello and {"action":"ping"} with a pong, and can cut connections as API Gateway does.
/// </summary>
public sealed class FakeFeedServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, WebSocket> _sockets = new();
    private readonly Task _serving;
    private int _connections;

    public FakeFeedServer()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
        }

        BaseAddress = new Uri($"http://127.0.0.1:{Port}/");
        _listener.Prefixes.Add(BaseAddress.ToString());
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public Uri BaseAddress { get; }

    /// <summary>Every text message received, with the number of the connection it came on (1, 2, …).</summary>
    public ConcurrentQueue<(int Connection, string Message)> Received { get; } = new();

    /// <summary>The query string and Authorization header of each feed connection.</summary>
    public ConcurrentQueue<(string? Query, string? Authorization)> Handshakes { get; } = new();

    /// <summary>Closes every open feed connection (API Gateway after 10 idle minutes or 2 hours).</summary>
    public async Task CloseAllAsync()
    {
        foreach (var socket in _sockets.Values)
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "going away", CancellationToken.None);
        }
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var path = context.Request.Url!.AbsolutePath;
        if (path == "/config")
        {
            var body = Encoding.UTF8.GetBytes($$"""
                {"mode":"aws","websocket_url":"ws://127.0.0.1:{{Port}}/live","max_request_bytes":4194304,"max_response_bytes":4194304,
                 "max_batch_bytes":4194304,"max_batch_files":1000,"max_block_bytes":4194304}
                """);
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
            return;
        }

        if (path != "/live" || !context.Request.IsWebSocketRequest)
        {
            context.Response.StatusCode = 404;
            context.Response.Close();
            return;
        }

        Handshakes.Enqueue((context.Request.Url.Query, context.Request.Headers["Authorization"]));
        var ws = (await context.AcceptWebSocketAsync(subProtocol: null)).WebSocket;
        var number = Interlocked.Increment(ref _connections);
        _sockets[number] = ws;
        var buffer = new byte[4096];
        try
        {
            while (ws.State == WebSocketState.Open)
            {
                var received = await ws.ReceiveAsync(buffer, _stop.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                var text = Encoding.UTF8.GetString(buffer, 0, received.Count);
                Received.Enqueue((number, text));
                var answer = text.Contains("\"hello\"", StringComparison.Ordinal) ? """{"type":"hello","device_id":"d1","cursor":"c1"}"""
                    : text.Contains("\"ping\"", StringComparison.Ordinal) ? """{"type":"pong"}"""
                    : null;
                if (answer is not null)
                {
                    await ws.SendAsync(Encoding.UTF8.GetBytes(answer), WebSocketMessageType.Text, true, _stop.Token);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or HttpListenerException)
        {
            // The client went away, or the test ended.
        }
        finally
        {
            _sockets.TryRemove(number, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        _listener.Close();
        await _serving.ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }
}
