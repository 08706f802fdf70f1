using System.Globalization;

namespace DropSync.Core.Files;

/// <summary>Names for the copy that keeps a losing edit: "report (conflicted copy from laptop 2026-11-25).pdf".</summary>
public static class ConflictNames
{
    /// <summary>Candidate names in order of preference; the first is the plain one, then " (1)", " (2)", ...</summary>
    public static IEnumerable<string> Candidates(string name, string deviceName, DateTimeOffset when)
    {
        var dot = name.LastIndexOf('.');
        var (stem, ext) = dot > 0 ? (name[..dot], name[dot..]) : (name, "");
        var device = new string(deviceName.Select(c => c is '/' or '\\' || char.IsControl(c) ? '-' : c).ToArray());
        var date = when.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var label = $"{stem} (conflicted copy from {device} {date})";
        yield return label + ext;
        for (var i = 1; ; i++)
        {
            yield return $"{label} ({i}){ext}";
        }
    }
}
