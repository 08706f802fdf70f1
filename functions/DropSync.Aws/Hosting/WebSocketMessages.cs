using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DropSync.Aws.Push;
using DropSync.Core.Accounts;
using DropSync.Core.Feed;

namespace DropSync.Aws.Hosting;

/// <summary>
/// A client's message on the live feed's WebSocket ($default route), answered as the route response: API Gateway sends the
/// result's <c>body</c> back on the socket (the route is two-way, route response key <c>$default</c>;
/// https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-response.html).
/// <list type="bullet">
/// <item><c>{"action":"hello"}</c> → <c>{"type":"hello","device_id":…,"cursor":…}</c>: the cursor for now over the
/// device's whole tree, as the embedded feed's hello gives it; the device then catches up from its saved cursor.</item>
/// <item><c>{"action":"ping"}</c> → <c>{"type":"pong"}</c> (keep-alive: API Gateway cuts a socket idle for 10 minutes).</item>
/// <item>Anything else → <c>{"type":"error","error":"unknown_action"}</c>.</item>
/// <item>A connection with no record (expired, or its device revoked or signed out) or whose device is revoked:
/// <c>{"statusCode":410}</c> with <c>{"type":"error","error":"connection_gone"}</c>, and the connection is closed
/// (DELETE @connections): the client reconnects, and $connect refuses a revoked device.</item>
/// </list>
/// </summary>
public sealed class WebSocketMessages(DynamoDbConnectionStore connections, AccountService accounts, ChangeFeed feed, ApiGatewayPushGateway? gateway = null)
{
    public async Task<JsonObject> AnswerAsync(JsonObject root, CancellationToken ct)
    {
        var connectionId = (string)root["requestContext"]!["connectionId"]!;
        var action = Action(root);
        if (action == "ping")
        {
            return Answer(200, new JsonObject { ["type"] = "pong" });
        }

        if (action != "hello")
        {
            return Answer(200, new JsonObject { ["type"] = "error", ["error"] = "unknown_action" });
        }

        var connection = await connections.GetAsync(connectionId, ct).ConfigureAwait(false);
        var caller = connection is null ? null : await accounts.GetDeviceCallerAsync(connection.UserId, connection.DeviceId, ct).ConfigureAwait(false);
        if (caller is null)
        {
            if (gateway is not null)
            {
                await gateway.DeleteAsync(connectionId, ct).ConfigureAwait(false);
            }

            if (connection is not null)
            {
                await connections.DeleteAsync(connectionId, ct).ConfigureAwait(false);
            }

            return Answer(410, new JsonObject
            {
                ["type"] = "error",
                ["error"] = "connection_gone",
                ["message"] = "This connection is no longer signed in; reconnect (a revoked device must sign in again).",
            });
        }

        var cursor = await feed.LatestCursorAsync(caller, "", recursive: true, ct).ConfigureAwait(false);
        return Answer(200, new JsonObject { ["type"] = "hello", ["device_id"] = caller.DeviceId, ["cursor"] = cursor });
    }

    /// <summary>The message's "action", or null when the body is not a JSON object with one.</summary>
    private static string? Action(JsonObject root)
    {
        var body = (string?)root["body"];
        if (string.IsNullOrEmpty(body))
        {
            return null;
        }

        try
        {
            if (root["isBase64Encoded"] is JsonValue encoded && encoded.TryGetValue<bool>(out var base64) && base64)
            {
                body = Encoding.UTF8.GetString(Convert.FromBase64String(body));
            }

            return JsonNode.Parse(body) is JsonObject message && message["action"] is JsonValue value && value.TryGetValue<string>(out var action) ? action : null;
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return null;
        }
    }

    private static JsonObject Answer(int status, JsonObject body) =>
        new() { ["statusCode"] = status, ["body"] = body.ToJsonString() };
}
