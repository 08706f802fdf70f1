using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace DropSync.AwsHarness.WebSocketApi;

/// <summary>What the $connect event tells of the upgrade request.</summary>
internal sealed record ConnectRequest(IHeaderDictionary Headers, IQueryCollection Query, string SourceIp, string UserAgent, string DomainName, int Port);

/// <summary>
/// The events API Gateway sends a Lambda proxy integration of a WebSocket route: CONNECT (with the upgrade request's
/// headers and query string), MESSAGE (with the body) and DISCONNECT (with the close code and reason), each with its
/// requestContext (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-mapping-template-reference.html
/// lists the context variables; the shapes follow the sample events in tests/DropSync.Aws.Tests/SampleEvents).
/// </summary>
internal sealed class WebSocketRouteEvents(WebSocketApiOptions options)
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>
    /// An id in the form of API Gateway's connection, request and message ids: 15 characters and '=' (e.g.
    /// <c>L0SM9cOFvHcCIhw=</c> in https://docs.aws.amazon.com/cli/latest/reference/apigatewaymanagementapi/get-connection.html).
    /// Letters and digits only, so a test's id never holds a '/' a path would split on; the '=' still has to be escaped.
    /// </summary>
    public static string NewId()
    {
        Span<char> id = stackalloc char[16];
        for (var i = 0; i < 15; i++)
        {
            id[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }

        id[15] = '=';
        return new string(id);
    }

    public JsonObject Connect(string connectionId, DateTimeOffset connectedAt, ConnectRequest request)
    {
        var headers = new JsonObject();
        var multiValueHeaders = new JsonObject();
        foreach (var (name, values) in request.Headers)
        {
            headers[name] = values.LastOrDefault() ?? "";
            multiValueHeaders[name] = new JsonArray([.. values.Select(v => (JsonNode?)JsonValue.Create(v ?? ""))]);
        }

        // API Gateway terminates the client's TCP connection and says who it was, as a load balancer does.
        var forwarded = new[] { ("X-Forwarded-For", request.SourceIp), ("X-Forwarded-Port", request.Port.ToString(CultureInfo.InvariantCulture)), ("X-Forwarded-Proto", "http") };
        foreach (var (name, value) in forwarded)
        {
            headers[name] = value;
            multiValueHeaders[name] = new JsonArray(value);
        }

        var root = new JsonObject
        {
            ["headers"] = headers,
            ["multiValueHeaders"] = multiValueHeaders,
        };
        if (request.Query.Count > 0)
        {
            var query = new JsonObject();
            var multiValueQuery = new JsonObject();
            foreach (var (name, values) in request.Query)
            {
                query[name] = values.LastOrDefault() ?? "";
                multiValueQuery[name] = new JsonArray([.. values.Select(v => (JsonNode?)JsonValue.Create(v ?? ""))]);
            }

            root["queryStringParameters"] = query;
            root["multiValueQueryStringParameters"] = multiValueQuery;
        }

        root["requestContext"] = Context("$connect", "CONNECT", connectionId, connectedAt, request.SourceIp, request.UserAgent, request.DomainName);
        root["isBase64Encoded"] = false;
        return root;
    }

    public JsonObject Message(string routeKey, ClientConnection connection, string body)
    {
        var context = Context(routeKey, "MESSAGE", connection.Id, connection.ConnectedAt, connection.SourceIp, connection.UserAgent, connection.DomainName);
        context["messageId"] = NewId();
        return new JsonObject
        {
            ["requestContext"] = context,
            ["body"] = body,
            // Binary frames never reach an integration: the connection is closed with 1003 instead.
            ["isBase64Encoded"] = false,
        };
    }

    public JsonObject Disconnect(ClientConnection connection, int statusCode, string reason)
    {
        var context = Context("$disconnect", "DISCONNECT", connection.Id, connection.ConnectedAt, connection.SourceIp, connection.UserAgent, connection.DomainName);
        context["disconnectStatusCode"] = statusCode;
        context["disconnectReason"] = reason;
        return new JsonObject
        {
            ["headers"] = new JsonObject { ["Host"] = connection.DomainName, ["X-Forwarded-For"] = "" },
            ["multiValueHeaders"] = new JsonObject { ["Host"] = new JsonArray(connection.DomainName), ["X-Forwarded-For"] = new JsonArray("") },
            ["requestContext"] = context,
            ["isBase64Encoded"] = false,
        };
    }

    private JsonObject Context(string routeKey, string eventType, string connectionId, DateTimeOffset connectedAt, string sourceIp, string userAgent, string domainName)
    {
        var now = options.Time.GetUtcNow();
        var requestId = NewId();
        return new JsonObject
        {
            ["routeKey"] = routeKey,
            ["eventType"] = eventType,
            ["extendedRequestId"] = requestId,
            ["requestTime"] = now.ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture),
            ["messageDirection"] = "IN",
            ["stage"] = options.Stage,
            ["connectedAt"] = connectedAt.ToUnixTimeMilliseconds(),
            ["requestTimeEpoch"] = now.ToUnixTimeMilliseconds(),
            ["identity"] = new JsonObject { ["sourceIp"] = sourceIp, ["userAgent"] = userAgent },
            ["requestId"] = requestId,
            ["domainName"] = domainName,
            ["connectionId"] = connectionId,
            ["apiId"] = options.ApiId,
        };
    }
}
