using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace DropSync.AwsHarness.Lambda;

/// <summary>
/// A function as Lambda runs it with the Lambda Web Adapter layer: one execution environment (<see cref="FunctionProcess"/>),
/// one invocation at a time, the adapter's behaviour in front of the app
/// (https://github.com/awslabs/aws-lambda-web-adapter, docs/guide/src):
/// <list type="bullet">
/// <item>cold start: before the first invocation the adapter polls AWS_LWA_READINESS_CHECK_PATH on the app's port every
/// 10 ms until it answers a status in AWS_LWA_READINESS_CHECK_HEALTHY_STATUS (default 100-499) (configuration/readiness-check.md);</item>
/// <item>API Gateway HTTP API events (payload 2.0) become HTTP requests (<see cref="AdapterHttpConversion"/>);</item>
/// <item>every other event is POSTed as-is to AWS_LWA_PASS_THROUGH_PATH (default /events) and the response body is the
/// function's result, whatever the status (features/non-http-events.md) — unless the status is in
/// AWS_LWA_ERROR_STATUS_CODES, which makes the invocation a function error (features/error-status-codes.md);</item>
/// <item>Lambda's own rules: the function's Timeout ends the invocation with an error and resets the environment; a
/// crashed runtime is an error and the next invocation starts a new environment; a response over 6 MB is an error
/// (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).</item>
/// </list>
/// </summary>
public sealed class WebAdapterFunction : ILambdaFunction, IDisposable
{
    /// <summary>Lambda's synchronous invocation payload limit, request and response: 6 MB.</summary>
    public const int MaxPayloadBytes = 6 * 1024 * 1024;

