using DropSync.Core.Retention;

namespace DropSync.Core.Ports;

/// <summary>
/// Where the retention collector finds expired history and forgets it. Every write of an entry that is not a live folder
/// marks its path due for a retention check at the write's time; the collector then asks for due paths in due order,
/// applies <see cref="RetentionRule"/> and stores the verdict, which moves the path's due time to when something kept
/// will next expire (or clears it). So each pass reads an index on due time, never every file: its work is bounded by
/// its limit and proportional to what was written or expired since.
/// Contract:
/// <list type="bullet">
/// <item><see cref="ListDueAsync"/> answers the paths due at or before <c>now</c>, oldest due first, at most <c>limit</c>,
/// each with its entry and its revision stamps newest first.</item>
/// <item><see cref="ForgetAsync"/> applies only while the entry still has the rev it had when read (a write since wins
/// and has rescheduled the path itself); it removes the expired revisions (their block references go with them), the
/// entry if asked, and sets the next due time; blocks the revisions referenced get a fresh grace period.</item>
/// <item>The current revision of a live file is never removed, whatever the verdict says.</item>
/// </list>
/// </summary>
public interface IRetentionStore
{
    Task<IReadOnlyList<FileHistory>> ListDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    Task<bool> ForgetAsync(FileHistory history, RetentionVerdict verdict, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The entry at a path with its newest <paramref name="limit"/> revision stamps; null if no entry is there.</summary>
    Task<FileHistory?> GetHistoryAsync(string namespaceId, string pathKey, int limit, CancellationToken cancellationToken);

    /// <summary>Bytes of a namespace's live files, and bytes of its other revisions (history) still stored.</summary>
    Task<SpaceUsage> MeasureAsync(string namespaceId, CancellationToken cancellationToken);
}

/// <summary>Bytes of current files and of kept history (non-current revisions, deleted files).</summary>
public sealed record SpaceUsage(long CurrentBytes, long HistoryBytes);
