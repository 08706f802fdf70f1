using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace DropSync.AwsHarness.HttpApi;

/// <summary>
/// API Gateway HTTP API's Lambda proxy integration, payload format 2.0
/// (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html):
/// header names lower-cased, duplicate headers and query parameters combined with commas, every Cookie header's cookies
/// in the <c>cookies</c> array (and not in headers), rawPath/rawQueryString as sent, the body base64-encoded with
/// isBase64Encoded unless it is text; and the function's answer back to HTTP (each cookie a Set-Cookie header; a
/// result without statusCode is taken as a 200 application/json body, as that page describes).
/// </summary>
public static class HttpApiEvents
{
    private static readonly string[] TextPrefixes = ["text/", "application/json", "application/javascript", "application/xml", "application/x-www-form-urlencoded"];

    public static JsonObject ToEvent(HttpContext context, byte[] body, string apiId, string accountId, string requestId)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var split = rawTarget.Split('?', 2);
        var headers = new JsonObject();
        var cookies = new JsonArray();
        foreach (var (name, values) in request.Headers)
        {
            if (name.Equals("Cookie", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var cookie in values.SelectMany(v => (v ?? "").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
                {
                    cookies.Add(cookie);
                }

                continue;
            }

            headers[name.ToLowerInvariant()] = string.Join(",", values.ToArray());
        }

        // API Gateway adds the forwarding headers and a trace id.
        var sourceIp = context.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1";
        headers["x-forwarded-for"] = sourceIp;
        headers["x-forwarded-port"] = context.Connection.LocalPort.ToString(CultureInfo.InvariantCulture);
        headers["x-forwarded-proto"] = request.Scheme;
        headers["x-amzn-trace-id"] = "Root=1-" + DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString("x8", CultureInfo.InvariantCulture) + "-" + requestId.Replace("-", "", StringComparison.Ordinal)[..24];

        var query = new JsonObject();
        foreach (var (name, values) in request.Query)
        {
            query[name] = string.Join(",", values.ToArray());
        }

        var now = DateTimeOffset.UtcNow;
        var host = request.Host.Value ?? "";
        var evt = new JsonObject
        {
            ["version"] = "2.0",
            ["routeKey"] = "$default",
            ["rawPath"] = split[0],
            ["rawQueryString"] = split.Length > 1 ? split[1] : "",
            ["headers"] = headers,
            ["requestContext"] = new JsonObject
            {
                ["accountId"] = accountId,
                ["apiId"] = apiId,
                ["domainName"] = host,
                ["domainPrefix"] = host.Split('.')[0],
                ["http"] = new JsonObject
                {
                    ["method"] = request.Method,
                    ["path"] = Uri.UnescapeDataString(split[0]),
                    ["protocol"] = request.Protocol,
                    ["sourceIp"] = sourceIp,
                    ["userAgent"] = request.Headers.UserAgent.ToString(),
                },
                ["requestId"] = requestId,
                ["routeKey"] = "$default",
                ["stage"] = "$default",
                ["time"] = now.ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture),
                ["timeEpoch"] = now.ToUnixTimeMilliseconds(),
            },
            ["isBase64Encoded"] = false,
        };
        if (cookies.Count > 0)
        {
            evt["cookies"] = cookies;
        }

        if (query.Count > 0)
        {
            evt["queryStringParameters"] = query;
        }

        if (body.Length > 0)
        {
            var text = IsText(request.ContentType);
            evt["body"] = text ? Encoding.UTF8.GetString(body) : Convert.ToBase64String(body);
            evt["isBase64Encoded"] = !text;
        }

        return evt;
    }

    /// <summary>Writes the function's result as the HTTP response; false when it is not a valid response (→ 502).</summary>
    public static async Task<bool> WriteResultAsync(string payload, HttpResponse response, IReadOnlyList<string> ignoredHeaders)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(ignoredHeaders);
        JsonNode? result;
        try
        {
            result = JsonNode.Parse(payload);
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }

        if (result is not JsonObject obj || obj["statusCode"] is null)
        {
            // No statusCode: API Gateway assumes 200, application/json, the result as the body.
            response.StatusCode = 200;
            response.ContentType = "application/json";
            await response.WriteAsync(payload).ConfigureAwait(false);
            return true;
        }

        response.StatusCode = (int)obj["statusCode"]!;
        foreach (var (name, value) in obj["headers"]?.AsObject() ?? [])
        {
            if (!name.Equals("content-length", StringComparison.OrdinalIgnoreCase) && !name.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase)
                && !ignoredHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                response.Headers[name] = (string?)value;
            }
        }

        foreach (var cookie in obj["cookies"]?.AsArray() ?? [])
        {
            response.Headers.Append("Set-Cookie", (string?)cookie);
        }

        var body = (string?)obj["body"];
        if (body is not null)
        {
            var bytes = (bool?)obj["isBase64Encoded"] == true ? Convert.FromBase64String(body) : Encoding.UTF8.GetBytes(body);
            response.ContentLength = bytes.Length;
            await response.Body.WriteAsync(bytes).ConfigureAwait(false);
        }

        return true;
    }

    private static bool IsText(string? contentType) =>
        contentType is not null && (TextPrefixes.Any(p => contentType.StartsWith(p, StringComparison.OrdinalIgnoreCase))
            || contentType.Split(';')[0].Trim().EndsWith("+json", StringComparison.OrdinalIgnoreCase));
}
