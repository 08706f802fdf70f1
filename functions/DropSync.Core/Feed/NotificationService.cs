using System.Text;
using DropSync.Core.Accounts;
using DropSync.Core.Model;
using DropSync.Core.Ports;

namespace DropSync.Core.Feed;

/// <summary>A page of notifications, with the unread count and the cursor for the next (older) page.</summary>
public sealed record NotificationPage(IReadOnlyList<Notification> Notifications, int Unread, string? Cursor);

public sealed class NotificationService(INotificationStore store, CursorSigner signer)
{
    private const string CursorKind = "notifications";

    public async Task<NotificationPage> ListAsync(Caller caller, int? limit, string? cursor, CancellationToken ct)
    {
        var size = Math.Clamp(limit ?? 50, 1, 500);
        var page = await store.ListAsync(caller.UserId, cursor is null ? null : Before(caller, cursor), size, ct);
        var unread = await store.CountUnreadAsync(caller.UserId, ct);
        return new NotificationPage(page, unread, page.Count == size ? Seal(caller, page[^1].NotificationId) : null);
    }

    public Task MarkReadAsync(Caller caller, IReadOnlyCollection<string>? ids, CancellationToken ct) => store.MarkReadAsync(caller.UserId, ids, ct);

    /// <summary>The next page starts before this notification; the cursor is sealed and bound to the user.</summary>
    private string Seal(Caller caller, string notificationId) => signer.Seal(CursorKind, Encoding.UTF8.GetBytes(caller.UserId + "\n" + notificationId));

    private string Before(Caller caller, string cursor)
    {
        var text = signer.Open(CursorKind, cursor) is { } payload ? Encoding.UTF8.GetString(payload) : "";
        var prefix = caller.UserId + "\n";
        return text.StartsWith(prefix, StringComparison.Ordinal)
            ? text[prefix.Length..]
            : throw Errors.Errors.BadRequest(Errors.ErrorCodes.InvalidCursor, "This cursor is not one this account was given; list notifications again from the newest.");
    }
}
