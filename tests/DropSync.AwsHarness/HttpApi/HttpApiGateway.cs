using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DropSync.AwsHarness.Lambda;
using DropSync.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DropSync.AwsHarness.HttpApi;

/// <summary>
/// An API Gateway HTTP API's $default stage on 127.0.0.1, its $default route integrated with a Lambda function
/// (payload format 2.0, <see cref="HttpApiEvents"/>), with the documented limits and error answers:
/// <list type="bullet">
/// <item>request payload over 10 MB: 413 {"message":"Request Entity Too Large"} (quota "Payload size 10 MB",
/// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html);</item>
/// <item>an event over Lambda's 6 MB invocation payload is rejected by the Lambda API, which API Gateway answers 500; a
/// function error (including a response over 6 MB, a timeout, a crash) or a malformed result is 502; both with
/// {"message":"Internal Server Error"} (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html,
/// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html);</item>
/// <item>the integration timeout, 30 s (quota "Maximum integration timeout"): 503 {"message":"Service Unavailable"} —
/// the quota page gives the limit, not the answer; 503 with that body is what HTTP APIs answer (REST APIs answer 504);</item>
/// <item>CORS, when the API has a CorsConfiguration: API Gateway answers preflight OPTIONS requests itself and adds the
/// configured CORS headers to integration responses, ignoring the backend's own CORS headers
/// (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html).</item>
/// </list>
/// </summary>
public sealed class HttpApiGateway : IAsyncDisposable
{
    public const long MaxPayloadBytes = 10L * 1024 * 1024;

    public static readonly TimeSpan MaxIntegrationTimeout = TimeSpan.FromSeconds(30);

    private static readonly string[] CorsResponseHeaders =
    [
        "access-control-allow-origin", "access-control-allow-credentials", "access-control-expose-headers",
        "access-control-allow-methods", "access-control-allow-headers", "access-control-max-age",
    ];

    private readonly ILambdaFunction _function;
    private readonly string _apiId;
    private readonly string _accountId;
    private readonly JsonObject? _cors;
    private readonly TimeSpan _integrationTimeout;
    private WebApplication? _app;

    /// <param name="integrationTimeout">The integration's TimeoutInMillis; default (and maximum) 30 s.</param>
    public HttpApiGateway(ILambdaFunction function, string apiId, string accountId, JsonObject? corsConfiguration, TimeSpan? integrationTimeout = null)
    {
        _function = function;
        _apiId = apiId;
        _accountId = accountId;
        _cors = corsConfiguration;
        _integrationTimeout = integrationTimeout is { } given && given < MaxIntegrationTimeout ? given : MaxIntegrationTimeout;
    }

    public Uri Url { get; private set; } = new("http://127.0.0.1/");

    public async Task StartAsync()
    {
        var port = LocalPorts.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(IPAddress.Loopback, port);
        });
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync().ConfigureAwait(false);
        Url = new Uri($"http://127.0.0.1:{port}/");
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (_cors is not null && context.Request.Method == "OPTIONS" && origin.Length > 0
            && context.Request.Headers.ContainsKey("Access-Control-Request-Method"))
        {
            Preflight(context, origin);
            return;
        }

        if (context.Request.ContentLength > MaxPayloadBytes)
        {
            await Message(context, 413, "Request Entity Too Large").ConfigureAwait(false);
            return;
        }

        var body = await ReadBodyAsync(context.Request).ConfigureAwait(false);
        if (body is null)
        {
            await Message(context, 413, "Request Entity Too Large").ConfigureAwait(false);
            return;
        }

        var eventJson = HttpApiEvents.ToEvent(context, body, _apiId, _accountId, Guid.NewGuid().ToString()).ToJsonString();
        if (Encoding.UTF8.GetByteCount(eventJson) > WebAdapterFunction.MaxPayloadBytes)
        {
            await Message(context, 500, "Internal Server Error").ConfigureAwait(false);
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(_integrationTimeout);
        LambdaInvocationResult result;
        try
        {
            result = await _function.InvokeAsync(eventJson, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            await Message(context, 503, "Service Unavailable").ConfigureAwait(false);
            return;
        }

        if (result.Failed || result.Payload is null)
        {
            await Message(context, 502, "Internal Server Error").ConfigureAwait(false);
            return;
        }

        if (_cors is not null && origin.Length > 0)
        {
            AddCorsHeaders(context, origin);
        }

        if (!await HttpApiEvents.WriteResultAsync(result.Payload, context.Response, _cors is null ? [] : CorsResponseHeaders).ConfigureAwait(false))
        {
            context.Response.Headers.Clear();
            await Message(context, 502, "Internal Server Error").ConfigureAwait(false);
        }
    }

    /// <summary>The body, or null past the payload limit (a chunked request has no Content-Length to check first).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request)
    {
        using var memory = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            if (memory.Length + read > MaxPayloadBytes)
            {
                return null;
            }

            memory.Write(buffer, 0, read);
        }

        return memory.ToArray();
    }

    private static Task Message(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(new JsonObject { ["message"] = message }.ToJsonString());
    }

    private List<string> CorsList(string name) => [.. (_cors?[name] as JsonArray ?? []).Select(v => (string?)v ?? "")];

    private bool OriginAllowed(string origin) => CorsList("AllowOrigins").Any(o => o == "*" || string.Equals(o, origin, StringComparison.OrdinalIgnoreCase));

    private void Preflight(HttpContext context, string origin)
    {
        context.Response.StatusCode = 204;
        var method = context.Request.Headers["Access-Control-Request-Method"].ToString();
        var methods = CorsList("AllowMethods");
        if (!OriginAllowed(origin) || !(methods.Contains("*") || methods.Contains(method, StringComparer.OrdinalIgnoreCase)))
        {
            return;
        }

        AddCorsHeaders(context, origin);
        context.Response.Headers["access-control-allow-methods"] = string.Join(",", methods);
        var headers = CorsList("AllowHeaders");
        if (headers.Count > 0)
        {
            context.Response.Headers["access-control-allow-headers"] = string.Join(",", headers).ToLowerInvariant();
        }

        if (_cors?["MaxAge"] is { } maxAge)
        {
            context.Response.Headers["access-control-max-age"] = maxAge.ToJsonString().Trim('"');
        }
    }

    private void AddCorsHeaders(HttpContext context, string origin)
    {
        if (!OriginAllowed(origin))
        {
            return;
        }

        context.Response.Headers["access-control-allow-origin"] = CorsList("AllowOrigins").Contains("*") ? "*" : origin;
        if ((bool?)_cors?["AllowCredentials"] == true)
        {
            context.Response.Headers["access-control-allow-credentials"] = "true";
        }

        var expose = CorsList("ExposeHeaders");
        if (expose.Count > 0)
        {
            context.Response.Headers["access-control-expose-headers"] = string.Join(",", expose).ToLowerInvariant();
        }
    }
}
