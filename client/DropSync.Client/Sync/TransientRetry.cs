using System.Net;
using DropSync.Client.Api;

namespace DropSync.Client.Sync;

/// <summary>
/// Retries one block transfer that failed on the way (connection reset, 5xx) a few times with a short back-off and
/// jitter, so one dropped request among a file's hundreds of parallel block PUTs or GETs does not fail the whole file.
/// A 429 or 503 never gets here while the transport still waits it out (<see cref="RetryAfterHandler"/>, for every
/// request). Errors that another try cannot fix (4xx: an expired or wrong URL, a refused size) and cancellation are
/// not retried.
/// </summary>
internal static class TransientRetry
{
    public const int Attempts = 3;

    public static async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> transfer, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await transfer(ct);
            }
            catch (Exception e) when (attempt < Attempts && IsTransient(e) && !ct.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds((100 * attempt * attempt) + Random.Shared.Next(50)), ct);
            }
        }
    }

    public static Task RunAsync(Func<CancellationToken, Task> transfer, CancellationToken ct) =>
        RunAsync(async c =>
        {
            await transfer(c);
            return true;
        }, ct);

    public static bool IsTransient(Exception e) => e switch
    {
        DropSyncApiException api => (int)api.Status >= 500 || api.Status == HttpStatusCode.TooManyRequests,
        HttpRequestException => true,
        IOException => true, // a connection torn mid-body surfaces as an IOException from the response stream
        _ => false,
    };
}
