using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using DropSync.AwsHarness.Lambda;

namespace DropSync.AwsHarness.Tests.WebSocketApi;

/// <summary>
/// A stand-in for a route's Lambda function: keeps every event it is invoked with and answers what the test scripts
/// (by default 200 for $connect and $disconnect, and a message's body echoed back as <c>echo:{body}</c>).
/// </summary>
internal sealed class ScriptedLambdaFunction(string name = "websocket") : ILambdaFunction
{
    private readonly ConcurrentQueue<JsonObject> _events = new();

    public string Name => name;

    /// <summary>The answer to one event; replaced by tests that need another.</summary>
    public Func<JsonObject, LambdaInvocationResult> Answer { get; set; } = DefaultAnswer;

    /// <summary>How long the function runs before answering (it stops when the caller gives up).</summary>
    public TimeSpan Duration { get; set; }

    /// <summary>What the function does before it answers (e.g. call @connections).</summary>
    public Func<JsonObject, Task>? Work { get; set; }

    public IReadOnlyList<JsonObject> Events => [.. _events];

    public async Task<LambdaInvocationResult> InvokeAsync(string eventJson, CancellationToken cancellationToken)
    {
        var routeEvent = JsonNode.Parse(eventJson)!.AsObject();
        _events.Enqueue(routeEvent);
        await Task.Delay(Duration, cancellationToken);
        if (Work is { } work)
        {
            await work(routeEvent);
        }

        return Answer(routeEvent);
    }

    /// <summary>The first event of that type (CONNECT, MESSAGE, DISCONNECT) the function got, waiting for it if needed.</summary>
    public async Task<JsonObject> WaitForEventAsync(string eventType, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var found = _events.FirstOrDefault(e => EventType(e) == eventType);
            if (found is not null)
            {
                return found;
            }

            if (clock.Elapsed > (timeout ?? TimeSpan.FromSeconds(15)))
            {
                throw new TimeoutException($"No {eventType} event reached {name}; it got: {string.Join(", ", _events.Select(EventType))}");
            }

            await Task.Delay(20);
        }
    }

    public static string? EventType(JsonObject routeEvent) => (string?)routeEvent["requestContext"]?["eventType"];

    public static LambdaInvocationResult Status(int statusCode) => LambdaInvocationResult.Success(new JsonObject { ["statusCode"] = statusCode }.ToJsonString());

    public static LambdaInvocationResult Response(string body) =>
        LambdaInvocationResult.Success(new JsonObject { ["statusCode"] = 200, ["body"] = body }.ToJsonString());

    private static LambdaInvocationResult DefaultAnswer(JsonObject routeEvent) => EventType(routeEvent) == "MESSAGE"
        ? Response("echo:" + (string?)routeEvent["body"])
        : Status(200);
}
