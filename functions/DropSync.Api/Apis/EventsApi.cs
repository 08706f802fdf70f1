using System.Security.Cryptography;
using System.Text;
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
/// </summary>
internal static class EventsApi
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

            var node = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: ct);
            var result = await handler.HandleAsync(node, ct);
            return result is null
                ? Results.BadRequest(new { error = "unknown_event", message = "Not an SQS, WebSocket or scheduled event." })
                : Results.Text(result.ToJsonString(), "application/json");
        }).AllowAnonymous().ExcludeFromDescription();
        return routes;
    }

    private static bool Allowed(HttpContext context, string? secret, bool inLambda)
    {
        if (context.Request.Headers.ContainsKey("x-amzn-request-context"))
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
}
