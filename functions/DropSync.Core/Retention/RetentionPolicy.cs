namespace DropSync.Core.Retention;

/// <summary>
/// How long history is kept: a revision that is no longer current, or a deleted file, stays restorable for
/// <paramref name="VersionRetention"/>; of one file at most the newest <paramref name="MaxRevisionsPerFile"/> revisions are
/// kept. The current revision of a live file is always kept.
/// </summary>
public sealed record RetentionPolicy(TimeSpan VersionRetention, int MaxRevisionsPerFile)
{
    public static RetentionPolicy From(Files.DropSyncOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(options.VersionRetention < TimeSpan.Zero ? TimeSpan.Zero : options.VersionRetention, Math.Max(1, options.MaxRevisionsPerFile));
    }
}

/// <summary>One revision of a file as the retention rule sees it (no block list).</summary>
public sealed record RevisionStamp(string Rev, DateTimeOffset ServerModified);

/// <summary>
/// A file's history: the head entry of its path (live, deleted or moved away) and its revisions, newest first (by time,
/// then rev). The retention rule decides from this alone.
/// </summary>
public sealed record FileHistory(Model.FileEntry Entry, IReadOnlyList<RevisionStamp> Revisions);

/// <summary>What the rule decided for one file: revisions to forget, whether the (deleted) entry goes too, and when to look again.</summary>
/// <param name="ExpiredRevs">Revisions past the policy.</param>
/// <param name="ForgetEntry">The entry is a deletion past the policy and every revision of its path expires with it.</param>
/// <param name="NextDue">The earliest time something kept now will expire; null when only a live file's current revision is left.</param>
public sealed record RetentionVerdict(IReadOnlyList<string> ExpiredRevs, bool ForgetEntry, DateTimeOffset? NextDue)
{
    public bool ChangesNothing => ExpiredRevs.Count == 0 && !ForgetEntry;
}
