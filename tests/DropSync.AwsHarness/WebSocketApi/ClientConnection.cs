using System.Net.WebSockets;

namespace DropSync.AwsHarness.WebSocketApi;

/// <summary>
/// One open client connection: its socket (sends are serialised: a route response, an @connections POST and a close
/// may race), its times, and how it ended — the first close wins and is what $disconnect reports.
/// </summary>
internal sealed class ClientConnection : IAsyncDisposable
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly WebSocketApiLimits _limits;
    private readonly TimeProvider _time;
    private readonly ITimer _idleTimer;
    private readonly ITimer _lifetimeTimer;
    private readonly Action<string> _log;
    private int _closing;
    private long _lastActiveTicks;

    public ClientConnection(
        string id, WebSocket socket, DateTimeOffset connectedAt, string sourceIp, string userAgent, string domainName, WebSocketApiLimits limits, TimeProvider time, Action<string> log)
    {
        Id = id;
        Socket = socket;
        ConnectedAt = connectedAt;
        SourceIp = sourceIp;
        UserAgent = userAgent;
        DomainName = domainName;
        _limits = limits;
        _time = time;
        _log = log;
        _lastActiveTicks = connectedAt.UtcTicks;

        // "1001: API Gateway returns this status code when the client is idle for 10 minutes or reaches the maximum 2
        // hour connection lifetime" (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-overview.html).
        _idleTimer = time.CreateTimer(_ => _ = CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "Going away"), null, limits.IdleTimeout, Timeout.InfiniteTimeSpan);
        _lifetimeTimer = time.CreateTimer(_ => _ = CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "Going away"), null, limits.MaxConnectionDuration, Timeout.InfiniteTimeSpan);
    }

    public string Id { get; }

    public WebSocket Socket { get; }

    public DateTimeOffset ConnectedAt { get; }

    public string SourceIp { get; }

    public string UserAgent { get; }

    public string DomainName { get; }

    public DateTimeOffset LastActiveAt => new(Interlocked.Read(ref _lastActiveTicks), TimeSpan.Zero);

    /// <summary>True once either side started closing: @connections answers 410 from then on.</summary>
    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    /// <summary>True when the emulator (not the client) started the close.</summary>
    public bool ClosedByServer { get; private set; }

    public int DisconnectStatusCode { get; private set; } = (int)WebSocketCloseStatus.Empty;

    public string DisconnectReason { get; private set; } = "";

    public WebSocketConnectionInfo Info => new(Id, ConnectedAt, LastActiveAt, SourceIp, UserAgent);

    /// <summary>
    /// A data message came in. The docs do not say whether ping frames keep a connection alive; API Gateway is reported
    /// not to take part in ping/pong, so only data messages from the client reset the idle timer (the conservative
    /// reading: a client that only pings is cut, as it may be on AWS).
    /// </summary>
    public void Touch()
    {
        Interlocked.Exchange(ref _lastActiveTicks, _time.GetUtcNow().UtcTicks);
        _idleTimer.Change(_limits.IdleTimeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The client sent its close frame (or vanished): records why, unless the emulator was already closing.</summary>
    public bool MarkClosedByClient(int statusCode, string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return false;
        }

        DisconnectStatusCode = statusCode;
        DisconnectReason = reason;
        return true;
    }

    /// <summary>Starts a close from API Gateway's side: sends the close frame, and drops the socket if the client never answers.</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return;
        }

        ClosedByServer = true;
        DisconnectStatusCode = (int)status;
        DisconnectReason = reason;
        _log($"connection {Id}: closing with {(int)status} ({reason})");
        try
        {
            await SendLockedAsync(() => Socket.CloseOutputAsync(status, reason, CancellationToken.None)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            Socket.Abort();
            return;
        }

        _ = AbortUnlessClosedAsync();
    }

    /// <summary>Sends one text message, in frames no larger than the frame size (the limit applies to @connections too).</summary>
    public Task SendTextAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken) => SendLockedAsync(async () =>
    {
        if (message.IsEmpty)
        {
            await Socket.SendAsync(message, WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
            return;
        }

        for (var offset = 0; offset < message.Length; offset += _limits.MaxFrameBytes)
        {
            var length = Math.Min(_limits.MaxFrameBytes, message.Length - offset);
            await Socket.SendAsync(message.Slice(offset, length), WebSocketMessageType.Text, offset + length == message.Length, cancellationToken).ConfigureAwait(false);
        }
    });

    /// <summary>Answers the client's close frame with the same status, completing the closing handshake.</summary>
    public Task AnswerCloseAsync() => SendLockedAsync(() => Socket.State == WebSocketState.CloseReceived
        ? Socket.CloseOutputAsync(Socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, Socket.CloseStatusDescription, CancellationToken.None)
        : Task.CompletedTask);

    public async ValueTask DisposeAsync()
    {
        await _idleTimer.DisposeAsync().ConfigureAwait(false);
        await _lifetimeTimer.DisposeAsync().ConfigureAwait(false);
        Socket.Dispose();
        _sendLock.Dispose();
    }

    private async Task SendLockedAsync(Func<Task> send)
    {
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await send().ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task AbortUnlessClosedAsync()
    {
        await Task.Delay(_limits.CloseHandshakeTimeout, _time).ConfigureAwait(false);
        if (Socket.State != WebSocketState.Closed)
        {
            _log($"connection {Id}: the client did not answer the close frame; dropping the socket");
            Socket.Abort();
        }
    }
}
