using DropSync.Core.Accounts;
using DropSync.Core.Model;
using DropSync.Core.Ports;

namespace DropSync.Core.Feed;

/// <summary>A page of notifications, with the unread count and the cursor for the next (older) page.</summary>
public sealed record NotificationPage(IReadOnlyList<Notification> Notifications, int Unread, string? Cursor);

public sealed class NotificationService(INotificationStore store)
{
    public async Task<NotificationPage> ListAsync(Caller caller, int? limit, string? cursor, CancellationToken ct)
    {
        var size = Math.Clamp(limit ?? 50, 1, 500);
        var page = await store.ListAsync(caller.UserId, cursor, size, ct);
        var unread = await store.CountUnreadAsync(caller.UserId, ct);
        return new NotificationPage(page, unread, page.Count == size ? page[^1].NotificationId : null);
    }

    public Task MarkReadAsync(Caller caller, IReadOnlyCollection<string>? ids, CancellationToken ct) => store.MarkReadAsync(caller.UserId, ids, ct);
}
