using DropSync.Core.Model;
using DropSync.Core.Ports;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>Notification history and read state (<see cref="INotificationStore"/>). Every statement is scoped to one user.</summary>
public sealed partial class SqliteMetadataStore
{
    private const string NotificationColumns = "notification_id, user_id, kind, path, actor_email, actor_device, time, is_read";

    /// <summary>Adds the notifications in one transaction; one whose id is already stored is left as it is (a retried fan-out).</summary>
    public Task AddAsync(IReadOnlyList<Notification> notifications, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notifications);
        return WriteAsync(
            async (transaction, ct) =>
            {
                using var insert = transaction.Prepare(
                    $"""
                    INSERT INTO notifications ({NotificationColumns})
                    VALUES ($id, $user, $kind, $path, $actor, $device, $time, $read)
                    ON CONFLICT (notification_id) DO NOTHING;
                    """,
                    "$id", "$user", "$kind", "$path", "$actor", "$device", "$time", "$read");
                var added = 0;
                foreach (var n in notifications)
                {
                    added += await insert.Bind(
                        n.NotificationId, n.UserId, n.Kind, n.Path, n.ActorEmail, n.ActorDeviceId, n.Time.ToUnixMs(), n.Read ? 1 : 0)
                        .ExecuteNonQueryAsync(ct);
                }

                return added;
            },
            cancellationToken);
    }

    /// <summary>
    /// Newest first (by time, then id). With <paramref name="beforeId"/>, the ones after it in that order; an id that is
    /// not one of this user's notifications gives an empty page.
    /// </summary>
    public Task<IReadOnlyList<Notification>> ListAsync(string userId, string? beforeId, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return ReadAsync<IReadOnlyList<Notification>>(
            async (transaction, ct) =>
            {
                using var command = beforeId is null
                    ? transaction.Command(
                        $"SELECT {NotificationColumns} FROM notifications WHERE user_id = $user ORDER BY time DESC, notification_id DESC LIMIT $limit;",
                        ("$user", userId), ("$limit", limit))
                    : transaction.Command(
                        $"""
                        SELECT {NotificationColumns} FROM notifications
                        WHERE user_id = $user
                          AND (time, notification_id) < (SELECT time, notification_id FROM notifications WHERE notification_id = $before AND user_id = $user)
                        ORDER BY time DESC, notification_id DESC LIMIT $limit;
                        """,
                        ("$user", userId), ("$before", beforeId), ("$limit", limit));
                return await command.ReadAllAsync(ReadNotification, ct);
            },
            cancellationToken);
    }

    public Task<int> CountUnreadAsync(string userId, CancellationToken cancellationToken) =>
        ReadAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command("SELECT COUNT(*) FROM notifications WHERE user_id = $user AND is_read = 0;", ("$user", userId));
                return (int)(long)(await command.ExecuteScalarAsync(ct))!;
            },
            cancellationToken);

    /// <summary>Marks the user's own notifications read; ids that are unknown or another user's are ignored.</summary>
    public Task MarkReadAsync(string userId, IReadOnlyCollection<string>? ids, CancellationToken cancellationToken) =>
        WriteAsync(
            async (transaction, ct) =>
            {
                if (ids is null)
                {
                    using var all = transaction.Command("UPDATE notifications SET is_read = 1 WHERE user_id = $user AND is_read = 0;", ("$user", userId));
                    return await all.ExecuteNonQueryAsync(ct);
                }

                using var one = transaction.Prepare(
                    "UPDATE notifications SET is_read = 1 WHERE notification_id = $id AND user_id = $user AND is_read = 0;", "$id", "$user");
                var marked = 0;
                foreach (var id in ids)
                {
                    marked += await one.Bind(id, userId).ExecuteNonQueryAsync(ct);
                }

                return marked;
            },
            cancellationToken);

    private static Notification ReadNotification(SqliteDataReader reader) => new()
    {
        NotificationId = reader.GetString(0),
        UserId = reader.GetString(1),
        Kind = reader.GetString(2),
        Path = reader.GetString(3),
        ActorEmail = reader.GetString(4),
        ActorDeviceId = reader.GetString(5),
        Time = reader.GetUnixMs(6),
        Read = reader.GetInt64(7) != 0,
    };
}
