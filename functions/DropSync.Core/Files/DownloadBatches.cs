namespace DropSync.Core.Files;

/// <summary>
/// The bounds of <c>POST /files/download_batch</c>, shared by server and client: how many files one batch names, the
/// largest file it carries, and what a file adds to the JSON answer (its content in base64, its metadata and the
/// escaped path several times), estimated on the safe side so a batch the client plans fits the server's budget.
/// </summary>
public static class DownloadBatches
{
    /// <summary>At most this many files per batch.</summary>
    public const int MaxFiles = 1000;

    /// <summary>A file larger than this (one block) is not carried in a batch: fetch it on its own.</summary>
    public const int MaxFileSize = Content.Limits.MaxBlockSize;

    /// <summary>The answer's opening and closing, whatever the files.</summary>
    public const long FixedBytes = 1024;

    /// <summary>What one file adds to the answer: base64 content (4 bytes per 3), metadata, and the path (at most 6 bytes a character, 4 times).</summary>
    public static long EntryBytes(string path, long size) => (4 * ((size + 2) / 3)) + 640 + (24L * path.Length);
}
