using DropSync.Core.Errors;

namespace DropSync.Client.Sync;

/// <summary>
/// What a sync sees of a folder: every file and folder by key, ignore rules applied, symbolic links skipped. Used by the
/// sync engine and by <c>dropsync status</c>, so both see the same thing.
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
        foreach (var info in new DirectoryInfo(dir).EnumerateFileSystemInfos())
        {
            var rel = prefix.Length == 0 ? info.Name : prefix + "/" + info.Name;
            var isDir = info is DirectoryInfo;
            if (info.LinkTarget is not null || ignore.IsIgnored(rel, isDir))
            {
                continue;
            }

            string key;
            try
            {
                key = SyncEngine.KeyOf("/" + rel);
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
                    caseClash?.Invoke(rel, isDir);
                    continue;
                }
            }
            else
            {
                map[key] = info is FileInfo f ? new LocalItem(key, rel, false, f.Length, f.LastWriteTimeUtc.Ticks) : new LocalItem(key, rel, true, 0, 0);
            }

            if (isDir)
            {
                Walk(info.FullName, rel, ignore, map, skipped, caseClash);
            }
        }
    }
}
