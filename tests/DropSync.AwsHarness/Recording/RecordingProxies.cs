using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DropSync.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace DropSync.AwsHarness.Recording;

/// <summary>The AWS services the functions reach through a recording proxy.</summary>
public enum AwsService
{
    DynamoDb,
    S3,
    Sqs,
}

/// <summary>
/// Loopback reverse proxies in front of DynamoDB Local and fauxqs, one per function and service: each forwards the
/// request unchanged (method, raw target, headers incl. Host and the SigV4 signature, body) and records the IAM
/// authorizations it needed as <see cref="AwsCall"/>s of the function whose proxy received it — so attribution does not
/// depend on which credentials the function's SDK client signs with. With a <see cref="ProxyAuthorization"/>, a request
/// any of whose calls the function's role does not allow is refused as the service refuses it (and still recorded).
/// A presigned URL used by a client comes through the proxy of the function that signed it, so it is authorised against
/// the signer's role, as S3 authorises it.
/// </summary>
public sealed class RecordingProxies : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Expect", "Host",
    };

    private readonly Dictionary<int, (string Function, AwsService Service)> _routes = [];
    private readonly Dictionary<(string, AwsService), int> _ports = [];
    private readonly Dictionary<AwsService, Uri> _upstreams;
    private readonly ResourceArns _arns;
    private readonly AwsCallLog _log;
    private readonly ProxyAuthorization? _authorization;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, S3Cors> _bucketCors = new(StringComparer.Ordinal);
    private readonly S3ObjectTagging _tagging = new();
    private readonly S3PutChecks _putChecks = new();
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
    })
    { Timeout = Timeout.InfiniteTimeSpan };

    private WebApplication? _app;

    public RecordingProxies(IReadOnlyDictionary<AwsService, Uri> upstreams, ResourceArns arns, AwsCallLog log, ProxyAuthorization? authorization = null)
    {
        _upstreams = new(upstreams);
        _arns = arns;
        _log = log;
        _authorization = authorization;
    }

    /// <summary>The proxy of <paramref name="service"/> for <paramref name="function"/>.</summary>
    public string Endpoint(string function, AwsService service) => $"http://127.0.0.1:{_ports[(function, service)]}";

    /// <summary>Applies <paramref name="cors"/> to <paramref name="bucket"/>, as S3 applies the bucket's CORS configuration.</summary>
    public void SetBucketCors(string bucket, S3Cors cors) => _bucketCors[bucket] = cors;

    public async Task StartAsync(IEnumerable<string> functions)
    {
        foreach (var function in functions)
        {
            foreach (var service in Enum.GetValues<AwsService>())
            {
                var port = LocalPorts.Free();
                // Add, not an indexer: two routes on one port would attribute one function's calls to another.
                _routes.Add(port, (function, service));
                _ports.Add((function, service), port);
            }
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            foreach (var port in _routes.Keys)
            {
                kestrel.Listen(IPAddress.Loopback, port);
            }
        });
        _app = builder.Build();
        _app.Run(ForwardAsync);
        await _app.StartAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        _http.Dispose();
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var (function, service) = _routes[context.Connection.LocalPort];
        var request = context.Request;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var queryKeys = request.Query.Keys.ToList();
        if (service == AwsService.S3)
        {
            // CORS is S3's (fauxqs keeps no bucket configuration). A preflight carries no credentials: no IAM call.
            var cors = _bucketCors.GetValueOrDefault(S3Calls.BucketAndKey(rawTarget).Bucket) ?? new S3Cors([]);
            if (HttpMethods.IsOptions(request.Method))
            {
                await cors.AnswerPreflightAsync(context).ConfigureAwait(false);
                return;
            }

            cors.AddActualResponseHeaders(context);
        }

        // DynamoDB and SQS requests are small JSON documents and name their resources in the body; S3's only do for
        // DeleteObjects. Everything else streams through.
        var tagging = service == AwsService.S3 && S3ObjectTagging.IsTaggingRequest(request, queryKeys);
        var checkedPut = service == AwsService.S3 && S3PutChecks.Applies(request, queryKeys);
        var buffer = service != AwsService.S3 || tagging || checkedPut || (request.Method == "POST" && queryKeys.Contains("delete"));
        byte[]? body = null;
        if (buffer)
        {
            using var memory = new MemoryStream();
            await request.Body.CopyToAsync(memory, context.RequestAborted).ConfigureAwait(false);
            body = memory.ToArray();
        }

        var calls = Record(function, service, request, rawTarget, queryKeys, body);
        if (_authorization is not null && calls.FirstOrDefault(call => !_authorization.Allows(call)) is { } denied)
        {
            await AccessDenied.WriteAsync(context, service, _authorization.Principal(function), denied).ConfigureAwait(false);
            return;
        }

        if (tagging)
        {
            await _tagging.AnswerAsync(context, rawTarget, body, () => ObjectExistsAsync(rawTarget, request, context.RequestAborted)).ConfigureAwait(false);
            return;
        }

        if (checkedPut)
        {
            await _putChecks.PutAsync(
                context, body!, () => ObjectExistsAsync(rawTarget, request, context.RequestAborted), () => RelayAsync(context, service, rawTarget, body)).ConfigureAwait(false);
            return;
        }

        await RelayAsync(context, service, rawTarget, body).ConfigureAwait(false);
    }

    /// <summary>Sends the request on to the service unchanged and its answer back.</summary>
    private async Task RelayAsync(HttpContext context, AwsService service, string rawTarget, byte[]? body)
    {
        var request = context.Request;
        using var upstream = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(_upstreams[service], rawTarget));
        if (body is not null)
        {
            upstream.Content = new ByteArrayContent(body);
        }
        else if (request.ContentLength is not null || request.Headers.TransferEncoding.Count > 0)
        {
            upstream.Content = new StreamContent(request.Body);
        }

        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name))
            {
                continue;
            }

            if (!upstream.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                upstream.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        // The signature covers Host: keep the client's.
        upstream.Headers.Host = request.Host.Value;

        using var response = await _http.SendAsync(upstream, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = (int)response.StatusCode;
        if (service == AwsService.S3 && response.IsSuccessStatusCode)
        {
            var copySource = request.Headers["x-amz-copy-source"].ToString();
            _tagging.ObjectChanged(request, rawTarget, copySource.Length == 0 ? null : copySource);
        }

        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!HopByHop.Contains(name) && !(service == AwsService.S3 && S3Cors.IsCorsHeader(name)))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        if (request.Method != "HEAD")
        {
            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>Whether the object exists, by a HEAD to fauxqs with the request's own signature headers (fauxqs checks none).</summary>
    private async Task<bool> ObjectExistsAsync(string rawTarget, HttpRequest request, CancellationToken ct)
    {
        using var head = new HttpRequestMessage(HttpMethod.Head, new Uri(_upstreams[AwsService.S3], rawTarget.Split('?', 2)[0]));
        head.Headers.Host = request.Host.Value;
        using var answer = await _http.SendAsync(head, ct).ConfigureAwait(false);
        return answer.IsSuccessStatusCode;
    }

    private List<AwsCall> Record(string function, AwsService service, HttpRequest request, string rawTarget, List<string> queryKeys, byte[]? body)
    {
        IEnumerable<(string Action, string Resource)> calls;
        switch (service)
        {
            case AwsService.DynamoDb:
                calls = DynamoDbCalls.Classify(request.Headers["X-Amz-Target"].ToString(), ParseJson(body), _arns);
                break;
            case AwsService.Sqs:
                calls = SqsCalls.Classify(request.Headers["X-Amz-Target"].ToString(), ParseJson(body), _arns);
                break;
            default:
                var copySource = request.Headers["x-amz-copy-source"].ToString();
                calls = S3Calls.Classify(
                    request.Method, rawTarget, queryKeys, copySource.Length == 0 ? null : copySource,
                    body is null ? null : Encoding.UTF8.GetString(body), _arns);
                break;
        }

        var recorded = calls.Select(call => new AwsCall(function, call.Action, call.Resource)).ToList();
        foreach (var call in recorded)
        {
            _log.Record(call);
        }

        return recorded;
    }

    private static JsonNode? ParseJson(byte[]? body)
    {
        if (body is null || body.Length == 0)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(body);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