    private readonly FunctionProcess _process;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly SemaphoreSlim _environmentLock = new(1, 1);
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(4),
    })
    { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

    private bool _ready;

    public WebAdapterFunction(string name, string arn, FunctionProcess process, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, int memoryMb)
    {
        Name = name;
        Arn = arn;
        _process = process;
        _environment = environment;
        Timeout = timeout;
        MemoryMb = memoryMb;
        var port = int.Parse(Variable("AWS_LWA_PORT") ?? Variable("PORT") ?? "8080", CultureInfo.InvariantCulture);
        AppBase = new Uri($"http://127.0.0.1:{port}");
    }

    public string Name { get; }

    public string Arn { get; }

    public TimeSpan Timeout { get; }

    public int MemoryMb { get; }

    /// <summary>Where the app listens inside the environment.</summary>
    public Uri AppBase { get; }

    public FunctionProcess Process => _process;

    /// <summary>The environment the function's process gets (template, Lambda runtime variables, harness overrides).</summary>
    public IReadOnlyDictionary<string, string> Environment => _environment;

    /// <summary>Starts the environment and waits for the app's readiness (what the first invocation would do).</summary>
    public async Task WarmUpAsync(CancellationToken ct)
    {
        await _environmentLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await EnsureReadyAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _environmentLock.Release();
        }
    }

    public async Task<LambdaInvocationResult> InvokeAsync(string eventJson, CancellationToken cancellationToken)
    {
        await _environmentLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            try
            {
                await EnsureReadyAsync(timeout.Token).ConfigureAwait(false);
                var result = await InvokeReadyAsync(eventJson, timeout.Token).ConfigureAwait(false);
                if (result.Payload is not null && Encoding.UTF8.GetByteCount(result.Payload) > MaxPayloadBytes)
                {
                    return LambdaInvocationResult.Error("Unhandled");
                }

                return result;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // "Task timed out": Lambda stops the invocation and resets the execution environment.
                Reset();
                return LambdaInvocationResult.Error("TimedOut");
            }
            catch (HttpRequestException)
            {
                // The runtime died (or dropped the connection): Runtime.ExitError, a new environment next time.
                Reset();
                return LambdaInvocationResult.Error("Unhandled");
            }
            catch (InitFailedException)
            {
                Reset();
                return LambdaInvocationResult.Error("Unhandled");
            }
        }
        finally
        {
            _environmentLock.Release();
        }
    }

    public void Dispose()
    {
        _process.Dispose();
        _http.Dispose();
        _environmentLock.Dispose();
    }

    private string? Variable(string name) => _environment.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    private void Reset()
    {
        _process.Stop();
        _ready = false;
    }

    private async Task EnsureReadyAsync(CancellationToken ct)
    {
        if (_ready && _process.IsRunning)
        {
            return;
        }

        _process.Start();
        _ready = false;
        var path = Variable("AWS_LWA_READINESS_CHECK_PATH") ?? "/";
        var healthy = StatusRanges.Parse(Variable("AWS_LWA_READINESS_CHECK_HEALTHY_STATUS") ?? "100-499");
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (!_process.IsRunning || DateTime.UtcNow > deadline)
            {
                throw new InitFailedException($"{Name} did not become ready:\n{_process.Output}");
            }

            try
            {
                using var response = await _http.GetAsync(new Uri(AppBase, path), ct).ConfigureAwait(false);
                if (healthy.Contains((int)response.StatusCode))
                {
                    _ready = true;
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(10, ct).ConfigureAwait(false);
        }
    }

    private async Task<LambdaInvocationResult> InvokeReadyAsync(string eventJson, CancellationToken ct)
    {
        var evt = JsonNode.Parse(eventJson) as JsonObject;
        var requestId = Guid.NewGuid().ToString();
        if (evt is not null && (string?)evt["version"] == "2.0" && evt["requestContext"]?["http"] is not null)
        {
            using var request = AdapterHttpConversion.ToRequest(evt, AppBase, LambdaContext(requestId));
            using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
            return LambdaInvocationResult.Success(await AdapterHttpConversion.ToResultAsync(response, ct).ConfigureAwait(false));
        }

        using var passThrough = new HttpRequestMessage(HttpMethod.Post, new Uri(AppBase, Variable("AWS_LWA_PASS_THROUGH_PATH") ?? "/events"))
        {
            Content = new StringContent(eventJson, Encoding.UTF8, "application/json"),
        };
        // The adapter sends the request context header with every request; for a pass-through event it holds JSON null
        // (lambda_http's RequestContext::PassThrough, serialised by the adapter's request-context feature:
        // https://github.com/awslabs/aws-lambda-web-adapter, docs/guide/src/features/request-context.md).
        passThrough.Headers.TryAddWithoutValidation("x-amzn-request-context", "null");
        passThrough.Headers.TryAddWithoutValidation("x-amzn-lambda-context", LambdaContext(requestId));
        using var answer = await _http.SendAsync(passThrough, ct).ConfigureAwait(false);
        var body = await answer.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        return Variable("AWS_LWA_ERROR_STATUS_CODES") is { } codes && StatusRanges.Parse(codes).Contains((int)answer.StatusCode)
            ? LambdaInvocationResult.Error("Unhandled")
            : LambdaInvocationResult.Success(body);
    }

    /// <summary>The invocation context the adapter forwards (x-amzn-lambda-context).</summary>
    private string LambdaContext(string requestId) => new JsonObject
    {
        ["request_id"] = requestId,
        ["deadline"] = DateTimeOffset.UtcNow.Add(Timeout).ToUnixTimeMilliseconds(),
        ["invoked_function_arn"] = Arn,
        ["env_config"] = new JsonObject
        {
            ["function_name"] = Name,
            ["memory"] = MemoryMb,
            ["version"] = "$LATEST",
        },
    }.ToJsonString();

    private sealed class InitFailedException(string message) : Exception(message);
}

/// <summary>The adapter's status code lists: "500,502-504,422".</summary>
public sealed class StatusRanges
{
    private readonly List<(int From, int To)> _ranges;

    private StatusRanges(List<(int, int)> ranges) => _ranges = ranges;

    public static StatusRanges Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ranges = new List<(int, int)>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-', 2);
            var from = int.Parse(bounds[0], CultureInfo.InvariantCulture);
            ranges.Add((from, bounds.Length == 2 ? int.Parse(bounds[1], CultureInfo.InvariantCulture) : from));
        }

        return new StatusRanges(ranges);
    }

    public bool Contains(int status) => _ranges.Any(r => status >= r.From && status <= r.To);
}
