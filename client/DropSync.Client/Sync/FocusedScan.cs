using DropSync.Client.Api;
using DropSync.Core.Errors;

namespace DropSync.Client.Sync;

/// <summary>What an incremental pass looks at: paths in the sync folder ('/'-separated) a watcher reported; a folder stands for everything below it.</summary>
internal sealed record LocalScope(IReadOnlyCollection<string> Paths);

/// <summary>
/// What an incremental pass reads of the folder: the paths the watcher reported and those the server's delta names
/// (each with the folders above it; a folder with everything below it), and which keys that covers. Everything
/// outside <see cref="Focus"/> is left out of the plan on all three sides, so it counts as unchanged, never as deleted.
/// </summary>
internal sealed class FocusedScan
{
    private readonly string _root;
    private readonly IgnoreRules _ignore;
    private readonly Action<string, DropSyncException>? _skipped;
    private readonly Action<string, bool>? _caseClash;
    private readonly HashSet<string> _looked = new(StringComparer.Ordinal);
    private readonly HashSet<string> _walked = new(StringComparer.Ordinal);

    // Keys whose whole subtree is known here: walked, or missing (nothing below it is left).
    private readonly HashSet<string> _roots = new(StringComparer.Ordinal);

    private FocusedScan(string root, IgnoreRules ignore, Action<string, DropSyncException>? skipped, Action<string, bool>? caseClash) =>
        (_root, _ignore, _skipped, _caseClash) = (root, ignore, skipped, caseClash);

    /// <summary>The files and folders read, by key (the reported ones, the folders above them, everything below reported folders).</summary>
    public Dictionary<string, LocalItem> Local { get; } = new(StringComparer.Ordinal);

    /// <summary>The keys the pass plans: all it read or found missing, and the index's and server's entries below those roots.</summary>
    public HashSet<string> Focus { get; } = new(StringComparer.Ordinal);

    /// <summary>Files and folders read from disk (stat'ed or enumerated).</summary>
    public int Scanned { get; private set; }

    /// <param name="reported">Paths in the sync folder the watcher reported.</param>
    /// <param name="remoteChanged">Keys the server's delta changed.</param>
    public static FocusedScan Run(
        string root, IgnoreRules ignore, IEnumerable<string> reported, IEnumerable<string> remoteChanged, LocalIndex index, IReadOnlyDictionary<string, RemoteEntry> remote, Action<string, DropSyncException>? skipped, Action<string, bool>? caseClash)
    {
        var scan = new FocusedScan(root, ignore, skipped, caseClash);
        // A server key is looked at under the name the index knows (the local spelling), else the server's.
        var rels = reported.Select(r => r.Trim('/')).Concat(remoteChanged.Select(k =>
            (index.Get(k) is { } i ? i.Path : remote.TryGetValue(k, out var r) ? r.Path : null)?.Trim('/')));
        // Shortest first: a folder is walked before anything below it is looked at, and that is then skipped.
        foreach (var rel in rels.OfType<string>().Where(r => r.Length > 0).Distinct(StringComparer.Ordinal).OrderBy(r => r.Length))
        {
            scan.Look(rel);
        }

        scan.Focus.UnionWith(scan.Local.Keys);
        scan.Focus.UnionWith(scan._roots);
        foreach (var key in scan._roots)
        {
            scan.Focus.UnionWith(index.KeysBelow(key));
            scan.Focus.UnionWith(remote is RemoteTree tree
                ? tree.KeysBelow(key)
                : remote.Keys.Where(k => k.StartsWith(key + "/", StringComparison.Ordinal)));
        }

        scan.Focus.UnionWith(SyncPlanner.AncestorKeys(scan.Focus));
        return scan;
    }

    /// <summary>Reads <paramref name="rel"/> with the folders above it, and everything below it if it is a folder.</summary>
    private void Look(string rel)
    {
        if (_walked.Any(w => rel.StartsWith(w + "/", StringComparison.Ordinal)))
        {
            return; // Read already with a folder above it.
        }

        var parts = rel.Split('/');
        var path = "";
        for (var i = 0; i < parts.Length; i++)
        {
            path = i == 0 ? parts[0] : path + "/" + parts[i];
            if (!Stat(path, subtree: i == parts.Length - 1))
            {
                return;
            }
        }
    }

    /// <summary>Reads one path; answers whether anything below it can exist (it is a folder that is there, not ignored).</summary>
    private bool Stat(string rel, bool subtree)
    {
        if (rel == LocalIndex.StateFolder || rel.StartsWith(LocalIndex.StateFolder + "/", StringComparison.Ordinal))
        {
            return false;
        }

        string key;
        try
        {
            key = SyncEngine.KeyOf("/" + rel);
        }
        catch (DropSyncException e)
        {
            if (subtree)
            {
                _skipped?.Invoke(rel, e);
            }

            return false;
        }

        var full = Path.Combine(_root, rel.Replace('/', Path.DirectorySeparatorChar));
        FileSystemInfo info = new DirectoryInfo(full);
        if (!info.Exists)
        {
            info = new FileInfo(full);
        }

        if (_looked.Add(rel))
        {
            Scanned++;
        }

        if (!info.Exists)
        {
            _roots.Add(key); // Gone, and everything below it with it.
            return false;
        }

        var isDir = info is DirectoryInfo;
        if (info.LinkTarget is not null || _ignore.IsIgnored(rel, isDir))
        {
            return false;
        }

        if (!Local.TryGetValue(key, out var seen))
        {
            Local[key] = info is FileInfo f ? new LocalItem(key, rel, false, f.Length, f.LastWriteTimeUtc.Ticks) : new LocalItem(key, rel, true, 0, 0);
        }
        else if (seen.Rel != rel)
        {
            _caseClash?.Invoke(rel, isDir);
            return false;
        }

        if (subtree)
        {
            _roots.Add(key);
            if (isDir && _walked.Add(rel))
            {
                var before = Local.Count;
                LocalScan.Walk(info.FullName, rel, _ignore, Local, _skipped, _caseClash);
                Scanned += Local.Count - before;
            }
        }

        return isDir;
    }
}
