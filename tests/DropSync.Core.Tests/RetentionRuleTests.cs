using DropSync.Core.Model;
using DropSync.Core.Retention;

namespace DropSync.Core.Tests;

/// <summary>
/// The retention rule as a table. Times are minutes after T0; the policy keeps 60 minutes and 3 revisions unless a row says
/// otherwise. A file's revisions r1..rn were written at the listed minutes (oldest first in the table; the rule sees them
/// newest first), its entry is live (current = newest), deleted or moved away at a minute, and the row states what expires
/// at "now", whether the entry is forgotten and when the file is next due.
/// </summary>
public sealed class RetentionRuleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, int[], string, int, int, int, string, bool, int?> Cases() => new()
    {
        // name, revision minutes, entry state, entry minute, now, max revisions, expired revs, forget entry, next due minute
        { "a live file's only revision is never touched", [0], "live", 0, 100_000, 3, "", false, null },
        { "a replaced revision is kept within the retention", [0, 10], "live", 10, 69, 3, "", false, 70 },
        { "a replaced revision expires exactly at replaced + retention", [0, 10], "live", 10, 70, 3, "r1", false, null },
        { "each revision counts from when the next one replaced it", [0, 10, 30], "live", 30, 75, 3, "r1", false, 90 },
        { "beyond the newest N the oldest go at once", [0, 1, 2, 3, 4], "live", 4, 5, 3, "r1 r2", false, 63 },
        { "the current revision stays even when N is 1", [0, 1], "live", 1, 2, 1, "r1", false, null },
        { "a deleted file's older revision counts from its replacement", [0, 10], "deleted", 20, 69, 3, "", false, 70 },
        { "a deleted file's newest revision counts from the deletion", [0, 10], "deleted", 20, 79, 3, "r1", false, 80 },
        { "a deleted file and its history go at deleted + retention", [0, 10], "deleted", 20, 80, 3, "r1 r2", true, null },
        { "a moved-away path is forgotten like a deletion", [0], "moved", 5, 65, 3, "r1", true, null },
        { "a deleted folder (no revisions) is forgotten after the retention", [], "deleted", 0, 60, 3, "", true, null },
        { "a deleted folder is kept before", [], "deleted", 0, 59, 3, "", false, 60 },
        { "a live folder where a file was keeps none of the file past the retention", [0], "folder", 5, 65, 3, "r1", false, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rule(string name, int[] minutes, string state, int entryMinute, int now, int maxRevisions, string expired, bool forgetEntry, int? nextDue)
    {
        var revisions = minutes.Select((m, i) => new RevisionStamp("r" + (i + 1), At(m))).Reverse().ToList();
        var entry = new FileEntry
        {
            NamespaceId = "ns",
            PathDisplay = "/a.txt",
            Kind = state == "folder" || revisions.Count == 0 ? EntryKind.Folder : EntryKind.File,
            Rev = state == "live" ? revisions[0].Rev : "tomb",
            ServerModified = At(entryMinute),
            DeviceId = "d",
            IsDeleted = state is "deleted" or "moved",
            MovedAway = state == "moved",
        };
        var policy = new RetentionPolicy(TimeSpan.FromMinutes(60), maxRevisions);

        var verdict = RetentionRule.Apply(new FileHistory(entry, revisions), policy, At(now));

        Assert.True(
            string.Join(' ', verdict.ExpiredRevs.Order(StringComparer.Ordinal)) == expired && verdict.ForgetEntry == forgetEntry && verdict.NextDue == (nextDue is { } due ? At(due) : null),
            $"{name}: expired [{string.Join(' ', verdict.ExpiredRevs)}], forget {verdict.ForgetEntry}, next {verdict.NextDue}");
        foreach (var revision in revisions)
        {
            Assert.Equal(!verdict.ExpiredRevs.Contains(revision.Rev), RetentionRule.IsKept(new FileHistory(entry, revisions), revision.Rev, policy, At(now)));
        }
    }

    [Fact]
    public void A_retention_past_the_calendar_keeps_everything()
    {
        var revisions = new List<RevisionStamp> { new("r2", At(10)), new("r1", At(0)) };
        var entry = new FileEntry { NamespaceId = "ns", PathDisplay = "/a", Kind = EntryKind.File, Rev = "r2", ServerModified = At(10), DeviceId = "d" };

        var verdict = RetentionRule.Apply(new FileHistory(entry, revisions), new RetentionPolicy(TimeSpan.MaxValue, 100), DateTimeOffset.MaxValue.AddDays(-1));

        Assert.Empty(verdict.ExpiredRevs);
    }

    [Theory]
    [InlineData(180 * 24 * 60, "180 days, up to 100 revisions a file")]
    [InlineData(90, "90 minutes, up to 100 revisions a file")]
    [InlineData(1, "1 minute, up to 100 revisions a file")]
    public void The_policy_in_words(int minutes, string expected) =>
        Assert.Equal(expected, RetentionText.Describe(new RetentionPolicy(TimeSpan.FromMinutes(minutes), 100)));

    private static DateTimeOffset At(int minute) => T0.AddMinutes(minute);
}
