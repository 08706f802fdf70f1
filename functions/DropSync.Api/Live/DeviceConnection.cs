using System.Net.WebSockets;
using DropSync.Core.Accounts;
using DropSync.Core.Feed;

namespace DropSync.Api.Live;

/// <summary>One device's socket, its send lock (a WebSocket takes one send at a time) and its journal positions.</summary>
internal sealed partial class DeviceConnection(WebSocket socket, Caller caller, bool echo, FeedCursor start)
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Dictionary<string, long> _positions = new(start.Positions);
    private readonly Lock _positionsLock = new();

    public Caller Caller { get; } = caller;

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

    public async Task SendAsync(byte[] payload, ILogger logger)
    {
        await _sendLock.WaitAsync();
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await socket.SendAsync(payload, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A device that cannot keep up is dropped; it catches up by cursor when it reconnects.
            LogSendFailed(logger, Caller.DeviceId);
            socket.Abort();
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

    public async Task CloseAsync()
    {
        try
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, "signed out", CancellationToken.None);
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException)
        {
            socket.Abort();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped the change-feed connection of device {DeviceId}: it stopped reading")]
    private static partial void LogSendFailed(ILogger logger, string deviceId);
}
