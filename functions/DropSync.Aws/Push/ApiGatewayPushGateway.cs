using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.Runtime.Internal.Auth;
using DropSync.Core.Ports;
using Microsoft.Extensions.Logging;

namespace DropSync.Aws.Push;

/// <summary>Where and how pushes reach API Gateway's @connections API.</summary>
public sealed record ApiGatewayPushOptions
{
    /// <summary>The WebSocket stage's management endpoint, <c>https://{api-id}.execute-api.{region}.amazonaws.com/{stage}</c>.</summary>
    public required Uri Endpoint { get; init; }

    public required string Region { get; init; }

    /// <summary>How many connections one message is posted to at once (a slow or dead one then holds up no other).</summary>
    public int Parallelism { get; init; } = 16;
}

/// <summary>
/// The AWS push port: a user's open connections come from <see cref="DynamoDbConnectionStore"/>; each message is one
/// <c>POST {endpoint}/@connections/{connectionId}</c> signed with SigV4 (service <c>execute-api</c>) by AWSSDK.Core's
/// signer — only the HTTP call is written here. A connection that answers 410 Gone has closed and is forgotten. The
/// device a change came from does not get it back unless it connected with echo. Best effort: failures are logged.
/// <para>Closing a revoked or signed-out device: <c>DELETE {endpoint}/@connections/{connectionId}</c>, signed the same
/// way, for each of its connections, then its connection records are deleted whatever API Gateway answered. The records
/// are what the fan-out pushes to, so a connection whose close failed gets no further pushes either — without a
/// device check (an extra read) on every push; and its next $default message finds no record and is refused.</para>
/// </summary>
public sealed partial class ApiGatewayPushGateway : IPushGateway, IDeviceConnectionCloser
{
    // Times as the API writes them everywhere else (ApiTimestamps), so a pushed event's time equals the listed one.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new DropSync.Core.Model.ApiTimestampConverter() } };
    private static readonly TimeSpan PostTimeout = TimeSpan.FromSeconds(5);
    private readonly HttpClient _http;
    private readonly DynamoDbConnectionStore _connections;
    private readonly ApiGatewayPushOptions _options;
    private readonly AWSCredentials _credentials;
    private readonly TimeProvider _time;
    private readonly ILogger<ApiGatewayPushGateway> _logger;

