using System.Threading.RateLimiting;
using DropSync.Core.Errors;
using DropSync.Core.Guarding;

namespace DropSync.Api.Hosting;

/// <summary>
/// Batches cost by their files. The request bucket (<see cref="RateLimits"/>) counts a batch as one request, which is
/// what lets a sync client send ten thousand small files in tens of requests without being throttled; this bucket,
/// per device token, counts each file a batch names (upload or download), so a client cannot multiply the request
/// limit by a thousand files a request. Its budget is far above what one client moving real files does (a first sync
/// runs at a few thousand files a second here). A refusal is 429 too_many_requests with Retry-After, like the others.
/// </summary>
internal sealed class BatchFileLimiter(RateLimitOptions limits) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _files = PartitionedRateLimiter.Create<string, string>(device =>
        RateLimitPartition.GetTokenBucketLimiter(device, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, limits.BatchFilesBurstPerDevice),
            TokensPerPeriod = Math.Max(1, limits.BatchFilesPerSecondPerDevice),
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
        }));

    /// <summary>Takes <paramref name="files"/> from the device's budget, or refuses the whole batch (nothing of it is done).</summary>
    public void Take(string deviceId, int files)
    {
        if (files <= 0)
        {
            return;
        }

        // A batch larger than the whole bucket (only with a bucket configured below the batch limit) takes all of it.
        using var lease = _files.AttemptAcquire(deviceId, Math.Min(files, Math.Max(1, limits.BatchFilesBurstPerDevice)));
        if (!lease.IsAcquired)
        {
            var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
            throw RetryAfter.TooManyRequests(
                $"Too many files in batches from this device (at most {limits.BatchFilesPerSecondPerDevice} a second); wait as long as Retry-After says, then try again.", wait);
        }
    }

    public void Dispose() => _files.Dispose();
}
