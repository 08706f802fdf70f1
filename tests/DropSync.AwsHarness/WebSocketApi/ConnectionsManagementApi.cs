using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using DropSync.AwsHarness.Recording;
using Microsoft.AspNetCore.Http;

namespace DropSync.AwsHarness.WebSocketApi;

/// <summary>
/// The stage's @connections API (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html):
/// <c>POST</c> sends the body to the client, <c>GET</c> describes the connection, <c>DELETE</c> disconnects it. Every call
/// is IAM-authorised, so it must carry a SigV4 signature for <c>execute-api</c> in the stage's region; each authorised
/// call is recorded as <c>execute-api:ManageConnections</c> on the connection's ARN. Shapes and statuses follow the API
/// model (AmazonApiGatewayManagementApi 2018-11-29: PostToConnection 200, GetConnection 200 with connectedAt /
/// identity / lastActiveAt in ISO 8601, DeleteConnection 204; GoneException 410, PayloadTooLargeException 413,
/// ForbiddenException 403).
/// </summary>
internal sealed class ConnectionsManagementApi(WebSocketApiOptions options, ConcurrentDictionary<string, ClientConnection> connections, Action<string> log)
{
    private readonly SigV4RequestVerifier _verifier = new(options.Region, "execute-api", options.Callers, options.Time, options.Limits.MaxClockSkew);

    public async Task HandleAsync(HttpContext context, string connectionId)
    {
        var request = context.Request;
        var limit = options.Limits.MaxMessageBytes;
        var body = await ReadBodyAsync(request, context.RequestAborted).ConfigureAwait(false);
        var (caller, refusal) = _verifier.Verify(context, body);
        if (refusal is not null)
        {
            log($"@connections {request.Method} {connectionId} refused: {refusal.Message}");
            await ErrorAsync(context, refusal.Status, refusal.ErrorType, refusal.Message).ConfigureAwait(false);
            return;
        }

        // "The @connections API uses the same ARN format as REST APIs:
        // arn:aws:execute-api:region:account-id:api-id/stage-name/POST/@connections"
        // (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-control-access-iam.html),
        // followed by the connection id, which is what a grant on .../@connections/* covers.
        var resource = $"arn:aws:execute-api:{options.Region}:{options.Account}:{options.ApiId}/{options.Stage}/{request.Method}/@connections/{connectionId}";
        var call = new AwsCall(caller!.Caller.FunctionName, "execute-api:ManageConnections", resource);
        options.Calls.Record(call);
        if (options.Authorize is { } authorize && !authorize(call))
        {
            log($"@connections {request.Method} {connectionId} denied to {call.Function}");
            await ErrorAsync(
                context, StatusCodes.Status403Forbidden, "AccessDeniedException", $"User: {call.Function} is not authorized to perform: {call.Action} on resource: {resource}").ConfigureAwait(false);
            return;
        }

        connections.TryGetValue(connectionId, out var connection);
        var gone = connection is null || connection.IsClosing;
        switch (request.Method)
        {
            case "POST" when body.Length > limit:
                await ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, "PayloadTooLargeException", $"Message too long. Max message size is {limit} bytes.").ConfigureAwait(false);
                return;
            case "POST" or "GET" or "DELETE" when gone:
                await ErrorAsync(context, StatusCodes.Status410Gone, "GoneException", $"Connection {connectionId} is gone.").ConfigureAwait(false);
                return;
            case "POST":
                await PostAsync(context, connection!, body).ConfigureAwait(false);
                return;
            case "GET":
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(
                    new JsonObject
                    {
                        ["connectedAt"] = Iso8601(connection!.ConnectedAt),
                        ["identity"] = new JsonObject { ["sourceIp"] = connection.SourceIp, ["userAgent"] = connection.UserAgent },
                        ["lastActiveAt"] = Iso8601(connection.LastActiveAt),
                    }.ToJsonString(),
                    context.RequestAborted).ConfigureAwait(false);
                return;
            case "DELETE":
                // The client sees a normal close; $disconnect reports 1000 "Connection Closed Normally", as API Gateway's
                // own logs of a DeleteConnection show (https://github.com/aws/chalice/issues/2060).
                await connection!.CloseAsync(WebSocketCloseStatus.NormalClosure, "Connection Closed Normally").ConfigureAwait(false);
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                return;
            default:
                await ErrorAsync(context, StatusCodes.Status403Forbidden, "ForbiddenException", "Forbidden").ConfigureAwait(false);
                return;
        }
    }

    private async Task PostAsync(HttpContext context, ClientConnection connection, byte[] body)
    {
        try
        {
            await connection.SendTextAsync(body, context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = StatusCodes.Status200OK;
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            log($"@connections POST {connection.Id}: the client went away ({e.Message})");
            await ErrorAsync(context, StatusCodes.Status410Gone, "GoneException", $"Connection {connection.Id} is gone.").ConfigureAwait(false);
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        // All of it: the signature covers the whole body, and a body over the limit is refused only once authorised.
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private static string Iso8601(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    internal static async Task ErrorAsync(HttpContext context, int status, string errorType, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.Headers["x-amzn-ErrorType"] = errorType;
        await context.Response.WriteAsync(new JsonObject { ["message"] = message }.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }
}
