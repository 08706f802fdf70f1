using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using DropSync.AwsHarness.Lambda;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace DropSync.AwsHarness.WebSocketApi;

/// <summary>
/// The client side of the stage, <c>ws://127.0.0.1:{port}/{stage}</c>: the upgrade runs the $connect route, each data
/// message runs the selected route (its route response, if any, goes back to the client), and a close runs $disconnect.
/// </summary>
internal sealed class WebSocketClientSide(WebSocketApiOptions options, ConcurrentDictionary<string, ClientConnection> connections, Action<string> log)
{
    private const string HandshakeGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private readonly WebSocketRouteEvents _events = new(options);
    private readonly RouteSelection _routeSelection = new(options.RouteSelectionExpression, options.Routes);

    public async Task HandleUpgradeAsync(HttpContext context)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        var key = context.Request.Headers["Sec-WebSocket-Key"].ToString();
        if (upgrade is null || !upgrade.IsUpgradableRequest || key.Length == 0 ||
            !string.Equals(context.Request.Headers.Upgrade.ToString(), "websocket", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            return;
        }

        var connectionId = WebSocketRouteEvents.NewId();
        var connectedAt = options.Time.GetUtcNow();
        var sourceIp = context.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1";
        var userAgent = context.Request.Headers.UserAgent.ToString();
        var domainName = context.Request.Host.Value ?? "127.0.0.1";

        // "Until execution of the integration associated with the $connect route is completed, the upgrade request is
        // pending and the actual connection will not be established. If the $connect request fails (…), the connection
        // will not be made." (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html)
        string? subprotocol = null;
        if (options.Routes.TryGetValue("$connect", out var connectRoute))
        {
            var connectEvent = _events.Connect(connectionId, connectedAt, new ConnectRequest(context.Request.Headers, context.Request.Query, sourceIp, userAgent, domainName, context.Connection.LocalPort));
            var refusal = await InvokeConnectAsync(connectRoute.Function, connectEvent, context.RequestAborted).ConfigureAwait(false);
            if (refusal.Status is { } status)
            {
                log($"$connect refused {connectionId} with {status}");
                context.Response.StatusCode = status;
                return;
            }

            subprotocol = refusal.Subprotocol;
        }

        context.Response.Headers.Connection = "Upgrade";
        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers["Sec-WebSocket-Accept"] = AcceptKey(key);
        if (subprotocol is not null)
        {
            context.Response.Headers["Sec-WebSocket-Protocol"] = subprotocol;
        }

        // The connection is registered before the 101 goes out: a client that saw its handshake complete may be told
        // its id at once (by a route response or an @connections POST), and that id must already work. Sends that
        // come before the upgrade wait for it.
        var upgraded = new TaskCompletionSource<Stream>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stream = new FrameSizeWatchStream(upgraded.Task, options.Limits.MaxFrameBytes);
        // API Gateway sends no pings of its own, so neither does the emulator.
        var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero, SubProtocol = subprotocol });
        var connection = new ClientConnection(connectionId, socket, connectedAt, sourceIp, userAgent, domainName, options.Limits, options.Time, log);
        await using (connection.ConfigureAwait(false))
        {
            connections[connectionId] = connection;
            var inFlight = new List<Task>();
            try
            {
                try
                {
                    upgraded.SetResult(await upgrade.UpgradeAsync().ConfigureAwait(false));
                }
                catch (Exception e)
                {
                    upgraded.SetException(e);
                    throw;
                }

                log($"connected {connectionId}");
                await ReceiveAsync(connection, stream, inFlight).ConfigureAwait(false);
            }
            finally
            {
                connections.TryRemove(connectionId, out _);
            }

            await Task.WhenAll(inFlight).ConfigureAwait(false);
            await InvokeDisconnectAsync(connection).ConfigureAwait(false);
        }
    }

    /// <summary>The Sec-WebSocket-Accept answer of RFC 6455 section 4.2.2 (SHA-1 is what the protocol prescribes).</summary>
#pragma warning disable CA5350 // The WebSocket handshake is defined with SHA-1; it is not used for security here.
    private static string AcceptKey(string key) => Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + HandshakeGuid)));
