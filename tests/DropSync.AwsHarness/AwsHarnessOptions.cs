using DropSync.AwsHarness.Lambda;
using DropSync.AwsHarness.Recording;

namespace DropSync.AwsHarness;

/// <summary>
/// What the WebSocket API emulator needs from the harness: the loopback port it must listen on (chosen before the
/// function processes start, since DROPSYNC_WS_ENDPOINT points at it), the stage name from the template, the websocket
/// function, a credentials lookup for SigV4 checks (access key id → secret key and function name) and the call log.
/// </summary>
public sealed record WebSocketApiHost(
    int Port, string StageName, string Region, string ApiId, ILambdaFunction Function,
    Func<string, (string SecretAccessKey, string FunctionName)?> Credentials, AwsCallLog Calls);

public sealed record AwsHarnessOptions
{
    /// <summary>The stage synthesised (table prefix "{stage}-").</summary>
    public string Stage { get; init; } = "harness";

    /// <summary>Web origins given to the stack (its HTTP API's CORS configuration).</summary>
    public IReadOnlyList<string> WebOrigins { get; init; } = ["https://app.example.com"];

    /// <summary>Starts a WebSocket API of the caller's own on the port given; null starts the harness's
    /// <see cref="WebSocketApi.WebSocketApiEmulator"/> for the template's WebSocket API.</summary>
    public Func<WebSocketApiHost, Task<IAsyncDisposable>>? WebSocketApi { get; init; }

    /// <summary>The emulated WebSocket stage's limits (AWS's by default; tests shorten the idle and duration cuts).</summary>
    public WebSocketApi.WebSocketApiLimits WebSocketLimits { get; init; } = new();
}
