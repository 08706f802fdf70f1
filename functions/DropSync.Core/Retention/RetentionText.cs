using System.Globalization;

namespace DropSync.Core.Retention;

/// <summary>The policy in words, for messages ("180 days, up to 100 revisions a file").</summary>
public static class RetentionText
{
    public static string Describe(RetentionPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return $"{Duration(policy.VersionRetention)}, up to {policy.MaxRevisionsPerFile.ToString(CultureInfo.InvariantCulture)} revisions a file";
    }

    public static string Duration(TimeSpan span) => span switch
    {
        { TotalDays: >= 1 } when span.TotalDays % 1 == 0 => Plural((long)span.TotalDays, "day"),
        { TotalHours: >= 1 } when span.TotalHours % 1 == 0 => Plural((long)span.TotalHours, "hour"),
        { TotalMinutes: >= 1 } when span.TotalMinutes % 1 == 0 => Plural((long)span.TotalMinutes, "minute"),
        _ => Plural((long)Math.Ceiling(span.TotalSeconds), "second"),
    };

    private static string Plural(long count, string unit) =>
        count.ToString(CultureInfo.InvariantCulture) + " " + unit + (count == 1 ? "" : "s");
}
