using DropSync.Api.Auth;
using DropSync.Core.Files;
using DropSync.Core.Ports;

namespace DropSync.Api.Apis;

/// <summary>What the caller's files take (<c>POST /users/get_space_usage</c>).</summary>
/// <param name="Used">Bytes of the caller's current files (what the quota counts, as Dropbox does).</param>
/// <param name="Allocated">The caller's quota in bytes (DropSync:StorageQuota).</param>
/// <param name="History">Bytes of replaced revisions and deleted files still kept by the retention policy.</param>
public sealed record SpaceUsageResponse(long Used, long Allocated, long History);

internal static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/users/get_space_usage", GetSpaceUsageAsync).WithTags("Users")
            .WithSummary("Bytes of the caller's current files, the quota, and bytes kept as history (old revisions, deleted files).");
        return routes;
    }

    private static async Task<SpaceUsageResponse> GetSpaceUsageAsync(HttpContext context, IRetentionStore retention, DropSyncOptions options, CancellationToken ct)
    {
        // The caller's own tree (shared folders they own are in it); logical bytes, before dedup and compression.
        var usage = await retention.MeasureAsync(context.Caller().RootNamespaceId, ct);
        return new SpaceUsageResponse(usage.CurrentBytes, options.StorageQuota, usage.HistoryBytes);
    }
}
