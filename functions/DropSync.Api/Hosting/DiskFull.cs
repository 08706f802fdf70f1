using DropSync.Core.Errors;
using Microsoft.Data.Sqlite;

namespace DropSync.Api.Hosting;

/// <summary>
/// Recognises a write that failed because the data folder's disk is full, wherever it surfaced: a block file write
/// (IOException with ENOSPC on Unix, ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows), a SQLite write (SQLITE_FULL),
/// or the core's own <see cref="ErrorKind.InsufficientStorage"/>.
/// </summary>
internal static partial class DiskFull
{
    public const string Code = ErrorCodes.InsufficientStorage;

    public const string Message = "The server has no space left to store this; nothing was changed. Reads still work; try again once space is freed.";

    private const int Enospc = 28;
    private const int SqliteFull = 13;
    private const int WindowsDiskFull = unchecked((int)0x80070070);
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027);

    public static bool Is(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case DropSyncException { Kind: ErrorKind.InsufficientStorage }:
                case SqliteException { SqliteErrorCode: SqliteFull }:
                case IOException io when io.HResult is Enospc or WindowsDiskFull or WindowsHandleDiskFull || SaysDiskFull(io.Message):
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// .NET reports a failed preallocation ("Failed to create … with allocation size … because the disk was full") without
    /// the errno in its HResult, so its message (and strerror's, for other paths) is what tells.
    /// </summary>
    private static bool SaysDiskFull(string message) =>
        message.Contains("disk was full", StringComparison.OrdinalIgnoreCase) || message.Contains("No space left on device", StringComparison.Ordinal);

    public static void Log(HttpContext context, Exception error) =>
        LogDiskFull(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("DropSync.Errors"), context.Request.Method, SecretSafeLogging.LoggedPath(context.Request.Path), error.Message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Disk full: {Method} {Path} answered 507 ({Reason}); free space in the data folder")]
    private static partial void LogDiskFull(ILogger logger, string method, string path, string reason);
}
