using DropSync.Api.Auth;
using DropSync.Core.Contract;
using DropSync.Core.Feed;

namespace DropSync.Api.Apis;

/// <summary>Notification history with read state (live ones arrive on the WebSocket).</summary>
internal static class NotificationsApi
{
    public static IEndpointRouteBuilder MapNotificationsApi(this IEndpointRouteBuilder routes)
    {
        var notifications = routes.MapGroup("/notifications").WithTags("Notifications");
        notifications.MapPost("/list", ListAsync).WithName("listNotifications").WithSummary("Your notifications, newest first, with the unread count.");
        notifications.MapPost("/mark_read", MarkReadAsync).WithName("markNotificationsRead").WithSummary("Mark notifications read (all of them when ids is left out).");
        return routes;
    }

    private static async Task<NotificationPage> ListAsync(NotificationsRequest request, HttpContext context, NotificationService notifications, CancellationToken ct) =>
        await notifications.ListAsync(context.Caller(), request.Limit, request.Cursor, ct);

    private static async Task<EmptyResponse> MarkReadAsync(MarkReadRequest request, HttpContext context, NotificationService notifications, Core.Files.DropSyncOptions options, CancellationToken ct)
    {
        if (request.Ids?.Count > options.MaxMarkReadIds)
        {
            throw Core.Errors.Errors.BadRequest(Core.Errors.ErrorCodes.TooManyIds, $"Mark at most {options.MaxMarkReadIds} notifications read per request (or leave ids out to mark all).");
        }

        await notifications.MarkReadAsync(context.Caller(), request.Ids, ct);
        return EmptyResponse.Instance;
    }
}
