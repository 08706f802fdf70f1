using DropSync.Core.Model;

namespace DropSync.Core.Retention;

/// <summary>
/// The one rule of what history expires, shared by every store, the collector and the API (which hides what has expired
/// but is not collected yet). A revision stops being current when the next newer revision of its path is written, or —
/// for the newest — when its file is deleted or moved away. It is kept while now &lt; stopped + retention and it is among
/// the newest <see cref="RetentionPolicy.MaxRevisionsPerFile"/>; the current revision of a live file is always kept. A
/// deleted entry (a tombstone) is kept while now &lt; deleted + retention, or while any revision of its path is kept.
/// </summary>
public static class RetentionRule
{
    public static RetentionVerdict Apply(FileHistory history, RetentionPolicy policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(policy);
        var entry = history.Entry;
        var current = entry.IsLiveFile ? entry.Rev : null;
        var expired = new List<string>();
        DateTimeOffset? nextDue = null;
        for (var i = 0; i < history.Revisions.Count; i++)
        {
            var revision = history.Revisions[i];
            if (revision.Rev == current)
            {
                continue;
            }

            var expiresAt = Plus(StoppedBeingCurrent(history, i), policy.VersionRetention);
            if (i >= policy.MaxRevisionsPerFile || now >= expiresAt)
            {
                expired.Add(revision.Rev);
            }
            else
            {
                nextDue = Earliest(nextDue, expiresAt);
            }
        }

        var forgetEntry = false;
        if (entry.IsDeleted)
        {
            var entryExpiresAt = Plus(entry.ServerModified, policy.VersionRetention);
            forgetEntry = now >= entryExpiresAt && expired.Count == history.Revisions.Count;
            if (!forgetEntry && entryExpiresAt > now)
            {
                nextDue = Earliest(nextDue, entryExpiresAt);
            }
        }

        return new RetentionVerdict(expired, forgetEntry, nextDue);
    }

    /// <summary>Whether a revision of this file is still kept (for answering list_revisions, downloads and restores).</summary>
    public static bool IsKept(FileHistory history, string rev, RetentionPolicy policy, DateTimeOffset now) =>
        history.Revisions.Any(r => r.Rev == rev) && !Apply(history, policy, now).ExpiredRevs.Contains(rev);

    /// <summary>Whether a deleted entry is still listed among the deleted files.</summary>
    public static bool IsDeletionKept(FileEntry entry, RetentionPolicy policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(policy);
        return !entry.IsDeleted || now < Plus(entry.ServerModified, policy.VersionRetention);
    }

    /// <summary>
    /// When revision <paramref name="index"/> (newest first) stopped being current: when the next newer one was written;
    /// for the newest, when its entry stopped naming it (deleted, moved away, replaced by a folder), else never (it is current).
    /// </summary>
    private static DateTimeOffset StoppedBeingCurrent(FileHistory history, int index)
    {
        if (index > 0)
        {
            return history.Revisions[index - 1].ServerModified;
        }

        var entry = history.Entry;
        return entry.Rev != history.Revisions[0].Rev || entry.IsDeleted
            ? Max(entry.ServerModified, history.Revisions[0].ServerModified)
            : DateTimeOffset.MaxValue;
    }

    /// <summary>A time plus the retention, saturating: a retention of years past the calendar's end means "forever".</summary>
    private static DateTimeOffset Plus(DateTimeOffset at, TimeSpan retention) =>
        retention >= DateTimeOffset.MaxValue - at ? DateTimeOffset.MaxValue : at + retention;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset b) => a is null || b < a ? b : a;
}
