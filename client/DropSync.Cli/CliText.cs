namespace DropSync.Cli;

/// <summary>How the commands write sizes and shell words.</summary>
internal static class CliText
{
    /// <summary>A path as a POSIX shell word, for commands the messages suggest.</summary>
    public static string Quote(string text) =>
        text.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '/' or '.' or '_' or '-' or ':' or '@' or '~')
            ? text
            : "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    public static string Bytes(long n) => n switch
    {
        < 1024 => $"{n} B",
        < 1024 * 1024 => $"{n / 1024.0:0.#} KiB",
        < 1024L * 1024 * 1024 => $"{n / 1024.0 / 1024:0.#} MiB",
        _ => $"{n / 1024.0 / 1024 / 1024:0.##} GiB",
    };
}
