using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using DropSync.Core.Errors;
using DropSync.Core.Guarding;
using Microsoft.AspNetCore.RateLimiting;

namespace DropSync.Api.Hosting;

/// <summary>
/// ASP.NET Core's rate limiter: sign-ins and registrations per client address (token buckets), and a generous token
/// bucket per device token on the authenticated API (a batch is one request there; its files count in
/// <see cref="BatchFileLimiter"/>). Wrong passwords are counted apart, per account, link or WebDAV
/// account+address, by <see cref="FailedAttemptLimiter"/> (only failures count there). A refusal answers 429
/// too_many_requests with Retry-After. All in memory, per process (per Lambda instance in AWS mode; see docs/security.md).
/// </summary>
internal static class RateLimits
{
    public const string LoginPolicy = "login-per-address";
    public const string RegisterPolicy = "register-per-address";
    public const string BlockTransfersPolicy = "block-transfers-per-address";

    public static IServiceCollection AddDropSyncRateLimits(this IServiceCollection services, RateLimitOptions limits)
    {
        services.AddSingleton(limits);
        services.AddSingleton<FailedAttemptLimiter>();
        services.AddSingleton<BatchFileLimiter>();
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = (rejected, ct) =>
            {
                var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
                var seconds = RetryAfter.Seconds(wait);
                rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return new ValueTask(ErrorResponses.WriteAsync(
                    rejected.HttpContext,
                    StatusCodes.Status429TooManyRequests,
                    ErrorCodes.TooManyRequests,
                    "Too many requests; wait as long as Retry-After says, then try again.",
                    new Dictionary<string, object?> { [RetryAfter.DetailKey] = seconds }));
            };
            options.AddPolicy(LoginPolicy, http => PerAddress(http, "login", limits.LoginsPerAddressPerMinute, TimeSpan.FromMinutes(1)));
            options.AddPolicy(RegisterPolicy, http => PerAddress(http, "register", limits.RegistrationsPerAddressPerHour, TimeSpan.FromHours(1)));
            options.AddPolicy(BlockTransfersPolicy, http => BlockTransfersPerAddress(http, limits));
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                http.User.FindFirst("device_id")?.Value is { } device
                    ? RateLimitPartition.GetTokenBucketLimiter(device, _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = limits.ApiBurstPerDevice,
                        TokensPerPeriod = limits.ApiRequestsPerSecondPerDevice,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                    })
                    : RateLimitPartition.GetNoLimiter(""));
        });
        return services;
    }

    /// <summary>
    /// With <see cref="RateLimitOptions.TrustForwardedFor"/>, the client address is the last entry of X-Forwarded-For:
    /// the one the proxy in front (API Gateway, through the Lambda Web Adapter) appended; anything left of it the client
    /// may have written itself. Without the setting the header is ignored.
    /// </summary>
    public static IApplicationBuilder UseClientAddress(this IApplicationBuilder app, RateLimitOptions limits) =>
        !limits.TrustForwardedFor ? app : app.Use((context, next) =>
        {
            var forwarded = context.Request.Headers["X-Forwarded-For"].ToString();
            var last = forwarded[(forwarded.LastIndexOf(',') + 1)..].Trim();
            if (IPAddress.TryParse(last, out var address))
            {
                context.Connection.RemoteIpAddress = address;
            }

            return next(context);
        });

    /// <summary>One bucket per client address (an IPv6 client by its /64, which one subscriber usually holds whole).</summary>
    private static RateLimitPartition<string> PerAddress(HttpContext http, string what, int perPeriod, TimeSpan period)
    {
        // No address (the in-process test host): nothing to tell clients apart by.
        if (http.Connection.RemoteIpAddress is not { } address)
        {
            return RateLimitPartition.GetNoLimiter(what);
        }

        return RateLimitPartition.GetTokenBucketLimiter(what + ":" + AddressKey(address), _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perPeriod,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = period / perPeriod,
            QueueLimit = 0,
        });
    }

    /// <summary>
    /// Block transfers in progress per client address (a concurrency limiter, waiters in arrival order): a burst of
    /// parallel block requests waits its turn without a buffer; past the queue it is answered 429.
    /// </summary>
    private static RateLimitPartition<string> BlockTransfersPerAddress(HttpContext http, RateLimitOptions limits)
    {
        if (http.Connection.RemoteIpAddress is not { } address)
        {
            return RateLimitPartition.GetNoLimiter("blocks");
        }

        return RateLimitPartition.GetConcurrencyLimiter("blocks:" + AddressKey(address), _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = limits.BlockTransfersPerAddress,
            QueueLimit = limits.BlockTransfersQueuedPerAddress,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    private static string AddressKey(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes) + "/64";
        }

        return address.ToString();
    }
}
