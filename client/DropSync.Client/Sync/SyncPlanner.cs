using DropSync.Client.Api;
using DropSync.Core.Content;

namespace DropSync.Client.Sync;

/// <summary>What a sync pass plans from: the folder as scanned, the index, the server's tree, and which way it syncs.</summary>
/// <param name="Local">The scan, by key (files and folders).</param>
/// <param name="Index">What both sides were when they last agreed, by key.</param>
/// <param name="Remote">The server's tree, by key.</param>
/// <param name="LocalOnly">Files the server refused (read-only for this user), with the size and mtime refused: not sent again until they change.</param>
public sealed record PlannerInput(
    IReadOnlyDictionary<string, LocalItem> Local,
    IReadOnlyDictionary<string, IndexEntry> Index,
    IReadOnlyDictionary<string, RemoteEntry> Remote,
    IReadOnlyDictionary<string, (long Size, long Mtime)> LocalOnly,
    SyncDirection Direction = SyncDirection.Both);

/// <summary>
/// The sync's decisions, and only them: a three-way comparison of the folder, the server and the index into a
/// <see cref="SyncPlan"/>. No I/O, no index writes, the same plan for the same input (everything is visited in key
/// order). Nothing is resolved by discarding a side: conflicting edits are uploaded as updates of the old rev (the
/// server keeps both), an edit beats a delete, a local version the index does not know is set aside before a download.
/// </summary>
public static partial class SyncPlanner
{
    public static SyncPlan Plan(PlannerInput input) => new Planning(WithoutSettled(input)).Run();

    /// <summary>Plans every key of the input, settled or not: what <see cref="Plan"/> must always equal.</summary>
    internal static SyncPlan PlanEveryKey(PlannerInput input) => new Planning(input).Run();

    /// <summary>The server's tree as a sync sees it: without what the folder's ignore rules leave out.</summary>
    public static Dictionary<string, RemoteEntry> Visible(IReadOnlyDictionary<string, RemoteEntry> tree, IgnoreRules ignore) =>
        tree.Where(kv => !ignore.IsIgnored(kv.Value.Path, kv.Value.IsFolder)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

    internal static string ParentKey(string key) => key[..Math.Max(0, key.LastIndexOf('/'))];

    internal static HashSet<string> AncestorKeys(IEnumerable<string> keys)
    {
        var ancestors = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            for (var parent = ParentKey(key); parent.Length > 0 && ancestors.Add(parent); parent = ParentKey(parent))
            {
            }
        }

        return ancestors;
    }

    /// <summary>Whether <paramref name="path"/> is "/" + <paramref name="rel"/> (compared without building the string: the planner asks for every file).</summary>
    internal static bool IsPathOf(string rel, string path) => path.Length == rel.Length + 1 && path[0] == '/' && path.AsSpan(1).SequenceEqual(rel);

    internal static bool LocalChanged(LocalItem l, IndexEntry? i) => i is null || i.IsDir || l.Size != i.Size || l.Mtime != i.Mtime;

    /// <summary>
    /// Whether the server's revision is known to hold the bytes the index recorded. Content hashes compare only within a
    /// kind; a block-list hash (<c>b1:</c>) is also derived from the index's block list, which this device cut and
    /// verified, so an entry recorded with Dropbox's hash still matches a <c>b1:</c> revision of the same blocks. Anything
    /// unproven is "not the same": the safe path (download, compare) follows, never a conflict by itself.
    /// </summary>
    internal static bool SameContent(IndexEntry i, RemoteEntry r) =>
        i.ContentHash is not null && r.ContentHash is not null && i.Size == r.Size
        && (ContentHash.SameContent(i.ContentHash, r.ContentHash) ?? BlockListHashOf(i, r.ContentHash) == r.ContentHash);

    /// <summary>The index entry's block-list hash when <paramref name="wanted"/> is of that kind and the entry's blocks cover its size; else null.</summary>
    internal static string? BlockListHashOf(IndexEntry i, string? wanted)
    {
        if (ContentHash.KindOf(wanted) != ContentHashKind.BlockList || ContentHash.KindOf(i.ContentHash) == ContentHashKind.BlockList)
        {
            return null;
        }

        long covered = 0;
        foreach (var block in i.Blocks)
        {
            covered += block.Size;
        }

        return covered == i.Size ? ContentHash.OfBlockList(i.Blocks).ToString() : null;
    }

