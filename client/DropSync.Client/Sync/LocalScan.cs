using System.IO.Enumeration;
using DropSync.Core.Errors;

namespace DropSync.Client.Sync;

/// <summary>
/// What a sync sees of a folder: every file and folder by key, ignore rules applied, symbolic links skipped. Used by the
/// sync engine and by <c>dropsync status</c>, so both see the same thing. On the way it clears a small download's part
/// file that an interrupted run left a day ago or more (<see cref="PartFiles"/>).
/// </summary>
public static class LocalScan
{
    /// <param name="root">The sync folder.</param>
    /// <param name="ignore">Its ignore rules.</param>
    /// <param name="skipped">Told of a name the server cannot hold (it is left out).</param>
    /// <param name="caseClash">Told of a second name differing only by case from one already found (it is left out,
    /// and a folder's contents with it).</param>
    public static Dictionary<string, LocalItem> Scan(
        string root, IgnoreRules ignore, Action<string, DropSyncException>? skipped = null, Action<string, bool>? caseClash = null)
    {
        var map = new Dictionary<string, LocalItem>(StringComparer.Ordinal);
        Walk(root, "", ignore, map, skipped, caseClash);
        return map;
    }

    /// <summary>Adds everything below the folder <paramref name="dir"/> (whose path in the sync folder is <paramref name="prefix"/>) to <paramref name="map"/>.</summary>
    internal static void Walk(
        string dir, string prefix, IgnoreRules ignore, Dictionary<string, LocalItem> map, Action<string, DropSyncException>? skipped, Action<string, bool>? caseClash)
    {
        var prefixKey = prefix.Length == 0 ? "" : KeyOfRel(prefix);
        WalkBelow(dir, prefix, prefixKey, ignore, map, skipped, caseClash);
    }

    // What the enumeration gives of one entry, without a FileInfo, its full path or a readlink (a symbolic link is
    // told by its attributes): the stat the enumeration makes is the only one per file.
    private readonly record struct Entry(string Name, bool IsDir, bool IsLink, long Size, long Mtime);

    // As DirectoryInfo.EnumerateFileSystemInfos() enumerates (nothing skipped, an unreadable folder throws).
    private static readonly EnumerationOptions Options = new() { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false };

    private static void WalkBelow(
        string dir, string prefix, string prefixKey, IgnoreRules ignore, Dictionary<string, LocalItem> map, Action<string, DropSyncException>? skipped, Action<string, bool>? caseClash)
    {
        var entries = new FileSystemEnumerable<Entry>(dir, static (ref FileSystemEntry e) =>
        {
            var isDir = e.IsDirectory;
            var isLink = (e.Attributes & FileAttributes.ReparsePoint) != 0;
            return isDir || isLink
                ? new Entry(e.FileName.ToString(), isDir, isLink, 0, 0)
                : new Entry(e.FileName.ToString(), false, false, e.Length, e.LastWriteTimeUtc.UtcTicks);
        }, Options);
        foreach (var info in entries)
        {
            var rel = prefix.Length == 0 ? info.Name : prefix + "/" + info.Name;
            // The folders above were checked on the way down: only the entry's own name is matched here.
            if (info.IsLink || ignore.IsIgnoredBelowKeptFolders(rel, info.IsDir))
            {
                if (!info.IsDir && !info.IsLink)
                {
                    PartFiles.ClearIfLeftover(Path.Combine(dir, info.Name), info.Name, info.Mtime, DateTime.UtcNow);
                }

                continue;
            }

            string key;
            try
            {
                key = ChildKey(prefixKey, info.Name, rel);
            }
            catch (DropSyncException e)
            {
                skipped?.Invoke(rel, e);
                continue;
            }

            if (map.TryGetValue(key, out var seen))
            {
                // The same path seen twice (an incremental pass looked at it on its own first) is no clash.
                if (seen.Rel != rel)
                {
                    caseClash?.Invoke(rel, info.IsDir);
                    continue;
                }
            }
            else
            {
                map[key] = new LocalItem(key, rel, info.IsDir, info.Size, info.Mtime);
            }

            if (info.IsDir)
            {
                WalkBelow(Path.Combine(dir, info.Name), rel, key, ignore, map, skipped, caseClash);
            }
        }
    }

    /// <summary>The key of a path in the sync folder ('/'-separated, no leading '/').</summary>
    internal static string KeyOfRel(string rel) => SyncEngine.KeyOf("/" + rel);

    /// <summary>
    /// The key of <paramref name="name"/> inside the folder keyed <paramref name="parentKey"/> ("" for the top), without
    /// parsing the whole path again: a plain ASCII name is its own NFC form, and its key is its lower case. Anything else
    /// goes through <see cref="SyncEngine.KeyOf"/>, which also says why a name cannot be synced.
    /// </summary>
    internal static string ChildKey(string parentKey, string name, string rel)
    {
        // Keys keep the display's length (lower-casing is per UTF-16 unit): "/" + key is the path the server checks.
        var length = parentKey.Length + 1 + name.Length;
        if (length > Core.Paths.DropPath.MaxPathLength || name.Length > Core.Paths.DropPath.MaxNameBytes || name is "." or ".." || !IsPlainAscii(name))
        {
            return KeyOfRel(rel);
        }

        var lower = name.ToLowerInvariant();
        return parentKey.Length == 0 ? "/" + lower : parentKey + "/" + lower;
    }

    // Printable ASCII but the backslash: names DropPath takes as they are.
    private static bool IsPlainAscii(string name)
    {
        foreach (var c in name)
        {
            if (c is < ' ' or > '~' or '\\')
            {
                return false;
            }
        }

        return name.Length > 0;
    }
}
