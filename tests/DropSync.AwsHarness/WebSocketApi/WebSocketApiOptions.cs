using DropSync.AwsHarness.Lambda;
using DropSync.AwsHarness.Recording;

namespace DropSync.AwsHarness.WebSocketApi;

/// <summary>
/// One route of the API: the Lambda proxy integration it invokes, and whether it has a route response (two-way), in which
/// case the integration result's <c>body</c> is sent back to the client
/// (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-response.html).
/// </summary>
public sealed record WebSocketRoute(ILambdaFunction Function, bool ReturnsResponse = false);

/// <summary>Who owns an access key the @connections API accepts: its secret, its session token (if any) and the function it belongs to.</summary>
public sealed record ExecuteApiCaller(string SecretKey, string? SessionToken, string FunctionName);

/// <summary>
/// The stage's limits, defaulting to the real ones (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html):
/// frame 32 KB, message payload 128 KB, idle connection timeout 10 minutes, connection duration 2 hours, integration
/// timeout 29 seconds. Tests shorten them when they need to see a cut.
/// </summary>
public sealed record WebSocketApiLimits
{
    public int MaxFrameBytes { get; init; } = 32 * 1024;

    /// <summary>Also the @connections PostToConnection <c>Data</c> limit (the API model's length max is 131072).</summary>
    public int MaxMessageBytes { get; init; } = 128 * 1024;

    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    public TimeSpan MaxConnectionDuration { get; init; } = TimeSpan.FromHours(2);

    public TimeSpan IntegrationTimeout { get; init; } = TimeSpan.FromSeconds(29);

    /// <summary>How far a SigV4 request's X-Amz-Date may be from now (AWS answers "Signature expired" past 5 minutes).</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a close frame the emulator sent waits for the client's before the socket is dropped.</summary>
    public TimeSpan CloseHandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>What <see cref="WebSocketApiEmulator"/> emulates: one stage of one WebSocket API, its routes and who may call @connections.</summary>
public sealed record WebSocketApiOptions
{
    public string Stage { get; init; } = "live";

    public string ApiId { get; init; } = "a1b2c3d4e5";

    public string Region { get; init; } = "us-east-1";

    public string Account { get; init; } = "123456789012";

    /// <summary>The API's routeSelectionExpression, <c>$request.body.action</c> as the CDK construct sets it by default.</summary>
    public string RouteSelectionExpression { get; init; } = "$request.body.action";

    /// <summary>Route key (<c>$connect</c>, <c>$disconnect</c>, <c>$default</c> or a custom key) → its integration.</summary>
    public required IReadOnlyDictionary<string, WebSocketRoute> Routes { get; init; }

    /// <summary>Access key id → its owner, or null for a key AWS does not know.</summary>
    public required Func<string, ExecuteApiCaller?> Callers { get; init; }

    /// <summary>Where each @connections call with a valid signature is recorded.</summary>
    public required AwsCallLog Calls { get; init; }

    /// <summary>
    /// IAM's verdict on a signed call (e.g. the caller's role policy evaluated for execute-api:ManageConnections on the
    /// connection's ARN); false answers 403 as an explicit or implicit deny does. Null allows every signed call.
    /// </summary>
    public Func<AwsCall, bool>? Authorize { get; init; }

    public WebSocketApiLimits Limits { get; init; } = new();

    /// <summary>The loopback port to listen on; null picks a free one.</summary>
    public int? Port { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public Action<string>? Log { get; init; }
}

/// <summary>An open client connection, as a test sees it.</summary>
public sealed record WebSocketConnectionInfo(string ConnectionId, DateTimeOffset ConnectedAt, DateTimeOffset LastActiveAt, string SourceIp, string UserAgent);
