using System.Net;
using System.Net.Http.Headers;

namespace DropSync.Client.Api;

/// <summary>
/// Waits out a server that says "not now" and asks again, for every request the client makes (listings, batches,
/// blocks, commits): 429 (a rate limit) and 503 (busy, or S3's SlowDown) are answers about the moment, not about the
/// request, so no file fails on them while retries remain. The wait is what Retry-After says (seconds or a date),
/// else an exponential back-off; capped at <see cref="MaxWait"/>, with up to a fifth more of random jitter so clients
/// refused together do not come back together. After <see cref="MaxRetries"/> waits the refusal goes to the caller.
/// Every body this client sends (JSON, bytes in memory, multipart of those) can be sent again.
/// </summary>
public sealed class RetryAfterHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    /// <summary>How many times one request is sent again after a 429 or 503.</summary>
    public const int MaxRetries = 10;

    /// <summary>The longest single wait, whatever Retry-After says.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);

    /// <summary>The first wait when the answer names none; doubled on each later refusal.</summary>
    private static readonly TimeSpan FirstBackOff = TimeSpan.FromMilliseconds(250);

    /// <summary>Told of each wait (tests and benchmarks count them).</summary>
    public Action<HttpRequestMessage, TimeSpan>? OnWait { get; init; }

    public static bool IsRefusal(HttpStatusCode status) => status is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable;

    /// <summary>How long to wait before retry number <paramref name="attempt"/> (1 for the first retry), jitter included.</summary>
    public static TimeSpan WaitBefore(int attempt, RetryConditionHeaderValue? retryAfter, DateTimeOffset now)
    {
        var asked = retryAfter?.Delta ?? (retryAfter?.Date is { } date ? date - now : (TimeSpan?)null);
        var wait = asked is { } a && a > TimeSpan.Zero
            ? a
            : FirstBackOff * Math.Pow(2, Math.Min(attempt - 1, 16));
        if (wait > MaxWait)
        {
            wait = MaxWait;
        }

        return wait + (wait * (Random.Shared.NextDouble() / 5));
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (attempt > MaxRetries || !IsRefusal(response.StatusCode))
            {
                return response;
            }

            var wait = WaitBefore(attempt, response.Headers.RetryAfter, DateTimeOffset.UtcNow);
            response.Dispose();
            OnWait?.Invoke(request, wait);
            await Task.Delay(wait, cancellationToken);
        }
    }
}
