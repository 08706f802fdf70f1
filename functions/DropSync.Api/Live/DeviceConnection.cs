using System.Net.WebSockets;
using System.Threading.Channels;
using DropSync.Core.Accounts;
using DropSync.Core.Feed;

namespace DropSync.Api.Live;

/// <summary>
/// One device's socket, its bounded send queue, its send lock (a WebSocket takes one send at a time) and its journal
/// positions. Pushes only enqueue (never wait on the socket), and one loop per connection sends; a device whose queue is
/// full has stopped reading, and is dropped — closed with 1008 "too slow", or cut off if even the close cannot be sent —
/// so it never delays anyone else. It catches up by cursor when it reconnects.
/// </summary>
internal sealed partial class DeviceConnection(WebSocket socket, Caller caller, bool echo, FeedCursor start, int queueLength = DeviceConnection.DefaultQueueLength)
{
    public const int DefaultQueueLength = 256;

    /// <summary>The close description a dropped slow reader gets (with <see cref="WebSocketCloseStatus.PolicyViolation"/>).</summary>
    public const string TooSlowReason = "too slow: reconnect and continue from your cursor";

    /// <summary>The close description the oldest connection gets when its user opens one too many.</summary>
    public const string TooManyReason = "too many connections for this user: the oldest is closed";

    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Channel<byte[]> _queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(queueLength) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _dropped = new();
    private readonly Dictionary<string, long> _positions = new(start.Positions);
    private readonly Lock _positionsLock = new();

    public Caller Caller { get; } = caller;

    /// <summary>When the connection was opened (the oldest is closed first past the per-user cap).</summary>
    public long OpenedAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>True once the connection was dropped for not keeping up.</summary>
    public bool IsDropped => _dropped.IsCancellationRequested;

    /// <summary>
    /// Queues a message without waiting. A full queue means the device stopped reading: the connection is dropped
    /// (false answered) and the message is not kept.
    /// </summary>
    public bool Enqueue(byte[] payload, ILogger logger)
    {
        if (_queue.Writer.TryWrite(payload))
        {
            return true;
        }

        if (!_dropped.IsCancellationRequested)
        {
            LogSendFailed(logger, Caller.DeviceId);
            _queue.Writer.TryComplete();
            _dropped.Cancel();
        }

        return false;
    }

    /// <summary>Sends the queued messages in order until the connection ends or is dropped.</summary>
    public async Task RunSendLoopAsync(ILogger logger)
    {
        try
        {
            await foreach (var payload in _queue.Reader.ReadAllAsync(_dropped.Token))
            {
                await SendAsync(payload, logger, _dropped.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // Dropped while waiting for the next message: below.
        }

        if (_dropped.IsCancellationRequested)
        {
            await CloseAsync(WebSocketCloseStatus.PolicyViolation, TooSlowReason);
        }
    }

    /// <summary>Ends the send loop (the connection is over).</summary>
    public void Complete() => _queue.Writer.TryComplete();
    public bool Echo { get; } = echo;

    /// <summary>Moves this connection's position in the event's place; false if the place is unknown to it (a share
    /// the device has not listed yet, which its next continue lists whole).</summary>
    public bool Advance(IReadOnlyDictionary<string, object?> body)
    {
        if (body["place"] is not string place || body["seq"] is not long seq)
        {
            return false;
        }

        lock (_positionsLock)
        {
            if (!_positions.TryGetValue(place, out var position))
            {
                return false;
            }

            _positions[place] = Math.Max(position, seq);
            return true;
        }
    }

    public string Cursor()
    {
        lock (_positionsLock)
        {
            return (start with { Positions = new Dictionary<string, long>(_positions) }).Encode();
        }
    }

    /// <summary>Sends one message now (the send loop's, and the answers to the device's own messages).</summary>
    public async Task SendAsync(byte[] payload, ILogger logger, CancellationToken dropped = default)
    {
        await _sendLock.WaitAsync(CancellationToken.None);
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(dropped);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                await socket.SendAsync(payload, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A device that cannot keep up is dropped; it catches up by cursor when it reconnects. Dropped for a full
            // queue, the send loop still tries a 1008 close first (a socket whose send was cancelled may already be cut).
            if (!dropped.IsCancellationRequested)
            {
                LogSendFailed(logger, Caller.DeviceId);
                socket.Abort();
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>
    /// Tells the device the server is stopping (1001): it closes its side, and its read loop ends with the close. A device
    /// that does not answer within a few seconds is cut off, so shutdown never waits for it.
    /// </summary>
    public async Task GoingAwayAsync()
    {
        await _sendLock.WaitAsync();
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "server restarting", timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            socket.Abort();
        }
        finally
        {
            _sendLock.Release();
        }

        await Task.Delay(TimeSpan.FromSeconds(3));
        if (socket.State != WebSocketState.Closed)
        {
            socket.Abort();
        }
    }

    public Task CloseAsync() => CloseAsync(WebSocketCloseStatus.PolicyViolation, "signed out");

    /// <summary>Closes with a status the device can tell apart; a device that does not take the close in 2 s is cut off.</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        _queue.Writer.TryComplete();
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseOutputAsync(status, reason, timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            socket.Abort();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropping the change-feed connection of device {DeviceId}: it stopped reading (its send queue is full)")]
    private static partial void LogSendFailed(ILogger logger, string deviceId);
}