    public ApiGatewayPushGateway(
        HttpClient http, DynamoDbConnectionStore connections, ApiGatewayPushOptions options, AWSCredentials credentials, TimeProvider time, ILogger<ApiGatewayPushGateway> logger)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _connections = connections ?? throw new ArgumentNullException(nameof(connections));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _credentials = credentials ?? throw new ArgumentNullException(nameof(credentials));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    public async Task PushAsync(string userId, PushMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var targets = await _connections.ListByUserAsync(userId, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (targets.Count == 0)
        {
            return;
        }

        var body = new Dictionary<string, object?>(message.Body) { ["type"] = message.Type };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, Json);

        // Concurrently, a bounded number at a time: one user's slow or vanished connection does not hold up the
        // others (each POST is also bounded by the HttpClient's timeout).
        var receivers = targets.Where(c => message.OriginDeviceId != c.DeviceId || c.Echo);
        await Parallel.ForEachAsync(
            receivers,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Parallelism), CancellationToken = cancellationToken },
            async (connection, ct) => await PushOneAsync(connection.ConnectionId, bytes, ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    private async Task PushOneAsync(string connectionId, byte[] bytes, CancellationToken cancellationToken)
    {
        try
        {
            // API Gateway answers a POST once it has taken the message (it does not wait for the device to read), so a
            // few seconds is plenty; a call stuck longer is given up rather than holding the fan-out.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(PostTimeout);
            var status = await PostAsync(connectionId, bytes, timeout.Token).ConfigureAwait(false);
            if (status == HttpStatusCode.Gone)
            {
                // https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html:
                // 410 GoneException: the connection is closed; it is forgotten.
                await _connections.DeleteAsync(connectionId, cancellationToken).ConfigureAwait(false);
            }
            else if ((int)status is < 200 or > 299)
            {
                LogRefused(connectionId, (int)status);
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogFailed(e, connectionId);
        }
    }

    public async Task CloseDeviceAsync(string userId, string deviceId, CancellationToken cancellationToken)
    {
        var connections = await _connections.ListByUserAsync(userId, DateTimeOffset.MinValue, cancellationToken).ConfigureAwait(false);
        foreach (var connection in connections.Where(c => c.DeviceId == deviceId))
        {
            try
            {
                // 204: closed; 410 Gone: it had already closed.
                var status = await DeleteAsync(connection.ConnectionId, cancellationToken).ConfigureAwait(false);
                if ((int)status is < 200 or > 299 && status != HttpStatusCode.Gone)
                {
                    LogCloseRefused(connection.ConnectionId, (int)status);
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                LogCloseFailed(e, connection.ConnectionId);
            }

            await _connections.DeleteAsync(connection.ConnectionId, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One signed POST to a connection (a message for it); answers the HTTP status.</summary>
    public Task<HttpStatusCode> PostAsync(string connectionId, byte[] body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        return SendAsync(HttpMethod.Post, connectionId, body, cancellationToken);
    }

    /// <summary>One signed DELETE of a connection (API Gateway closes it); answers the HTTP status.</summary>
    public Task<HttpStatusCode> DeleteAsync(string connectionId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, connectionId, null, cancellationToken);

    /// <summary>One call to <c>{endpoint}/@connections/{connectionId}</c>, signed with SigV4 for <c>execute-api</c>.</summary>
    private async Task<HttpStatusCode> SendAsync(HttpMethod method, string connectionId, byte[]? body, CancellationToken cancellationToken)
    {
        var basePath = _options.Endpoint.AbsolutePath.TrimEnd('/');
        var path = basePath + "/%40connections/" + Uri.EscapeDataString(connectionId);
        var uri = new UriBuilder(_options.Endpoint) { Path = path }.Uri;
        var credentials = await _credentials.GetCredentialsAsync().ConfigureAwait(false);
        var signedAt = _time.GetUtcNow().UtcDateTime;
        var amzDate = signedAt.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var host = uri.IsDefaultPort ? uri.Host : uri.Authority;

        // SigV4's canonical request; the path's segments are encoded once on the wire and once more here, as for every
        // service but S3.
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["host"] = host, ["x-amz-date"] = amzDate };
        if (credentials.UseToken)
        {
            headers["x-amz-security-token"] = credentials.Token;
        }

        var signedHeaders = string.Join(';', headers.Keys);
        var canonicalUri = string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
        var canonicalRequest = new StringBuilder()
            .Append(method.Method).Append('\n').Append(canonicalUri).Append("\n\n")
            .Append(string.Concat(headers.Select(h => h.Key + ":" + h.Value.Trim() + "\n"))).Append('\n')
            .Append(signedHeaders).Append('\n')
            .Append(Convert.ToHexStringLower(SHA256.HashData(body ?? [])))
            .ToString();
        var signature = AWS4Signer.ComputeSignature(credentials, _options.Region, signedAt, "execute-api", signedHeaders, canonicalRequest);

        using var request = new HttpRequestMessage(method, uri);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        request.Headers.TryAddWithoutValidation("Authorization", signature.ForAuthorizationHeader);
        request.Headers.TryAddWithoutValidation("X-Amz-Date", amzDate);
        if (credentials.UseToken)
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Security-Token", credentials.Token);
        }

        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return response.StatusCode;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "API Gateway refused to close connection {ConnectionId} with {Status}; its record is deleted, so it gets no more pushes")]
    private partial void LogCloseRefused(string connectionId, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing connection {ConnectionId} failed; its record is deleted, so it gets no more pushes")]
    private partial void LogCloseFailed(Exception error, string connectionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "API Gateway refused a push to connection {ConnectionId} with {Status}")]
    private partial void LogRefused(string connectionId, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A push to connection {ConnectionId} failed; the device catches up by cursor")]
    private partial void LogFailed(Exception error, string connectionId);
}
