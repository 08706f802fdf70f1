using System.Globalization;
using System.Text;

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
        yield return Fit(stem, $" (conflicted copy from {device} {date})", ext);
        for (var i = 1; ; i++)
        {
            yield return Fit(stem, $" (conflicted copy from {device} {date}) ({i})", ext);
        }
    }

    /// <summary>Shortens the stem (never the label or extension) so the name fits the 255-byte limit of a name.</summary>
    private static string Fit(string stem, string label, string ext)
    {
        var budget = Paths.DropPath.MaxNameBytes - Encoding.UTF8.GetByteCount(label + ext);
        if (budget < 1)
        {
            // A pathological device name or extension: drop the extension rather than fail to keep the copy.
            (label, ext) = (label.Length > 200 ? label[..200] : label, "");
            budget = Paths.DropPath.MaxNameBytes - Encoding.UTF8.GetByteCount(label);
        }

        while (Encoding.UTF8.GetByteCount(stem) > budget)
        {
            // Drop whole text elements so a multi-byte character or emoji is never cut in half.
            var info = new StringInfo(stem);
            stem = info.SubstringByTextElements(0, info.LengthInTextElements - 1);
        }

        return stem + label + ext;
    }
}
