using System.Security.Cryptography;
using System.Text;

namespace DropSync.Client.Sync;

/// <summary>
/// Where a download is written before it is renamed into place. Both kinds end in <c>.dropsync-part</c>, which the
/// default ignore rules leave out of every scan.
/// <list type="bullet">
/// <item>A file fetched by blocks: in the state folder's <c>tmp</c>, named by path and rev, kept when interrupted so the
/// next run resumes it (one rename per large file).</item>
/// <item>A small file fetched whole: hidden, next to the file it becomes, named by path. Renamed within its own folder,
/// because Linux serializes renames between folders (a file system-wide lock, then both folders' locks) and creating
/// every part file in one folder made each download wait for that folder's lock: a first sync of 100,000 small files
/// spent most of its CPU in the kernel, workers spinning on the lock
/// (docs/performance/client-history.md, "Round 19").</item>
/// </list>
/// </summary>
internal static class PartFiles
{
    private const string Extension = ".dropsync-part";

    // "." + 24 hex digits + the extension.
    private const int InFolderNameLength = 1 + 24 + 14;

    /// <summary>An in-folder part file older than this was left by a run that stopped between the write and the rename.</summary>
    public static readonly TimeSpan LeftoverAge = TimeSpan.FromDays(1);

    /// <summary>The part file in <paramref name="tempFolder"/> of a download by blocks of <paramref name="key"/> at <paramref name="rev"/>.</summary>
    public static string InTempFolder(string tempFolder, string key, string? rev) =>
        Path.Combine(tempFolder, KeyHash(key) + "-" + rev + Extension);

    /// <summary>
    /// The part file of a small download to <paramref name="fullPath"/> (key <paramref name="key"/>), in the same folder.
    /// Named by the path alone: a part file an interrupted run left is replaced by the next download of that path.
    /// </summary>
    public static string InFolder(string fullPath, string key) =>
        Path.Combine(Path.GetDirectoryName(fullPath)!, "." + KeyHash(key) + Extension);

    /// <summary>Whether <paramref name="name"/> is an in-folder part file's name (<see cref="InFolder"/>).</summary>
    public static bool IsInFolderName(string name)
    {
        if (name.Length != InFolderNameLength || name[0] != '.' || !name.EndsWith(Extension, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in name.AsSpan(1, 24))
        {
            if (!char.IsAsciiHexDigitLower(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Deletes <paramref name="fullPath"/> when it is an in-folder part file left longer than <see cref="LeftoverAge"/>
    /// (one whose path was not downloaded again, so nothing replaced it). A younger one may belong to a sync running now.
    /// </summary>
    public static void ClearIfLeftover(string fullPath, string name, long mtimeTicks, DateTime now)
    {
        if (!IsInFolderName(name) || now.Ticks - mtimeTicks < LeftoverAge.Ticks)
        {
            return;
        }

        try
        {
            File.Delete(fullPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not ours to fight over: the next scan tries again.
        }
    }

    private static string KeyHash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..24];
}