    /// <summary>The content hashes an index entry is known by: its recorded one, and the b1 value its blocks make when that is another.</summary>
    internal static IEnumerable<string> ContentKeys(IndexEntry i)
    {
        if (i.ContentHash is null)
        {
            yield break;
        }

        yield return i.ContentHash;
        if (BlockListHashOf(i, ContentHash.BlockListPrefix) is { } derived)
        {
            yield return derived;
        }
    }

    private sealed partial class Planning(PlannerInput input)
    {
        private readonly SyncPlan _plan = new();
        private readonly HashSet<string> _handled = new(StringComparer.Ordinal);

        // Every path in folder trees deleted here as one: the folder pass leaves them alone.
        private readonly HashSet<string> _inDeletedTrees = new(StringComparer.Ordinal);
        private readonly HashSet<string> _indexedFolderAncestors = AncestorKeys(input.Index.Keys);
        private readonly SortedByKey<LocalItem> _localFiles = new(input.Local.Values.Where(l => !l.IsDir).Select(l => KeyValuePair.Create(l.Key, l)));
        private readonly SortedByKey<RemoteEntry> _remoteFiles = new(input.Remote.Where(kv => kv.Value.IsFile));
        private readonly SortedByKey<IndexEntry> _indexFiles = new(input.Index.Values.Where(i => !i.IsDir).Select(i => KeyValuePair.Create(i.Key, i)));

        private bool Up => input.Direction != SyncDirection.Pull;
        private bool Down => input.Direction != SyncDirection.Push;

        public SyncPlan Run()
        {
            if (Up)
            {
                LocalFolderMoves();
                LocalMoves();
                DeletedLocalTrees();
            }

            if (Down)
            {
                RemoteFolderMoves();
                RemoteMoves();
            }

            var union = new HashSet<string>(_localFiles.Keys, StringComparer.Ordinal);
            union.UnionWith(_indexFiles.Keys);
            union.UnionWith(_remoteFiles.Keys);
            string[] keys = [.. union];
            Array.Sort(keys, StringComparer.Ordinal);
            foreach (var key in keys.Where(k => !_handled.Contains(k)))
            {
                File(key, _localFiles.GetValueOrDefault(key), _indexFiles.GetValueOrDefault(key), _remoteFiles.GetValueOrDefault(key));
            }

            Folders();
            Sort(_plan.Uploads, u => u.Item.Size, u => u.Item.Key);
            Sort(_plan.Downloads, d => d.Remote.Size ?? 0, d => SyncEngine.KeyOf(d.Remote.Path));
            return _plan;
        }

        private static void Sort<T>(List<T> list, Func<T, long> size, Func<T, string> key)
        {
            var sorted = list.OrderByDescending(size).ThenBy(key, StringComparer.Ordinal).ToList();
            list.Clear();
            list.AddRange(sorted);
        }

        private bool IsLocalOnly(LocalItem l) => input.LocalOnly.TryGetValue(l.Key, out var refused) && refused == (l.Size, l.Mtime);

        private void Upload(LocalItem item, string mode, string? rev, string why, RemoteEntry? over = null)
        {
            // A file the server refused (read-only for this user) is not sent again until it changes.
            if (!IsLocalOnly(item))
            {
                _plan.Uploads.Add(new UploadAction(item, mode, rev, why, over));
            }
        }

        /// <summary>
        /// Whether a folder was in sync before: the index has it, or something below it (indexes written before folders
        /// were recorded with their files). Only then is a folder missing on one side a delete rather than new on the other.
        /// </summary>
        private bool WasSynced(string folderKey) =>
            (input.Index.TryGetValue(folderKey, out var i) && i.IsDir) || _indexedFolderAncestors.Contains(folderKey);

