using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DropSync.Aws.Hosting;

namespace DropSync.Api.Apis;

/// <summary>
/// <c>POST /events</c> (AWS mode only): the Lambda events that are not HTTP requests — SQS batches, API Gateway WebSocket
/// routes, EventBridge schedules — which the Lambda Web Adapter posts here as their raw JSON (its pass-through path); the
/// response body is the function's result. See <see cref="LambdaEventHandler"/>.
/// <para>Nobody outside can forge an event: (1) the endpoint is not mapped in the function that serves the public HTTP
/// API (<c>DropSync:Aws:Role=http</c>); the fan-out, WebSocket and maintenance functions have no HTTP route at all, so
/// only Lambda invokes them. (2) A request that came through API Gateway's HTTP API carries the adapter's
/// <c>x-amzn-request-context</c> header, and is refused. (3) Outside Lambda (no <c>AWS_LAMBDA_FUNCTION_NAME</c>), the
/// endpoint answers only with the shared secret of <c>DROPSYNC_EVENTS_SECRET</c> in <c>X-DropSync-Events-Secret</c>, and
/// where that secret is set it is required everywhere.</para>
/// <para>An event that fails as a whole (an exception escapes the handler) answers 500: the event functions run with
/// AWS_LWA_ERROR_STATUS_CODES=500-599, so the adapter reports a function error and Lambda retries the event (an SQS
/// batch whole, never dropped). Per-record SQS failures are a normal 200 with <c>batchItemFailures</c>.</para>
/// </summary>
internal static partial class EventsApi
{
    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder routes)
    {
        var config = routes.ServiceProvider.GetRequiredService<IConfiguration>();
        if (!string.Equals(config[AwsEnvironment.ModeSetting], AwsEnvironment.AwsMode, StringComparison.OrdinalIgnoreCase) ||
            string.Equals(config["DropSync:Aws:Role"], "http", StringComparison.OrdinalIgnoreCase))
        {
            return routes;
        }

        var secret = config[AwsEnvironment.EventsSecret];
        var inLambda = !string.IsNullOrEmpty(config[AwsEnvironment.LambdaFunctionName]);
        routes.MapPost(AwsEnvironment.EventsPath, async (HttpContext context, LambdaEventHandler handler, CancellationToken ct) =>
        {
            if (!Allowed(context, secret, inLambda))
            {
                return Results.NotFound();
            }

            JsonNode? node;
            try
            {
                node = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: ct);
            }
            catch (JsonException)
            {
                return Results.BadRequest(new { error = Core.Errors.ErrorCodes.InvalidEvent, message = "The event is not JSON." });
            }

            JsonObject? result;
            try
            {
                result = await handler.HandleAsync(node, ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                LogEventFailed(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(EventsApi)), e, LambdaEventHandler.Recognise(node));
                return Results.Json(
                    new { error = Core.Errors.ErrorCodes.EventFailed, message = "The event could not be handled; Lambda retries it." },
                    statusCode: StatusCodes.Status500InternalServerError);
            }

            return result is null
                ? Results.BadRequest(new { error = Core.Errors.ErrorCodes.UnknownEvent, message = "Not an SQS, WebSocket or scheduled event." })
                : Results.Text(result.ToJsonString(), "application/json");
        }).AllowAnonymous().ExcludeFromDescription();
        return routes;
    }

    private static bool Allowed(HttpContext context, string? secret, bool inLambda)
    {
        // The Lambda Web Adapter sends x-amzn-request-context with every request: an API Gateway or ALB request's
        // context (a JSON object), or "null" for a pass-through event (lambda_http's RequestContext::PassThrough).
        // Only the former came from the outside.
        if (context.Request.Headers.TryGetValue("x-amzn-request-context", out var requestContext) && IsHttpRequestContext(requestContext.ToString()))
        {
            return false;
        }

        if (!string.IsNullOrEmpty(secret))
        {
            var given = context.Request.Headers[AwsEnvironment.EventsSecretHeader].ToString();
            return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(secret));
        }

        return inLambda;
    }

    private static bool IsHttpRequestContext(string value)
    {
        try
        {
            return JsonNode.Parse(value) is not null;
        }
        catch (JsonException)
        {
            return true;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A {Kind} event failed as a whole; answering 500 so Lambda retries it")]
    private static partial void LogEventFailed(ILogger logger, Exception error, LambdaEventKind kind);
}
