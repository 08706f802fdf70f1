using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace DropSync.AwsHarness.Lambda;

/// <summary>
/// What the Lambda Web Adapter does with an API Gateway HTTP API event (payload format 2.0) and with the app's answer.
/// The adapter is built on the Rust runtime's <c>lambda_http</c>, whose conversions these follow:
/// request: method <c>requestContext.http.method</c>, <c>rawPath</c> + <c>rawQueryString</c>, the event's headers
/// (already comma-joined by API Gateway), the <c>cookies</c> array joined with "; " into one Cookie header, the body
/// base64-decoded when <c>isBase64Encoded</c>; plus <c>x-amzn-request-context</c> (the requestContext JSON) and
/// <c>x-amzn-lambda-context</c> (https://github.com/awslabs/aws-lambda-web-adapter, docs/guide/src/features/request-context.md).
/// Response: <c>{statusCode, headers, cookies (each Set-Cookie), body, isBase64Encoded}</c>; the body is text when
/// there is no Content-Encoding and the Content-Type is absent, starts with text, application/json,
/// application/javascript, application/xml or application/yaml, or ends with +xml, +yaml or +json; else base64
/// (aws-lambda-rust-runtime, lambda-http/src/response.rs). Response format: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
/// </summary>
public static class AdapterHttpConversion
{
    private static readonly string[] TextPrefixes = ["text", "application/json", "application/javascript", "application/xml", "application/yaml"];
    private static readonly string[] TextSuffixes = ["+xml", "+yaml", "+json"];

    public static HttpRequestMessage ToRequest(JsonObject evt, Uri appBase, string lambdaContext)
    {
        ArgumentNullException.ThrowIfNull(evt);
        var context = evt["requestContext"]!.AsObject();
        var method = (string)context["http"]!["method"]!;
        var rawQuery = (string?)evt["rawQueryString"] ?? "";
        var target = (string)evt["rawPath"]! + (rawQuery.Length > 0 ? "?" + rawQuery : "");
        var request = new HttpRequestMessage(new HttpMethod(method), new Uri(appBase, target));

        var body = (string?)evt["body"];
        var bytes = body is null ? [] : (bool?)evt["isBase64Encoded"] == true ? Convert.FromBase64String(body) : Encoding.UTF8.GetBytes(body);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(bytes);
        }

        foreach (var (name, value) in evt["headers"]?.AsObject() ?? [])
        {
            var text = (string?)value ?? "";
            if (name.Equals("host", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.Host = text;
            }
            else if (name.Equals("content-length", StringComparison.OrdinalIgnoreCase))
            {
                // The body sets it.
            }
            else if (!request.Headers.TryAddWithoutValidation(name, text))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.TryAddWithoutValidation(name, text);
            }
        }

        if (evt["cookies"] is JsonArray cookies && cookies.Count > 0)
        {
            request.Headers.TryAddWithoutValidation("cookie", string.Join("; ", cookies.Select(c => (string?)c)));
        }

        request.Headers.TryAddWithoutValidation("x-amzn-request-context", context.ToJsonString());
        request.Headers.TryAddWithoutValidation("x-amzn-lambda-context", lambdaContext);
        return request;
    }

    public static async Task<string> ToResultAsync(HttpResponseMessage response, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(response);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        var headers = new JsonObject();
        var cookies = new JsonArray();
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (name.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var value in values)
                {
                    cookies.Add(value);
                }
            }
            else if (!name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                headers[name.ToLowerInvariant()] = string.Join(",", values);
            }
        }

        var text = IsText(response.Content.Headers.ContentType, response.Content.Headers.ContentEncoding.Count > 0);
        var result = new JsonObject
        {
            ["statusCode"] = (int)response.StatusCode,
            ["headers"] = headers,
            ["cookies"] = cookies,
            ["body"] = bytes.Length == 0 ? null : text ? Encoding.UTF8.GetString(bytes) : Convert.ToBase64String(bytes),
            ["isBase64Encoded"] = bytes.Length > 0 && !text,
        };
        return result.ToJsonString();
    }

    private static bool IsText(MediaTypeHeaderValue? contentType, bool encoded)
    {
        if (encoded)
        {
            return false;
        }

        if (contentType?.MediaType is not { } mediaType)
        {
            return true;
        }

        return TextPrefixes.Any(p => mediaType.StartsWith(p, StringComparison.OrdinalIgnoreCase))
            || TextSuffixes.Any(s => mediaType.EndsWith(s, StringComparison.OrdinalIgnoreCase));
    }
}
