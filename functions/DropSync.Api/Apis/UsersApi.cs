using DropSync.Api.Auth;
using DropSync.Core.Contract;
using DropSync.Core.Files;
using DropSync.Core.Ports;

namespace DropSync.Api.Apis;

internal static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/users/get_space_usage", GetSpaceUsageAsync).WithName("getSpaceUsage").WithTags("Users")
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
