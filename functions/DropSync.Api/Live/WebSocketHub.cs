using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using DropSync.Core.Accounts;
using DropSync.Core.Feed;
using DropSync.Core.Files;
using DropSync.Core.Ports;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace DropSync.Api.Live;

/// <summary>
/// The embedded push port: the WebSockets of connected devices, by user. Each connection keeps the journal position of
/// every place its device sees and stamps each change event with the cursor after it, so a device that stays connected
/// can continue from the last event's cursor; after a reconnect it continues from the cursor it saved.
/// <para>Users are isolated: a push only queues the message on each connection's bounded queue (each connection sends
/// its own queue), so a device that stops reading fills only its own queue, is dropped, and delays no one. A user has
/// at most <see cref="DropSyncOptions.MaxLiveConnectionsPerUser"/> connections: a new one past the cap closes that
/// user's OLDEST (1008 "too many connections"), since the newest is the device that is there now (a phone that changed
/// networks leaves its old, half-dead connection behind).</para>
/// </summary>
public sealed partial class WebSocketHub(IOptions<JsonOptions> json, ILogger<WebSocketHub> logger, DropSyncOptions options) : IPushGateway, IDeviceConnectionCloser
{
    /// <summary>A device's messages are tiny; anything longer is cut here (and answered unknown_action).</summary>
    private const int MaxClientMessageBytes = 16 * 1024;

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Guid, DeviceConnection>> _byUser = new(StringComparer.Ordinal);

    public int ConnectionCount => _byUser.Values.Sum(c => c.Count);

    public bool MayDeliverTo(string userId) => _byUser.TryGetValue(userId, out var connections) && !connections.IsEmpty;

    public Task PushAsync(string userId, PushMessage message, CancellationToken cancellationToken)
    {
        if (!_byUser.TryGetValue(userId, out var connections))
        {
            return Task.CompletedTask;
        }

        foreach (var connection in connections.Values)
        {
            var body = new Dictionary<string, object?>(message.Body) { ["type"] = message.Type };
            if (message.Type == "change" && connection.Advance(body))
            {
                body["cursor"] = connection.Cursor();
            }

            if (message.OriginDeviceId == connection.Caller.DeviceId && !connection.Echo)
            {
                continue;
            }

            connection.Enqueue(JsonSerializer.SerializeToUtf8Bytes(body, json.Value.SerializerOptions), logger);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Serves one device's socket until it closes, the request is aborted, or the server stops: then the device gets a
    /// 1001 "going away" close at once (and reconnects and catches up by cursor) instead of holding shutdown for its
    /// whole timeout.
    /// </summary>
    public async Task RunAsync(WebSocket socket, Caller caller, FeedCursor start, bool echo, CancellationToken ct, CancellationToken stopping)
    {
        var connection = new DeviceConnection(socket, caller, echo, start, options.LiveSendQueueLength);

        // Not by cancelling the read below: a cancelled read aborts the socket, and the device would see a dropped
        // connection rather than a close it can tell apart.
        using var onStopping = stopping.Register(() => _ = connection.GoingAwayAsync());
        var id = Guid.NewGuid();

        // The hello is queued before the connection can receive pushes, so it is always the first message a device reads.
        connection.Enqueue(Hello(connection), logger);
        var mine = _byUser.GetOrAdd(caller.UserId, _ => new ConcurrentDictionary<Guid, DeviceConnection>());
        mine[id] = connection;
        LogConnected(caller.UserId, caller.DeviceId);
        CloseOldestPastCap(mine);
        var sending = connection.RunSendLoopAsync(logger);
        try
        {
            var buffer = new byte[4096];
            var message = new MemoryStream();
            while (socket.State == WebSocketState.Open && !ct.IsCancellationRequested)
            {
                // Devices send {"action":"hello"} and {"action":"ping"} (the protocol API Gateway's $default route answers
                // too) and close frames; reading also keeps the connection's control frames flowing.
                var received = await socket.ReceiveAsync(buffer, ct);
                if (received.MessageType == WebSocketMessageType.Text)
                {
                    if (message.Length + received.Count <= MaxClientMessageBytes)
                    {
                        message.Write(buffer, 0, received.Count);
                    }

                    if (received.EndOfMessage)
                    {
                        connection.Enqueue(Answer(connection, message.ToArray()), logger);
                        message.SetLength(0);
                    }
                }
                else if (received.MessageType == WebSocketMessageType.Close)
                {
                    // Answer a device's close; after the server's own "going away" the handshake is already complete.
                    if (socket.State == WebSocketState.CloseReceived)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    }

                    break;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The device went away (or was cut off at shutdown).
        }
        finally
        {
            mine.TryRemove(id, out _);
            connection.Complete();
            await sending;
            LogDisconnected(caller.UserId, caller.DeviceId);
        }
    }

    /// <summary>Past the per-user cap, closes the user's oldest connections (their devices reconnect if still there).</summary>
    private void CloseOldestPastCap(ConcurrentDictionary<Guid, DeviceConnection> mine)
    {
        var excess = mine.Count - options.MaxLiveConnectionsPerUser;
        if (excess <= 0)
        {
            return;
        }

        foreach (var (oldId, oldest) in mine.OrderBy(c => c.Value.OpenedAt).Take(excess).ToList())
        {
            mine.TryRemove(oldId, out _);
            LogTooMany(oldest.Caller.UserId, oldest.Caller.DeviceId);
            _ = oldest.CloseAsync(WebSocketCloseStatus.PolicyViolation, DeviceConnection.TooManyReason);
        }
    }

    /// <summary>The answer to a device's message: a hello, a pong, or unknown_action.</summary>
    private byte[] Answer(DeviceConnection connection, byte[] message)
    {
        string? action = null;
        try
        {
            action = JsonNode.Parse(message) is JsonObject request && request["action"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
        }
        catch (JsonException)
        {
            // Not JSON: unknown_action below.
        }

        return action switch
        {
            "hello" => Hello(connection),
            "ping" => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?> { ["type"] = "pong" }, json.Value.SerializerOptions),
            _ => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?> { ["type"] = "error", ["error"] = "unknown_action" }, json.Value.SerializerOptions),
        };
    }

    private byte[] Hello(DeviceConnection connection) => JsonSerializer.SerializeToUtf8Bytes(
        new Dictionary<string, object?> { ["type"] = "hello", ["device_id"] = connection.Caller.DeviceId, ["cursor"] = connection.Cursor() },
        json.Value.SerializerOptions);

    /// <summary>Closes the sockets of a device that was signed out.</summary>
    public async Task CloseDeviceAsync(string userId, string deviceId, CancellationToken cancellationToken)
    {
        if (_byUser.TryGetValue(userId, out var connections))
        {
            foreach (var connection in connections.Values.Where(c => c.Caller.DeviceId == deviceId))
            {
                await connection.CloseAsync();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Device {DeviceId} of {UserId} connected to the change feed")]
    private partial void LogConnected(string userId, string deviceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed the oldest change-feed connection (device {DeviceId}) of {UserId}: too many connections")]
    private partial void LogTooMany(string userId, string deviceId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Device {DeviceId} of {UserId} disconnected from the change feed")]
    private partial void LogDisconnected(string userId, string deviceId);
}