        /// <summary>
        /// Local moves and renames: a new local file with the size and mtime of a vanished one, whose server copy is
        /// unchanged. Only a pair that size and mtime single out is a move: files written together can share an mtime (the
        /// file system's clock ticks every few ms), and two renamed at once must not be paired crosswise, which would put
        /// one's bytes on the server under the other's name while both devices' indexes called them in sync. Without a
        /// single match they go up as new files and the old names are deleted: their blocks are on the server already.
        /// </summary>
        private void LocalMoves()
        {
            var gone = _indexFiles.Values
                .Where(i => !_handled.Contains(i.Key) && !_localFiles.ContainsKey(i.Key) && i.Size > 0 && _remoteFiles.TryGetValue(i.Key, out var r) && Unedited(i, r))
                .ToLookup(i => (i.Size, i.Mtime));
            var arrived = _localFiles.Values
                .Where(l => !_handled.Contains(l.Key) && !_indexFiles.ContainsKey(l.Key) && !_remoteFiles.ContainsKey(l.Key) && !IsLocalOnly(l))
                .ToLookup(l => (l.Size, l.Mtime));
            foreach (var candidates in arrived)
            {
                var vanished = gone[candidates.Key];
                if (candidates.Count() == 1 && vanished.Count() == 1)
                {
                    var (from, l) = (vanished.First(), candidates.First());
                    _plan.MovesRemote.Add(new MoveRemoteAction(from, l));
                    _handled.Add(from.Key);
                    _handled.Add(l.Key);
                }
            }

            // Case-only renames: the same key, the same content, a different spelling.
            foreach (var l in _localFiles.Values)
            {
                if (!_handled.Contains(l.Key) && _indexFiles.TryGetValue(l.Key, out var i) && !LocalChanged(l, i) && !IsPathOf(l.Rel, i.Path)
                    && _remoteFiles.TryGetValue(l.Key, out var r) && r.Rev == i.Rev && r.Path == i.Path
                    && !Path.GetFileName(l.Rel.AsSpan()).SequenceEqual(Path.GetFileName(i.Path.AsSpan())))
                {
                    _plan.MovesRemote.Add(new MoveRemoteAction(i, l));
                    _handled.Add(l.Key);
                }
            }
        }

        /// <summary>
        /// Folders deleted here: one delete of the topmost folder, if nothing below it changed on the server since the
        /// last sync. Otherwise an edit there beats the delete: files are deleted one by one and the edited ones come back.
        /// </summary>
        private void DeletedLocalTrees()
        {
            var gone = input.Remote.Where(kv => kv.Value.IsFolder).Select(kv => kv.Key)
                .Where(k => !_handled.Contains(k) && !input.Local.ContainsKey(k) && WasSynced(k))
                .ToHashSet(StringComparer.Ordinal);
            foreach (var key in gone.Where(k => !gone.Contains(ParentKey(k))).OrderBy(k => k, StringComparer.Ordinal))
            {
                var prefix = key + "/";
                var below = input.Remote.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
                var unchanged = below.All(kv => kv.Value.IsFolder
                    ? WasSynced(kv.Key)
                    : _indexFiles.TryGetValue(kv.Key, out var i) && i.Rev == kv.Value.Rev);
                if (!unchanged)
                {
                    continue;
                }

                _plan.DeleteRemoteTrees.Add(new DeleteRemoteTreeAction(input.Remote[key], below.Count(kv => kv.Value.IsFile && !_handled.Contains(kv.Key))));
                _inDeletedTrees.Add(key);
                _inDeletedTrees.UnionWith(below.Select(kv => kv.Key));
                _inDeletedTrees.UnionWith(input.Index.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)));
                _handled.UnionWith(_inDeletedTrees);
            }
        }

        /// <summary>
        /// Server moves: a new server file with the content of one that vanished from the server, still unchanged here.
        /// Matched by the index's hash, or by the b1 value its blocks make (an entry recorded with Dropbox's hash).
        /// </summary>
        private void RemoteMoves()
        {
            var gone = _indexFiles.Values
                .Where(i => !_handled.Contains(i.Key) && !_remoteFiles.ContainsKey(i.Key) && i.ContentHash is not null && i.Size > 0
                    && _localFiles.TryGetValue(i.Key, out var l) && !LocalChanged(l, i))
                .SelectMany(i => ContentKeys(i).Select(hash => (Hash: hash, Entry: i)))
                .ToLookup(x => (x.Hash, x.Entry.Size), x => x.Entry);
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (key, r) in _remoteFiles)
            {
                if (_handled.Contains(key) || _indexFiles.ContainsKey(key) || input.Local.ContainsKey(key))
                {
                    continue;
                }

                var from = gone[(r.ContentHash ?? "", r.Size ?? -1)].FirstOrDefault(g => !used.Contains(g.Key));
                if (from is not null)
                {
                    used.Add(from.Key);
                    _plan.MovesLocal.Add(new MoveLocalAction(from, r));
                    _handled.Add(from.Key);
                    _handled.Add(key);
                }
            }
        }
    }
}
