namespace DropSync.Core.Guarding;

/// <summary>
/// Limits on guessing and flooding (configuration section <c>DropSync:RateLimits</c>). Defaults are production values;
/// tests set them small. Every limiter is in memory, per process: in AWS mode that is per Lambda instance, and API
/// Gateway's stage throttling is the outer, shared layer (docs/security.md).
/// </summary>
public sealed class RateLimitOptions
{
    /// <summary>Wrong passwords for one account (from anywhere) before its sign-in is refused for the rest of the window.</summary>
    public int LoginFailuresPerAccount { get; set; } = 40;

    /// <summary>The window over which failed sign-ins, link passwords and WebDAV passwords are counted.</summary>
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Wrong passwords for one shared link before it refuses password attempts for the rest of the window.</summary>
    public int LinkPasswordFailuresPerLink { get; set; } = 40;

    /// <summary>Failed WebDAV (HTTP Basic) sign-ins per account and client address before that pair is refused for the window.</summary>
    public int DavFailuresPerAccountAndAddress { get; set; } = 40;

    /// <summary>Sign-in attempts (right or wrong) per client address per minute (a token bucket: a burst of this many, refilled evenly).</summary>
    public int LoginsPerAddressPerMinute { get; set; } = 120;

    /// <summary>Registrations per client address per hour (a token bucket, as above).</summary>
    public int RegistrationsPerAddressPerHour { get; set; } = 200;

    /// <summary>Authenticated API requests per device token: a bucket of this many, refilled at <see cref="ApiRequestsPerSecondPerDevice"/>.</summary>
    public int ApiBurstPerDevice { get; set; } = 5000;

    /// <summary>The sustained rate of authenticated API requests per device token.</summary>
    public int ApiRequestsPerSecondPerDevice { get; set; } = 500;

    /// <summary>
    /// Files named by batch requests (/files/upload_batch, /files/download_batch) per device token: a bucket of this
    /// many, refilled at <see cref="BatchFilesPerSecondPerDevice"/>. A batch is one request to the request bucket and
    /// this many files to this one.
    /// </summary>
    public int BatchFilesBurstPerDevice { get; set; } = 100_000;

    /// <summary>The sustained rate of files in batch requests per device token.</summary>
    public int BatchFilesPerSecondPerDevice { get; set; } = 10_000;

    /// <summary>
    /// Block transfers through signed URLs (<c>/blocks/…</c>, embedded mode) in progress at once per client address:
    /// each holds a 4 MiB block buffer while it runs, so this bounds what one address can make the server hold (the
    /// sync client keeps at most 16 in flight). Those URLs carry no device token, so the per-device bucket does not
    /// reach them.
    /// </summary>
    public int BlockTransfersPerAddress { get; set; } = 32;

    /// <summary>Block transfers per client address that wait (holding no buffer) for one of those; past that, 429.</summary>
    public int BlockTransfersQueuedPerAddress { get; set; } = 128;

    /// <summary>
    /// Take the client address from the last entry of <c>X-Forwarded-For</c> (the one the proxy in front appended).
    /// Only behind a proxy that sets it (API Gateway does; AWS mode turns this on); otherwise a client could choose its
    /// own address.
    /// </summary>
    public bool TrustForwardedFor { get; set; }

    /// <summary>The most keys (accounts, links, account+address pairs) the failure counters remember at once.</summary>
    public int MaxTrackedKeys { get; set; } = 100_000;
}
