using System.Globalization;

namespace DropSync.Benchmarks;

/// <summary>Parses sizes such as <c>64MiB</c>, <c>1GiB</c>, <c>10GiB</c>, <c>500MB</c> or a plain byte count, and formats them back.</summary>
internal static class ByteSize
{
    public const long KiB = 1024;
    public const long MiB = 1024 * KiB;
    public const long GiB = 1024 * MiB;

    private static readonly (string Suffix, long Factor)[] Units =
    [
        ("KiB", KiB), ("MiB", MiB), ("GiB", GiB), ("TiB", 1024 * GiB),
        ("KB", 1000), ("MB", 1000 * 1000), ("GB", 1000L * 1000 * 1000),
        ("K", KiB), ("M", MiB), ("G", GiB),
        ("B", 1),
    ];

    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var trimmed = text.Trim();
        long factor = 1;
        foreach (var (suffix, unitFactor) in Units)
        {
            if (trimmed.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                trimmed = trimmed[..^suffix.Length].Trim();
                factor = unitFactor;
                break;
            }
        }

        if (!decimal.TryParse(trimmed, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) || number <= 0)
        {
            return false;
        }

        var value = number * factor;
        if (value > long.MaxValue)
        {
            return false;
        }

        bytes = (long)decimal.Round(value);
        return bytes > 0;
    }

    public static string Format(long bytes) => bytes switch
    {
        >= GiB => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)GiB:0.##} GiB"),
        >= MiB => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)MiB:0.##} MiB"),
        >= KiB => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)KiB:0.##} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
    };

    public static string Mebibytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)MiB:0} MiB");
}