#pragma warning restore CA5350

    private async Task ReceiveAsync(ClientConnection connection, FrameSizeWatchStream stream, List<Task> inFlight)
    {
        var limits = options.Limits;
        var chunk = new byte[limits.MaxFrameBytes + 1];
        var message = new ArrayBufferWriter<byte>();
        var discarding = false;
        while (true)
        {
            ValueWebSocketReceiveResult received;
            try
            {
                received = await connection.Socket.ReceiveAsync(chunk.AsMemory(), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                // "1006: … an unexpected closure of the connection, such as the TCP connection closed without a
                // WebSocket close frame" (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-overview.html).
                log($"connection {connection.Id}: receive failed ({e.Message})");
                connection.MarkClosedByClient(1006, "Connection closed abnormally");
                return;
            }

            if (received.MessageType == WebSocketMessageType.Close)
            {
                if (!connection.ClosedByServer)
                {
                    // "1005: … if the client sends a close frame without a closure code" (same page); the reason is
                    // the text API Gateway's $disconnect events carry (tests/DropSync.Aws.Tests/SampleEvents/websocket-disconnect.json).
                    var withoutStatus = stream.CloseFrameWithoutStatus || connection.Socket.CloseStatus is null;
                    var status = withoutStatus ? 1005 : (int)connection.Socket.CloseStatus!.Value;
                    var reason = withoutStatus ? "Client-side close frame status not set" : connection.Socket.CloseStatusDescription ?? "";
                    connection.MarkClosedByClient(status, reason);
                    await AnswerCloseQuietlyAsync(connection).ConfigureAwait(false);
                }

                return;
            }

            if (connection.IsClosing || discarding)
            {
                discarding &= !received.EndOfMessage;
                continue;
            }

            if (stream.OversizedFrameSeen || message.WrittenCount + received.Count > limits.MaxMessageBytes)
            {
                // "If a larger message (or larger frame size) is received, the connection is closed with code 1009"
                // (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html).
                await connection.CloseAsync(WebSocketCloseStatus.MessageTooBig, "Message too big").ConfigureAwait(false);
                continue;
            }

            if (received.MessageType == WebSocketMessageType.Binary)
            {
                // "1003: … when an endpoint receives a binary media type. Binary media types aren't supported for
                // WebSocket APIs." (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-overview.html)
                await connection.CloseAsync(WebSocketCloseStatus.InvalidMessageType, "Binary media types are not supported").ConfigureAwait(false);
                continue;
            }

            message.Write(chunk.AsSpan(0, received.Count));
            if (!received.EndOfMessage)
            {
                continue;
            }

            connection.Touch();
            var body = Encoding.UTF8.GetString(message.WrittenSpan);
            message.ResetWrittenCount();
            // API Gateway invokes an integration per message without waiting for the previous one.
            inFlight.RemoveAll(t => t.IsCompleted);
            inFlight.Add(Task.Run(() => RouteMessageAsync(connection, body)));
        }
    }

    private async Task RouteMessageAsync(ClientConnection connection, string body)
    {
        var routeKey = _routeSelection.Select(body);
        if (routeKey is null)
        {
            // No matching route and no $default: API Gateway answers the client with a Forbidden message (observed
            // behaviour; the docs only say $default is called when no route matches).
            await SendQuietlyAsync(connection, ErrorMessage("Forbidden", connection.Id)).ConfigureAwait(false);
            return;
        }

        var route = options.Routes[routeKey];
        var messageEvent = _events.Message(routeKey, connection, body);
        var (result, timedOut) = await InvokeAsync(route.Function, messageEvent, CancellationToken.None).ConfigureAwait(false);
        if (timedOut || result is null || result.Failed)
        {
            // A failed integration is reported to the client as API Gateway does (observed behaviour: a text message
            // {"message":"Internal server error",...}, or "Endpoint request timed out" past the 29 s integration timeout).
            await SendQuietlyAsync(connection, ErrorMessage(timedOut ? "Endpoint request timed out" : "Internal server error", connection.Id)).ConfigureAwait(false);
            return;
        }

        // A route response sends the integration's response back; for a Lambda proxy integration that is the result's
        // "body" (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-response.html).
        if (route.ReturnsResponse && ParseObject(result.Payload)?["body"] is JsonValue value && value.TryGetValue<string>(out var responseBody))
        {
            await SendQuietlyAsync(connection, responseBody).ConfigureAwait(false);
        }
    }

    private async Task InvokeDisconnectAsync(ClientConnection connection)
    {
        // "$disconnect is a best-effort event. API Gateway will try its best to deliver the $disconnect event to your
        // integration, but it cannot guarantee delivery." (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html)
        log($"disconnected {connection.Id}: {connection.DisconnectStatusCode} {connection.DisconnectReason}");
        if (options.Routes.TryGetValue("$disconnect", out var route))
        {
            var (result, timedOut) = await InvokeAsync(route.Function, _events.Disconnect(connection, connection.DisconnectStatusCode, connection.DisconnectReason), CancellationToken.None).ConfigureAwait(false);
            if (timedOut || result is null || result.Failed)
            {
                log($"$disconnect of {connection.Id} failed ({(timedOut ? "timed out" : result?.FunctionError)}); not retried, as on AWS");
            }
        }
    }

    /// <summary>
    /// Runs $connect. A 2xx statusCode lets the connection in (with the Sec-WebSocket-Protocol the result names, as in
    /// https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-connect-route-subprotocol.html); any other
    /// statusCode is what the client's upgrade is answered with ("Unexpected server response: 400" on that page). A
    /// function error or a result that is not a proxy response is answered 502 and a timeout 504, as API Gateway answers
    /// a failed Lambda proxy integration (widely observed as "Unexpected server response: 502").
    /// </summary>
    private async Task<(int? Status, string? Subprotocol)> InvokeConnectAsync(ILambdaFunction function, JsonObject connectEvent, CancellationToken cancellationToken)
    {
        var (result, timedOut) = await InvokeAsync(function, connectEvent, cancellationToken).ConfigureAwait(false);
        if (timedOut)
        {
            return (StatusCodes.Status504GatewayTimeout, null);
        }

        if (result is null || result.Failed || ParseObject(result.Payload) is not { } response ||
            response["statusCode"] is not JsonValue statusValue || !statusValue.TryGetValue<int>(out var status))
        {
            return (StatusCodes.Status502BadGateway, null);
        }

        if (status is < 200 or > 299)
        {
            return (status, null);
        }

        var subprotocol = response["headers"] is JsonObject headers
            ? headers.FirstOrDefault(h => string.Equals(h.Key, "Sec-WebSocket-Protocol", StringComparison.OrdinalIgnoreCase)).Value?.ToString()
            : null;
        return (null, subprotocol);
    }

    /// <summary>One synchronous invocation, cut at the integration timeout (29 s on AWS).</summary>
    private async Task<(LambdaInvocationResult? Result, bool TimedOut)> InvokeAsync(ILambdaFunction function, JsonObject routeEvent, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Limits.IntegrationTimeout);
        try
        {
            return (await function.InvokeAsync(routeEvent.ToJsonString(), timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false), false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return (null, true);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log($"invoking {function.Name} failed: {e.Message}");
            return (null, false);
        }
    }

    private static async Task SendQuietlyAsync(ClientConnection connection, string text)
    {
        try
        {
            await connection.SendTextAsync(Encoding.UTF8.GetBytes(text), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The client went away while its answer was on the way; API Gateway drops it too.
        }
    }

    private static async Task AnswerCloseQuietlyAsync(ClientConnection connection)
    {
        try
        {
            await connection.AnswerCloseAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The client closed the TCP connection right after its close frame.
        }
    }

    private static string ErrorMessage(string message, string connectionId) =>
        new JsonObject { ["message"] = message, ["connectionId"] = connectionId, ["requestId"] = WebSocketRouteEvents.NewId() }.ToJsonString();

    private static JsonObject? ParseObject(string? json)
    {
        try
        {
            return json is null ? null : JsonNode.Parse(json) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
