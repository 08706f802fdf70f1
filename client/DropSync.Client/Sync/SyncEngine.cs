using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DropSync.Client.Api;
using DropSync.Client.Chunking;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Files;
using DropSync.Core.Paths;

namespace DropSync.Client.Sync;

/// <summary>A file or folder found in the sync folder: its path relative to the folder ('/'-separated, as on disk).</summary>
public sealed record LocalItem(string Key, string Rel, bool IsDir, long Size, long Mtime);

/// <summary>
/// Two-way sync of one local folder with the account's root: a three-way comparison of the folder (scanned), the
/// server (<see cref="IRemoteChangeSource"/>) and the index (what both were when they last agreed). Nothing is ever
/// resolved by discarding a side: conflicting edits become conflicted copies, an edit beats a delete, a clash of names
/// or kinds renames the local item.
/// </summary>
public sealed class SyncEngine(DropSyncApi api, string root, IRemoteChangeSource remote, string deviceName)
{
    public string Root { get; } = Path.GetFullPath(root);

    private DropSyncApi Api { get; } = api;
    private IRemoteChangeSource Remote { get; } = remote;
    private string DeviceName { get; } = deviceName;

    public static string KeyOf(string remotePath) => DropPath.Parse(remotePath, allowRoot: false).Key;

    /// <summary>
    /// Makes sure the sync folder exists. A missing folder is never created silently: a mistyped path would fill a new
    /// folder with the whole account, and a folder synced before that is missing is usually a drive that is not mounted
    /// (syncing into a fresh one there would download everything, or worse). Only an explicit
    /// <see cref="SyncOptions.CreateFolder"/> or <see cref="SyncOptions.Force"/> creates it.
    /// </summary>
    public void PrepareFolder(SyncOptions options)
    {
        if (Directory.Exists(Root))
        {
            return;
        }

        if (!options.CreateFolder && !options.Force)
        {
            throw new SyncSafetyException(
                $"The sync folder {Root} does not exist. If it was synced before and is on a drive that is not mounted, mount it and try again. " +
                $"To start syncing a new folder, create it first (mkdir \"{Root}\"), or run with --force to create it.");
        }

        Directory.CreateDirectory(Root);
    }

    public Task<SyncReport> SyncAsync(SyncOptions options, CancellationToken ct = default) => SyncAsync(options, null, ct);

    /// <param name="deletions">Deletions earlier syncs made recently (a watcher's passes): the mass-deletion net counts them too.</param>
    internal async Task<SyncReport> SyncAsync(SyncOptions options, DeletionWindow? deletions, CancellationToken ct)
    {
        PrepareFolder(options);
        var report = new SyncReport();
        using var index = LocalIndex.Open(Root);
        // A second pass uploads local versions that this pass set aside as conflicted copies.
        for (var pass = 0; pass < 2; pass++)
        {
            var run = new Run(this, index, options, report, deletions);
            var again = await run.ExecuteAsync(ct);
            index.Flush();
            if (!again || options.Direction == SyncDirection.Pull)
            {
                break;
            }
        }

        return report;
    }

    private sealed class Run(SyncEngine engine, LocalIndex index, SyncOptions o, SyncReport report, DeletionWindow? window)
    {
        private readonly DropSyncApi _api = engine.Api;
        private readonly string _root = engine.Root;
        private IgnoreRules _ignore = null!;
        private Dictionary<string, LocalItem> _local = null!;
        private Dictionary<string, IndexEntry> _idx = null!;
        private IReadOnlyDictionary<string, RemoteEntry> _remote = null!;
        private Dictionary<string, (string Rel, long Offset, int Size)>? _localBlocks;
        private readonly Lock _blocksLock = new();
        private readonly SemaphoreSlim _batchGate = new(Math.Max(1, o.BatchParallelism));

        // What the server takes and answers (GET /config): uploads and downloads stay within its limits.
        private ServerConfig _server = null!;
        private long _progressDone, _progressTotal;
        private Dictionary<string, (long Size, long Mtime)> _localOnly = null!;
        private HashSet<string> _indexedFolderAncestors = null!;
        private readonly Lock _foldersLock = new();
        private readonly HashSet<string> _foldersSeen = new(StringComparer.Ordinal);
        private readonly HashSet<string> _foldersMadeHere = new(StringComparer.Ordinal);

        // Local names the scan found a second spelling of (differing only by case), left out of _local until renamed apart.
        private readonly List<(string Rel, bool IsDir)> _caseClashes = [];

        // Set when this pass renamed local files aside or forgot index entries to fetch again: a second pass finishes the job.
        private bool _again;

        private bool Up => o.Direction != SyncDirection.Pull;
        private bool Down => o.Direction != SyncDirection.Push;

        public async Task<bool> ExecuteAsync(CancellationToken ct)
        {
            _server = await _api.GetConfigAsync(ct);
            _ignore = IgnoreRules.Load(_root);
            _idx = index.LoadAll();
            _localOnly = index.LoadLocalOnly();
            _indexedFolderAncestors = AncestorKeys(_idx.Keys);
            _local = Scan();
            foreach (var gone in _localOnly.Keys.Where(k => !_local.ContainsKey(k)).ToList())
            {
                index.RemoveLocalOnly(gone);
                _localOnly.Remove(gone);
            }

            var indexedFiles = _idx.Values.Count(e => !e.IsDir);
            if (!o.Force && indexedFiles > 0 && !_local.Values.Any(l => !l.IsDir))
            {
                throw new SyncSafetyException(
                    $"The sync folder {_root} is empty, but {indexedFiles} files were synced from it before. If it is on a drive that is " +
                    "not mounted, mount it and try again. If you deleted everything on purpose, run again with --force to delete them on the server too.");
            }

            var snapshot = await engine.Remote.GetSnapshotAsync(index, ct);
            _remote = snapshot.Where(kv => !_ignore.IsIgnored(kv.Value.Path, kv.Value.IsFolder)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

            if (await ResolveFolderCaseRenamesAsync(ct) | ResolveCaseClashes() | ResolveKindClashes())
            {
                _local = Scan();
            }

            var plan = Plan();
            var onServer = plan.DeleteRemote.Count + plan.DeleteRemoteFolders.Sum(f => f.Files);
            var deletions = plan.DeleteLocal.Count + onServer;
            // A watcher's earlier passes count too: judged one by one, an emptying folder never deleted "more than half".
            var (earlier, baseline) = window?.Recent(indexedFiles) ?? (0, indexedFiles);
            if (!o.Force && deletions > 0 && baseline >= o.MassDeleteMinimumFiles && earlier + deletions > o.MaxDeleteFraction * baseline)
            {
                var recently = earlier == 0
                    ? ""
                    : $" Together with the {earlier} files deleted by the syncs of the last {window!.Length.TotalMinutes:0.#} minutes, that is " +
                      $"{earlier + deletions} of the {baseline} files synced then.";
                throw new SyncSafetyException(
                    $"This sync would delete {deletions} of the {indexedFiles} synced files ({onServer} on the server, " +
                    $"{plan.DeleteLocal.Count} in {_root}).{recently} This sync deleted nothing. If that is what you meant, run again with --force. If a drive is not mounted or " +
                    "files were moved away by mistake, put them back first; deleted files can also be restored with `dropsync restore`.");
            }

            var deletedBefore = report.DeletedLocal + report.DeletedRemote;

            foreach (var rename in plan.LocalRenames)
            {
                RenameLocalForRemoteCase(rename.Item, rename.Remote);
            }

            foreach (var move in plan.Moves)
            {
                await MoveRemoteAsync(move.From, move.To, plan, ct);
            }

            foreach (var move in plan.RemoteMoves)
            {
                MoveLocal(move.From, move.To);
            }

            _progressTotal = plan.Uploads.Sum(u => u.Item.Size) + plan.Downloads.Sum(d => d.Remote.Size ?? 0);
            Report(null);
            // Small files go up many to a request; the rest (and everything when batching is off) one by one.
            var batched = o.BatchUploads ? plan.Uploads.Where(u => FitsABatch(u.Item.Rel, u.Item.Size)).ToList() : [];
            var single = o.BatchUploads ? plan.Uploads.Where(u => !FitsABatch(u.Item.Rel, u.Item.Size)).ToList() : plan.Uploads;
            // Each action with what it is about, so an error names it.
            var actions = new List<(string What, Func<CancellationToken, Task> Run)>();
            actions.AddRange(single.Select(u => (u.Item.Rel, (Func<CancellationToken, Task>)(c => UploadAsync(u.Item, u.Mode, u.Rev, c)))));
            actions.AddRange(Batches(batched).Select(b => ("a batch of uploads", (Func<CancellationToken, Task>)(c => UploadBatchAsync(b, c)))));
            actions.AddRange(plan.Downloads.Select(d => (d.Remote.Path.TrimStart('/'), (Func<CancellationToken, Task>)(c => DownloadAsync(d.Remote, d.Prior, c)))));
            actions.AddRange(plan.DeleteRemoteFolders.Select(f => (f.Folder.Path.TrimStart('/'), (Func<CancellationToken, Task>)(c => DeleteRemoteFolderAsync(f.Folder, f.Files, c)))));
            actions.AddRange(plan.DeleteRemote.Select(d => (d.Path.TrimStart('/'), (Func<CancellationToken, Task>)(c => DeleteRemoteAsync(d, c)))));
            actions.AddRange(plan.DeleteLocal.Select(d => (d.Path.TrimStart('/'), (Func<CancellationToken, Task>)(_ => DeleteLocal(d)))));
            // Largest first, so one big file does not start last and leave the other workers idle.
            await Parallel.ForEachAsync(actions, new ParallelOptions { MaxDegreeOfParallelism = o.Parallelism, CancellationToken = ct }, async (action, c) =>
            {
                try
                {
                    await action.Run(c);
                }
                catch (DropSyncApiException e) when (e.Status == HttpStatusCode.Unauthorized)
                {
                    throw;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    RecordError(action.What, e);
                }
            });

            await SyncFoldersAsync(plan, ct);
            window?.Record(indexedFiles, report.DeletedLocal + report.DeletedRemote - deletedBefore);
            return _again;
        }

        private void Report(string? path) => o.Progress?.Report(new TransferProgress(Interlocked.Read(ref _progressDone), _progressTotal, path));

        private void Advance(long bytes, string? path)
        {
            Interlocked.Add(ref _progressDone, bytes);
            Report(path);
        }

        // ---------------------------------------------------------------- scanning

        private Dictionary<string, LocalItem> Scan()
        {
            _caseClashes.Clear();

            // Two local names that differ only by case are one name on the server. Renamed apart once the server's tree
            // is known (a "(case conflict)" name must not take a name the server has), then scanned again.
            return LocalScan.Scan(
                _root, _ignore, (rel, e) => o.Log?.Invoke($"skipped {rel}: {e.Message}"), (rel, isDir) => _caseClashes.Add((rel, isDir)));
        }

        private string Full(string rel) => Path.Combine(_root, rel.Replace('/', Path.DirectorySeparatorChar));

        /// <summary>Renames a local item out of the way ("name (label).ext", unique); answers its new relative path.</summary>
        private string SetAside(string rel, bool isDir, string label)
        {
            var slash = rel.LastIndexOf('/');
            var (parent, name) = slash < 0 ? ("", rel) : (rel[..(slash + 1)], rel[(slash + 1)..]);
            var dot = isDir ? -1 : name.LastIndexOf('.');
            var (stem, ext) = dot > 0 ? (name[..dot], name[dot..]) : (name, "");
            for (var i = 0; ; i++)
            {
                var candidate = parent + stem + (i == 0 ? $" ({label})" : $" ({label} {i})") + ext;
                if (!File.Exists(Full(candidate)) && !Directory.Exists(Full(candidate)) && !_remote.ContainsKey(KeyOf("/" + candidate)))
                {
                    if (isDir)
                    {
                        Directory.Move(Full(rel), Full(candidate));
                    }
                    else
                    {
                        File.Move(Full(rel), Full(candidate));
                    }

                    _again = true;
                    return candidate;
                }
            }
        }

        /// <summary>A conflicted-copy name for a local version that must not be overwritten, as the server would name it.</summary>
        private string SetAsideAsConflictedCopy(string rel)
        {
            var slash = rel.LastIndexOf('/');
            var parent = slash < 0 ? "" : rel[..(slash + 1)];
            var name = slash < 0 ? rel : rel[(slash + 1)..];
            foreach (var candidateName in ConflictNames.Candidates(name, engine.DeviceName, DateTimeOffset.UtcNow).Take(1000))
            {
                var candidate = parent + candidateName;
                if (!File.Exists(Full(candidate)) && !Directory.Exists(Full(candidate)) && !_remote.ContainsKey(KeyOf("/" + candidate)))
                {
                    File.Move(Full(rel), Full(candidate));
                    _again = true;
                    return candidate;
                }
            }

            throw new IOException($"Too many conflicted copies of {rel}; clean some up and sync again.");
        }

        /// <summary>
        /// A folder renamed only in case (wdmoved → WDMoved) keeps its key, so the file-by-file comparison sees nothing to
        /// do. Its name is compared with the name it was synced under (the index): renamed here, it is moved on the
        /// server; renamed on the server, it is renamed here (through a temporary name, for case-insensitive file
        /// systems). Renamed on both sides differently, or not known to the index, it is left as it is. Outermost first, so
        /// a folder's parent already has its final name.
        /// </summary>
        private async Task<bool> ResolveFolderCaseRenamesAsync(CancellationToken ct)
        {
            var rescan = false;
            foreach (var l in _local.Values.Where(l => l.IsDir).OrderBy(l => l.Key.Length).ToList())
            {
                if (!_remote.TryGetValue(l.Key, out var r) || !r.IsFolder || IndexedName(l.Key) is not { } synced)
                {
                    continue;
                }

                var local = NameOf(l.Rel);
                var remote = NameOf(r.Path);
                if (local == remote)
                {
                    continue;
                }

                if (Up && remote == synced)
                {
                    var to = r.Path[..(r.Path.LastIndexOf('/') + 1)] + local;
                    try
                    {
                        await _api.MoveAsync(r.Path, to, ct);
                    }
                    catch (DropSyncApiException e) when (e.Status is HttpStatusCode.Conflict or HttpStatusCode.NotFound || e.Code == NoWritePermission)
                    {
                        o.Log?.Invoke($"could not rename {r.Path} to {to} on the server ({e.ServerMessage})");
                        continue;
                    }

                    var tree = _remote.ToDictionary(kv => kv.Key, kv => kv.Value with { Path = Repath(kv.Value.Path, r.Path, to) }, StringComparer.Ordinal);
                    _remote = tree;
                    RepathIndex(l.Key, to);
                    report.FileMoved();
                }
                else if (Down && local == synced)
                {
                    var target = l.Rel[..(l.Rel.LastIndexOf('/') + 1)] + remote;
                    var temp = l.Rel + ".dropsync-rename";
                    Directory.Move(Full(l.Rel), Full(temp));
                    Directory.Move(Full(temp), Full(target));
                    RepathIndex(l.Key, r.Path);
                    report.FileMoved();
                    rescan = true;
                }
            }

            if (rescan)
            {
                _local = Scan();
            }

            return false;
        }

        private static string NameOf(string path) => path[(path.LastIndexOf('/') + 1)..];

        private static string Repath(string path, string from, string to) =>
            path == from ? to : path.StartsWith(from + "/", StringComparison.Ordinal) ? to + path[from.Length..] : path;

        /// <summary>The name a folder was last synced under: its index entry's, or (indexes older than folder entries) a path below it.</summary>
        private string? IndexedName(string key)
        {
            if (_idx.TryGetValue(key, out var i))
            {
                return i.IsDir ? NameOf(i.Path) : null;
            }

            var prefix = key + "/";
            var depth = key.Count(ch => ch == '/');
            return _idx.Values.FirstOrDefault(e => e.Key.StartsWith(prefix, StringComparison.Ordinal)) is { } below
                ? below.Path.TrimStart('/').Split('/')[depth]
                : null;
        }

        /// <summary>Index entries of a renamed folder and everything below it take its new server path.</summary>
        private void RepathIndex(string key, string newPath)
        {
            var prefix = key + "/";
            foreach (var e in _idx.Values.Where(e => e.Key == key || e.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList())
            {
                var depth = key.Count(ch => ch == '/') + 1;
                var rest = string.Join('/', e.Path.TrimStart('/').Split('/').Skip(depth));
                var moved = e with { Path = rest.Length == 0 ? newPath : newPath + "/" + rest };
                _idx[e.Key] = moved;
                index.Put(moved);
            }
        }

        /// <summary>
        /// Two local names that differ only by case: one is renamed "(case conflict)" and both are kept. The one renamed is
        /// the one that is not the synced name (server or index), so an existing file keeps its name and the newcomer moves.
        /// </summary>
        private bool ResolveCaseClashes()
        {
            var clashes = _caseClashes.ToList();
            foreach (var (rel, isDir) in clashes)
            {
                var key = KeyOf("/" + rel);
                var known = _remote.TryGetValue(key, out var r) ? r.Path : _idx.TryGetValue(key, out var i) ? i.Path : null;
                var aside = _local.TryGetValue(key, out var first) && known == "/" + rel && known != "/" + first.Rel ? (first.Rel, first.IsDir) : (rel, isDir);
                if (!Path.Exists(Full(aside.Item1)))
                {
                    continue;
                }

                var renamed = SetAside(aside.Item1, aside.Item2, "case conflict");
                o.Log?.Invoke($"{aside.Item1} differs from another name only by case; renamed it to {renamed}");
                report.Conflict($"{aside.Item1}: renamed to {renamed} (another {(aside.Item2 ? "folder" : "file")} has the same name in different case)");
            }

            return clashes.Count > 0;
        }

        /// <summary>A file on one side and a folder of the same name on the other: the local one is renamed, and both are kept.</summary>
        private bool ResolveKindClashes()
        {
            var any = false;
            foreach (var (key, item) in _local.OrderByDescending(kv => kv.Value.Rel.Length).ToList())
            {
                if (_remote.TryGetValue(key, out var r) && r.IsFolder != item.IsDir)
                {
                    var renamed = SetAside(item.Rel, item.IsDir, item.IsDir ? "folder conflict" : "file conflict");
                    o.Log?.Invoke($"{item.Rel} is a {(item.IsDir ? "folder" : "file")} here but a {(r.IsFolder ? "folder" : "file")} on the server; renamed the local one to {renamed}");
                    report.Conflict($"{item.Rel}: renamed to {renamed} (the server has a {(r.IsFolder ? "folder" : "file")} of that name)");
                    any = true;
                }
            }

            return any;
        }

        /// <summary>Where a server path lives locally: below existing local folders matched by key, whatever their case.</summary>
        private string LocalRelFor(string remotePath)
        {
            var parts = remotePath.Trim('/').Split('/');
            var rel = "";
            for (var i = 0; i < parts.Length; i++)
            {
                var candidate = rel.Length == 0 ? parts[i] : rel + "/" + parts[i];
                if (i < parts.Length - 1 && _local.TryGetValue(KeyOf("/" + candidate), out var dir) && dir.IsDir)
                {
                    candidate = dir.Rel;
                }

                rel = candidate;
            }

            return rel;
        }

        // ---------------------------------------------------------------- planning

        private sealed class SyncPlan
        {
            public List<(LocalItem Item, string Mode, string? Rev)> Uploads { get; } = [];
            public List<(RemoteEntry Remote, IndexEntry? Prior)> Downloads { get; } = [];
            public List<IndexEntry> DeleteLocal { get; } = [];
            public List<RemoteEntry> DeleteRemote { get; } = [];
            public List<(IndexEntry From, LocalItem To)> Moves { get; } = [];
            public List<(IndexEntry From, RemoteEntry To)> RemoteMoves { get; } = [];
            public List<(LocalItem Item, RemoteEntry Remote)> LocalRenames { get; } = [];

            /// <summary>Folders deleted here, each the topmost of its deleted tree, with how many files go with it.</summary>
            public List<(RemoteEntry Folder, int Files)> DeleteRemoteFolders { get; } = [];

            /// <summary>Every path in those trees: the folder pass leaves them alone.</summary>
            public HashSet<string> InDeletedFolders { get; } = new(StringComparer.Ordinal);

            public void Upload(LocalItem item, string mode, string? rev, Run run)
            {
                // A file the server refused (read-only for this user) is not sent again until it changes.
                if (!run.IsLocalOnly(item))
                {
                    Uploads.Add((item, mode, rev));
                }
            }
        }

        private bool IsLocalOnly(LocalItem l) => _localOnly.TryGetValue(l.Key, out var refused) && refused == (l.Size, l.Mtime);

        private static string ParentKey(string key) => key[..Math.Max(0, key.LastIndexOf('/'))];

        private static HashSet<string> AncestorKeys(IEnumerable<string> keys)
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

        /// <summary>
        /// Whether a folder was in sync before: the index has it, or something below it (indexes written before folders
        /// were recorded with their files). Only then is a folder missing on one side a delete rather than new on the other.
        /// </summary>
        private bool WasSynced(string folderKey) =>
            (_idx.TryGetValue(folderKey, out var i) && i.IsDir) || _indexedFolderAncestors.Contains(folderKey);

        private bool LocalChanged(LocalItem l, IndexEntry? i) => i is null || i.IsDir || l.Size != i.Size || l.Mtime != i.Mtime;

        private static bool SameContent(IndexEntry i, RemoteEntry r) => i.ContentHash is not null && i.ContentHash == r.ContentHash && i.Size == r.Size;

        private SyncPlan Plan()
        {
            var plan = new SyncPlan();
            var handled = new HashSet<string>(StringComparer.Ordinal);
            var localFiles = _local.Values.Where(l => !l.IsDir).ToDictionary(l => l.Key, StringComparer.Ordinal);
            var remoteFiles = _remote.Values.Where(r => r.IsFile).ToDictionary(r => KeyOf(r.Path), StringComparer.Ordinal);
            var indexFiles = _idx.Values.Where(i => !i.IsDir).ToDictionary(i => i.Key, StringComparer.Ordinal);

            // Local moves and renames: a new local file with the size and mtime of a vanished one, whose server copy is unchanged.
            if (Up)
            {
                var gone = indexFiles.Values
                    .Where(i => !localFiles.ContainsKey(i.Key) && i.Size > 0 && remoteFiles.TryGetValue(i.Key, out var r) && r.Rev == i.Rev)
                    .ToLookup(i => (i.Size, i.Mtime));
                var used = new HashSet<string>(StringComparer.Ordinal);
                foreach (var l in localFiles.Values.Where(l => !indexFiles.ContainsKey(l.Key) && !remoteFiles.ContainsKey(l.Key) && !IsLocalOnly(l)))
                {
                    var from = gone[(l.Size, l.Mtime)].FirstOrDefault(g => !used.Contains(g.Key));
                    if (from is not null)
                    {
                        used.Add(from.Key);
                        plan.Moves.Add((from, l));
                        handled.Add(from.Key);
                        handled.Add(l.Key);
                    }
                }

                // Case-only renames: the same key, the same content, a different spelling.
                foreach (var l in localFiles.Values)
                {
                    if (!handled.Contains(l.Key) && indexFiles.TryGetValue(l.Key, out var i) && !LocalChanged(l, i) && "/" + l.Rel != i.Path
                        && remoteFiles.TryGetValue(l.Key, out var r) && r.Rev == i.Rev && r.Path == i.Path
                        && Path.GetFileName(l.Rel) != Path.GetFileName(i.Path))
                    {
                        plan.Moves.Add((i, l));
                        handled.Add(l.Key);
                    }
                }
            }

            // Folders deleted here: one delete of the topmost folder, if nothing below it changed on the server since the
            // last sync. Otherwise an edit there beats the delete: files are deleted one by one and the edited ones come back.
            if (Up)
            {
                var gone = _remote.Values.Where(r => r.IsFolder).Select(r => KeyOf(r.Path))
                    .Where(k => !_local.ContainsKey(k) && WasSynced(k))
                    .ToHashSet(StringComparer.Ordinal);
                foreach (var key in gone.Where(k => !gone.Contains(ParentKey(k))).OrderBy(k => k, StringComparer.Ordinal))
                {
                    var prefix = key + "/";
                    var below = _remote.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
                    var unchanged = below.All(kv => kv.Value.IsFolder
                        ? WasSynced(kv.Key)
                        : indexFiles.TryGetValue(kv.Key, out var i) && i.Rev == kv.Value.Rev);
                    if (!unchanged)
                    {
                        continue;
                    }

                    plan.DeleteRemoteFolders.Add((_remote[key], below.Count(kv => kv.Value.IsFile && !handled.Contains(kv.Key))));
                    plan.InDeletedFolders.Add(key);
                    plan.InDeletedFolders.UnionWith(below.Select(kv => kv.Key));
                    plan.InDeletedFolders.UnionWith(_idx.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)));
                    handled.UnionWith(plan.InDeletedFolders);
                }
            }

            // Server moves: a new server file with the content of one that vanished from the server, still unchanged here.
            if (Down)
            {
                var gone = indexFiles.Values
                    .Where(i => !handled.Contains(i.Key) && !remoteFiles.ContainsKey(i.Key) && i.ContentHash is not null && i.Size > 0
                        && localFiles.TryGetValue(i.Key, out var l) && !LocalChanged(l, i))
                    .ToLookup(i => (i.ContentHash, i.Size));
                var used = new HashSet<string>(StringComparer.Ordinal);
                foreach (var (key, r) in remoteFiles)
                {
                    if (handled.Contains(key) || indexFiles.ContainsKey(key) || _local.ContainsKey(key))
                    {
                        continue;
                    }

                    var from = gone[(r.ContentHash, r.Size ?? -1)].FirstOrDefault(g => !used.Contains(g.Key));
                    if (from is not null)
                    {
                        used.Add(from.Key);
                        plan.RemoteMoves.Add((from, r));
                        handled.Add(from.Key);
                        handled.Add(key);
                    }
                }
            }

            var keys = new HashSet<string>(localFiles.Keys, StringComparer.Ordinal);
            keys.UnionWith(indexFiles.Keys);
            keys.UnionWith(remoteFiles.Keys);
            foreach (var key in keys)
            {
                if (handled.Contains(key))
                {
                    continue;
                }

                localFiles.TryGetValue(key, out var l);
                indexFiles.TryGetValue(key, out var i);
                remoteFiles.TryGetValue(key, out var r);
                switch (l, i, r)
                {
                    case (not null, null, null):
                        if (Up)
                        {
                            plan.Upload(l, "add", null, this);
                        }

                        break;
                    case (not null, null, not null):
                        // New on both sides: upload in add mode; identical content is a no-op, different content a conflict.
                        if (Up)
                        {
                            plan.Upload(l, "add", null, this);
                        }
                        else
                        {
                            plan.Downloads.Add((r, null));
                        }

                        break;
                    case (not null, not null, not null):
                        {
                            var lc = LocalChanged(l, i);
                            var rc = r.Rev != i.Rev;
                            var renamedThere = !lc && Path.GetFileName(l.Rel) != r.Name;
                            if (renamedThere && Down)
                            {
                                plan.LocalRenames.Add((l, r));
                            }

                            if (lc && Up)
                            {
                                // If the server changed too, this answers a conflict and the server keeps ours as a conflicted copy.
                                plan.Upload(l, "update", i.Rev, this);
                            }
                            else if (!lc && rc && SameContent(i, r))
                            {
                                // A new rev with the same bytes (a case-only rename gets one): nothing to fetch, only the rev
                                // to remember (a rename does that as it renames).
                                if (!renamedThere || !Down)
                                {
                                    index.Put(i with { Rev = r.Rev, Path = renamedThere ? i.Path : r.Path });
                                }
                            }
                            else if (!lc && rc && Down)
                            {
                                plan.Downloads.Add((r, i));
                            }
                            else if (lc && rc && !Up)
                            {
                                plan.Downloads.Add((r, i));
                            }

                            break;
                        }

                    case (not null, not null, null):
                        // Deleted on the server. An edit here beats the delete: it goes up as a new file.
                        if (LocalChanged(l, i))
                        {
                            if (Up)
                            {
                                plan.Upload(l, "add", null, this);
                            }
                        }
                        else if (Down)
                        {
                            plan.DeleteLocal.Add(i);
                        }

                        break;
                    case (null, not null, not null):
                        // Deleted here. An edit on the server beats the delete: it comes down again.
                        if (r.Rev != i.Rev)
                        {
                            if (Down)
                            {
                                plan.Downloads.Add((r, null));
                            }
                        }
                        else if (Up)
                        {
                            plan.DeleteRemote.Add(r);
                        }

                        break;
                    case (null, not null, null):
                        index.Remove(key);
                        break;
                    case (null, null, not null):
                        if (Down && !_local.ContainsKey(key))
                        {
                            plan.Downloads.Add((r, null));
                        }

                        break;
                }
            }

            plan.Uploads.Sort((a, b) => b.Item.Size.CompareTo(a.Item.Size));
            plan.Downloads.Sort((a, b) => (b.Remote.Size ?? 0).CompareTo(a.Remote.Size ?? 0));
            return plan;
        }

        // ---------------------------------------------------------------- moves

        private async Task MoveRemoteAsync(IndexEntry from, LocalItem to, SyncPlan plan, CancellationToken ct)
        {
            try
            {
                var moved = await _api.MoveAsync(from.Path, "/" + to.Rel, ct);
                index.Remove(from.Key);
                var rev = moved.Rev ?? from.Rev;
                var contentHash = moved.ContentHash ?? from.ContentHash;
                index.Put(new IndexEntry(to.Key, moved.Path, false, to.Size, to.Mtime, rev, contentHash, from.Blocks));
                FoldersOnServer(moved.Path);
                report.FileMoved();
            }
            catch (DropSyncApiException e) when (e.Status is HttpStatusCode.Conflict or HttpStatusCode.NotFound || e.Code == NoWritePermission)
            {
                // (Read-only there: the upload is refused too, and keeps the file as a local-only one.)
                // Fall back to uploading the new name (its blocks are already on the server) and leaving the old one alone.
                o.Log?.Invoke($"could not move {from.Path} to /{to.Rel} on the server ({e.ServerMessage}); uploading it instead");
                plan.Uploads.Add((to, "add", null));
            }
        }

        private void MoveLocal(IndexEntry from, RemoteEntry to)
        {
            var fromRel = _local[from.Key].Rel;
            var toRel = LocalRelFor(to.Path);
            EnsureLocalFolder(ParentRel(toRel));
            File.Move(Full(fromRel), Full(toRel), overwrite: false);
            var info = new FileInfo(Full(toRel));
            index.Remove(from.Key);
            index.Put(new IndexEntry(KeyOf(to.Path), to.Path, false, info.Length, info.LastWriteTimeUtc.Ticks, to.Rev, to.ContentHash, from.Blocks));
            FoldersOnServer(to.Path);
            report.FileMoved();
        }

        private void RenameLocalForRemoteCase(LocalItem item, RemoteEntry r)
        {
            var slash = item.Rel.LastIndexOf('/');
            var target = (slash < 0 ? "" : item.Rel[..(slash + 1)]) + r.Name;
            // Through a temporary name, so it also works where the file system ignores case.
            var temp = item.Rel + ".dropsync-rename";
            File.Move(Full(item.Rel), Full(temp));
            File.Move(Full(temp), Full(target));
            _local[item.Key] = item with { Rel = target };
            if (_idx.TryGetValue(item.Key, out var i))
            {
                // The same bytes under a new rev (the rename gave it one) need no download; other bytes are still fetched.
                index.Put(i with { Path = r.Path, Rev = SameContent(i, r) ? r.Rev : i.Rev });
            }

            report.FileMoved();
        }

        // ---------------------------------------------------------------- uploads

        private async Task UploadAsync(LocalItem item, string mode, string? rev, CancellationToken ct)
        {
            var full = Full(item.Rel);
            var info = new FileInfo(full);
            if (!info.Exists)
            {
                return;
            }

            var (size, mtime) = (info.Length, info.LastWriteTimeUtc.Ticks);
            var remotePath = "/" + item.Rel;
            IReadOnlyList<BlockRef> blocks = [];
            long sent = 0, body = 0;
            try
            {
                RemoteEntry result;
                if (size <= MediaUploadLimit)
                {
                    var bytes = await File.ReadAllBytesAsync(full, ct);
                    size = bytes.Length;
                    blocks = FastCdc.Chunk(bytes).Select(c => new BlockRef(c.Hash, c.Size)).ToList();
                    body = bytes.Length;
                    result = await _api.UploadMediaAsync(remotePath, mode, rev, bytes, ct);
                    sent = bytes.Length;
                    report.Uploaded(sent);
                }
                else
                {
                    // Blocks count as sent as they go up: the server keeps them, whatever the commit answers.
                    (result, blocks, sent) = await UploadResumableAsync(item, remotePath, size, mtime, mode, rev, b => blocks = b, ct);
                }

                RecordUpload(item, size, mtime, blocks, result);
            }
            catch (DropSyncApiException e) when (e.Code == ErrorCodes.Conflict && e.Body.ValueKind == JsonValueKind.Object)
            {
                index.RemoveUpload(item.Key);
                await HandleConflictAsync(item, e, size, mtime, blocks, body, ct);
            }
            catch (DropSyncApiException e) when (e.Code is ErrorCodes.NameClash or ErrorCodes.PathIsFolder or ErrorCodes.PathConflict)
            {
                HandleNameProblem(item, e);
            }
            catch (DropSyncApiException e) when (e.Code == NoWritePermission)
            {
                index.RemoveUpload(item.Key);
                await HandleReadOnlyAsync(item, size, mtime, ct);
            }
            finally
            {
                Advance(Math.Max(0, item.Size - sent), item.Rel);
            }
        }

        /// <summary>The largest file sent whole (<c>uploadType=media</c>): larger ones go up by blocks, as does anything over the server's request limit.</summary>
        private long MediaUploadLimit => Math.Min(o.SmallFileLimit, _server.MaxRequestBytes);

        private long BatchBytesLimit => Math.Min(o.BatchMaxBytes, _server.MaxBatchBytes);

        /// <summary>Whether a file goes up in a batch: small, and its part alone keeps a batch request within the server's limit.</summary>
        private bool FitsABatch(string rel, long size) =>
            size <= Math.Min(o.SmallFileLimit, BatchUploadService.MaxFileSize)
            && UploadBatches.FixedBytes + UploadBatches.PartBytes("/" + rel, size) <= BatchBytesLimit;

        /// <summary>Splits small uploads into batches: at least a few (so they go up side by side), each within the file and byte limits of client and server.</summary>
        private List<List<(LocalItem Item, string Mode, string? Rev)>> Batches(List<(LocalItem Item, string Mode, string? Rev)> uploads)
        {
            var maxFiles = Math.Max(1, Math.Min(o.BatchMaxFiles, _server.MaxBatchFiles));
            var per = Math.Clamp((uploads.Count + o.BatchParallelism - 1) / Math.Max(1, o.BatchParallelism), 1, maxFiles);
            return UploadBatches.Split(uploads, u => UploadBatches.PartBytes("/" + u.Item.Rel, u.Item.Size), per, BatchBytesLimit);
        }

        private async Task UploadBatchAsync(List<(LocalItem Item, string Mode, string? Rev)> batch, CancellationToken ct)
        {
            await _batchGate.WaitAsync(ct);
            try
            {
                var files = new List<(LocalItem Item, string Mode, string? Rev, byte[] Bytes, long Mtime, IReadOnlyList<BlockRef> Blocks)>(batch.Count);
                foreach (var (item, mode, rev) in batch)
                {
                    var info = new FileInfo(Full(item.Rel));
                    if (!info.Exists || !FitsABatch(item.Rel, info.Length))
                    {
                        // Gone, or grown past the batch limit since the scan: the single path handles both.
                        await GuardedAsync(item, () => UploadAsync(item, mode, rev, ct));
                        continue;
                    }

                    try
                    {
                        var bytes = await File.ReadAllBytesAsync(Full(item.Rel), ct);
                        var blocks = FastCdc.Chunk(bytes).Select(c => new BlockRef(c.Hash, c.Size)).ToList();
                        files.Add((item, mode, rev, bytes, info.LastWriteTimeUtc.Ticks, blocks));
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        RecordError(item.Rel, e);
                        Advance(item.Size, item.Rel);
                    }
                }

                if (files.Count == 0)
                {
                    return;
                }

                IReadOnlyList<BatchFileResult> results;
                try
                {
                    results = await _api.UploadBatchAsync(files.Select(f => new BatchFile("/" + f.Item.Rel, f.Mode, f.Rev, f.Bytes)).ToList(), ct);
                }
                catch (DropSyncApiException e) when (e.Status is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed && e.Code is ErrorCodes.NotFound or ErrorCodes.MethodNotAllowed)
                {
                    o.Log?.Invoke("the server does not take batched uploads; uploading files one by one");
                    foreach (var f in files)
                    {
                        await GuardedAsync(f.Item, () => UploadAsync(f.Item, f.Mode, f.Rev, ct));
                    }

                    return;
                }

                for (var i = 0; i < files.Count; i++)
                {
                    var f = files[i];
                    try
                    {
                        if (i < results.Count && results[i].Metadata is { } metadata && results[i].Error is null)
                        {
                            report.Uploaded(f.Bytes.Length);
                            RecordUpload(f.Item, f.Bytes.Length, f.Mtime, f.Blocks, metadata);
                        }
                        else
                        {
                            var error = i < results.Count ? results[i].ToException() : new DropSyncApiException(HttpStatusCode.BadGateway, "missing_result", "The server did not answer for this file.", default);
                            await HandleUploadErrorAsync(f.Item, error, f.Bytes.Length, f.Mtime, f.Blocks, ct);
                        }
                    }
                    catch (Exception e) when (e is not OperationCanceledException && e is not DropSyncApiException { Status: HttpStatusCode.Unauthorized })
                    {
                        RecordError(f.Item.Rel, e);
                    }
                    finally
                    {
                        Advance(f.Item.Size, f.Item.Rel);
                    }
                }
            }
            finally
            {
                _batchGate.Release();
            }
        }

        private async Task GuardedAsync(LocalItem item, Func<Task> action)
        {
            try
            {
                await action();
            }
            catch (Exception e) when (e is not OperationCanceledException && e is not DropSyncApiException { Status: HttpStatusCode.Unauthorized })
            {
                RecordError(item.Rel, e);
            }
        }

        /// <summary>
        /// Records a failure once, naming what it was about. Only in the report: also logging it as it happened listed
        /// every error twice in the command's output.
        /// </summary>
        private void RecordError(string what, Exception e) => report.Error($"{what}: {e.Message}");

        /// <summary>Records a committed upload; a file edited while it went up keeps mtime -1 so the next sync sends the newer version.</summary>
        private void RecordUpload(LocalItem item, long size, long mtime, IReadOnlyList<BlockRef> blocks, RemoteEntry result)
        {
            var after = new FileInfo(Full(item.Rel));
            var changedMeanwhile = !after.Exists || after.Length != size || after.LastWriteTimeUtc.Ticks != mtime;
            index.Put(new IndexEntry(item.Key, result.Path, false, size, changedMeanwhile ? -1 : mtime, result.Rev, result.ContentHash, blocks));
            FoldersOnServer(result.Path);
            report.FileUploaded();
        }

        /// <summary>An upload the server refused: a conflict or a name problem is resolved as for a single upload; anything else is an error.</summary>
        private async Task HandleUploadErrorAsync(LocalItem item, DropSyncApiException e, long size, long mtime, IReadOnlyList<BlockRef> blocks, CancellationToken ct)
        {
            if (e.Code == ErrorCodes.Conflict && e.Body.ValueKind == JsonValueKind.Object)
            {
                await HandleConflictAsync(item, e, size, mtime, blocks, size, ct);
            }
            else if (e.Code is ErrorCodes.NameClash or ErrorCodes.PathIsFolder or ErrorCodes.PathConflict)
            {
                HandleNameProblem(item, e);
            }
            else if (e.Code == NoWritePermission)
            {
                await HandleReadOnlyAsync(item, size, mtime, ct);
            }
            else
            {
                throw e;
            }
        }

        private void HandleNameProblem(LocalItem item, DropSyncApiException e)
        {
            var renamed = SetAside(item.Rel, false, e.Code == ErrorCodes.NameClash ? "case conflict" : "file conflict");
            report.Conflict($"{item.Rel}: {e.ServerMessage} Renamed the local file to {renamed}; it will be uploaded under that name.");

            o.Log?.Invoke($"{item.Rel}: {e.ServerMessage} renamed it to {renamed}");
        }

        private async Task<(RemoteEntry Result, IReadOnlyList<BlockRef> Blocks, long Sent)> UploadResumableAsync(
            LocalItem item, string remotePath, long size, long mtime, string mode, string? rev, Action<IReadOnlyList<BlockRef>> onBlocks, CancellationToken ct)
        {
            var full = Full(item.Rel);
            IReadOnlyList<BlockRef>? blocks = null;
            UploadSession? session = null;
            if (index.GetUpload(item.Key) is { } pending && pending.Size == size && pending.Mtime == mtime && pending.ExpiresAt > DateTimeOffset.UtcNow.AddMinutes(5))
            {
                try
                {
                    session = await _api.ResumeUploadAsync(pending.UploadId, ct);
                    blocks = pending.Blocks;
                    o.Log?.Invoke($"resuming the upload of {item.Rel}: {session.Missing.Count + session.MoreMissing} of {blocks.Count} blocks to go");
                }
                catch (DropSyncApiException e) when (e.Status is HttpStatusCode.NotFound or HttpStatusCode.Gone or HttpStatusCode.BadRequest or HttpStatusCode.Conflict)
                {
                    index.RemoveUpload(item.Key);
                }
            }

            if (session is null || blocks is null)
            {
                await using (var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan))
                {
                    var chunks = await FastCdc.ChunkAsync(stream, ct: ct);
                    blocks = chunks.Select(c => new BlockRef(c.Hash, c.Size)).ToList();
                }

                if (blocks.Sum(b => (long)b.Size) != size)
                {
                    throw new IOException($"{item.Rel} changed while it was being read; it will be uploaded on the next sync.");
                }

                session = await _api.BeginUploadAsync(remotePath, size, blocks.Select(b => new BlockSpec(b.Hash.Hex, b.Size)).ToList(), mode, rev, ct);
                index.PutUpload(new PendingUpload(item.Key, session.UploadId, size, mtime, blocks, session.ExpiresAt));
            }

            onBlocks(blocks);
            var where = new Dictionary<string, (long Offset, int Size)>(StringComparer.Ordinal);
            long offset = 0;
            foreach (var b in blocks)
            {
                where.TryAdd(b.Hash.Hex, (offset, b.Size));
                offset += b.Size;
            }

            long sent = 0;
            using (var handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            {
                // The server hands out URLs a page at a time (more_missing counts the rest): PUT a page, then ask for the next.
                while (true)
                {
                    await PutMissingAsync(handle, session.Missing);
                    if (session.MoreMissing <= 0)
                    {
                        break;
                    }

                    var before = session.MoreMissing;
                    session = await _api.ResumeUploadAsync(session.UploadId, ct);
                    if (session.Missing.Count == 0 && session.MoreMissing >= before)
                    {
                        throw new InvalidDataException($"The server gave no URLs for the {before} blocks of {item.Rel} it still lacks.");
                    }
                }
            }

            var result = await _api.FinishUploadAsync(session.UploadId, ct);
            index.RemoveUpload(item.Key);
            return (result, blocks, sent);

            Task PutMissingAsync(Microsoft.Win32.SafeHandles.SafeFileHandle handle, IReadOnlyList<Api.MissingBlock> missing) =>
                Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = o.BlockParallelism, CancellationToken = ct }, async (m, c) =>
                {
                    var (at, length) = where[m.Hash];
                    var buffer = ArrayPool<byte>.Shared.Rent(length);
                    try
                    {
                        var read = await ReadExactlyAtAsync(handle, buffer.AsMemory(0, length), at, c);
                        if (read != length || BlockHash.Of(buffer.AsSpan(0, length)).Hex != m.Hash)
                        {
                            throw new IOException($"{item.Rel} changed while it was being uploaded; it will be uploaded again on the next sync.");
                        }

                        await _api.PutBlockAsync(m, buffer.AsMemory(0, length), c);
                        Interlocked.Add(ref sent, length);
                        report.Uploaded(length);
                        Advance(length, item.Rel);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                });
        }

        private static async Task<int> ReadExactlyAtAsync(Microsoft.Win32.SafeHandles.SafeFileHandle handle, Memory<byte> buffer, long offset, CancellationToken ct)
        {
            var total = 0;
            while (total < buffer.Length)
            {
                var n = await RandomAccess.ReadAsync(handle, buffer[total..], offset + total, ct);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }

            return total;
        }

        /// <summary>
        /// The server kept our edit as a conflicted copy: rename the local file to that name (no second upload) and bring
        /// down the server's version under the original name.
        /// </summary>
        /// <param name="body">Bytes of a whole-body upload the server kept as the copy (block uploads counted theirs as they went).</param>
        private async Task HandleConflictAsync(LocalItem item, DropSyncApiException e, long size, long mtime, IReadOnlyList<BlockRef> blocks, long body, CancellationToken ct)
        {
            var current = e.Body.GetProperty("current").Deserialize<RemoteEntry>(DropSyncApi.Json)!;
            var copy = e.Body.GetProperty("conflicted_copy").Deserialize<RemoteEntry>(DropSyncApi.Json)!;
            var copyRel = LocalRelFor(copy.Path);
            EnsureLocalFolder(ParentRel(copyRel));
            File.Move(Full(item.Rel), Full(copyRel), overwrite: false);
            index.Put(new IndexEntry(KeyOf(copy.Path), copy.Path, false, size, mtime, copy.Rev, copy.ContentHash, blocks));
            FoldersOnServer(copy.Path);
            // The server took the file (as the conflicted copy): it was uploaded.
            report.Uploaded(body);
            report.FileUploaded();
            report.Conflict($"{item.Rel}: changed on another device too. Your version is now {copyRel}; the other version is at {item.Rel}.");

            o.Log?.Invoke($"conflict on {item.Rel}: your version was kept as {copyRel}");
            if (current.IsFile && Down)
            {
                await DownloadAsync(current, null, ct);
            }
        }

        private const string NoWritePermission = ErrorCodes.NoWritePermission;

        private const string ReadOnly = "read-only for you (its folder is shared with you as a viewer)";

        /// <summary>
        /// The server refused an upload because the file is in a folder shared with this user as a viewer. Trying again
        /// cannot help, so neither loses anything nor loops: an edit of a server file is kept as a local-only conflicted
        /// copy and the server's version is put back; a new file stays where it is. Either is remembered in the index as
        /// local-only and not sent again until it changes.
        /// </summary>
        private async Task HandleReadOnlyAsync(LocalItem item, long size, long mtime, CancellationToken ct)
        {
            if (Down && _remote.TryGetValue(item.Key, out var r) && r.IsFile)
            {
                var kept = SetAsideAsConflictedCopy(item.Rel);
                index.PutLocalOnly(KeyOf("/" + kept), size, mtime);
                report.Conflict($"{item.Rel}: {ReadOnly}, so your edit was not uploaded. It is kept on this device only as {kept}; {item.Rel} is the server's version again.");
                await DownloadAsync(r, null, ct);
            }
            else
            {
                index.PutLocalOnly(item.Key, size, mtime);
                report.Conflict($"{item.Rel}: {ReadOnly}, so it was not uploaded. It stays on this device only and is not sent again unless you change it.");
            }
        }

        // ---------------------------------------------------------------- downloads

        private async Task DownloadAsync(RemoteEntry r, IndexEntry? prior, CancellationToken ct)
        {
            var rel = _local.TryGetValue(KeyOf(r.Path), out var existing) && !existing.IsDir ? existing.Rel : LocalRelFor(r.Path);
            var key = KeyOf(r.Path);
            var size = r.Size ?? 0;
            var temp = Path.Combine(index.TempFolder, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..24] + "-" + r.Rev + ".dropsync-part");
            IReadOnlyList<BlockRef> blocks;
            long received = 0;
            try
            {
                // A file over the server's answer limit (AWS: Lambda's 6 MB payload) comes by blocks, however small.
                if (size <= o.SmallFileLimit && _server.CanDownloadDirectly(size) && await DownloadWholeAsync(r, ct) is { } bytes)
                {
                    received = bytes.Length;
                    report.Downloaded(bytes.Length);
                    var hash = ContentHasher.Compute(bytes);
                    if (hash != r.ContentHash)
                    {
                        throw new InvalidDataException($"The download of {r.Path} does not match its content hash; it will be fetched again on the next sync.");
                    }

                    blocks = FastCdc.Chunk(bytes).Select(c => new BlockRef(c.Hash, c.Size)).ToList();
                    await File.WriteAllBytesAsync(temp, bytes, ct);
                }
                else
                {
                    (blocks, received) = await DownloadBlocksAsync(r, temp, ct);
                }

                Place(rel, temp, prior);
                var info = new FileInfo(Full(rel));
                index.Put(new IndexEntry(key, r.Path, false, info.Length, info.LastWriteTimeUtc.Ticks, r.Rev, r.ContentHash, blocks));
                FoldersOnServer(r.Path);
                report.FileDownloaded();
            }
            finally
            {
                Advance(Math.Max(0, size - received), rel);
            }
        }

        /// <summary>A small file's content in one request; null when the server says to fetch it by blocks (its limit changed since /config).</summary>
        private async Task<byte[]?> DownloadWholeAsync(RemoteEntry r, CancellationToken ct)
        {
            try
            {
                using var memory = new MemoryStream((int)(r.Size ?? 0));
                await _api.DownloadAsync(r.Path, r.Rev, 0, memory, ct);
                return memory.ToArray();
            }
            catch (DropSyncApiException e) when (e.Code == ErrorCodes.TooLargeForDirectDownload)
            {
                return null;
            }
        }

        private async Task<(IReadOnlyList<BlockRef> Blocks, long Received)> DownloadBlocksAsync(RemoteEntry r, string temp, CancellationToken ct)
        {
            // The block list comes a page at a time: each page's blocks are fetched before the next page is asked for, so
            // only one page of URLs is held (and none outlives its use); the hashes are kept for the index.
            var list = await _api.GetBlocksAsync(r.Path, r.Rev, 0, ct);
            var metadata = list.Metadata;
            var size = metadata.Size ?? r.Size ?? 0;
            var refs = new List<BlockRef>();
            long received = 0;
            await using (var file = new FileStream(temp, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.Asynchronous))
            {
                // A partial file from an interrupted run: its blocks that verify are kept.
                var existingLength = file.Length;
                var handle = file.SafeFileHandle;
                while (true)
                {
                    refs.AddRange(list.Blocks.Select(b => new BlockRef(BlockHash.Parse(b.Hash), b.Size)));
                    await FetchPageAsync(handle, existingLength, list.Blocks);
                    if (!list.HasMore || list.NextStart is not { } next)
                    {
                        break;
                    }

                    list = await _api.GetBlocksAsync(r.Path, metadata.Rev ?? r.Rev, next, ct);
                }

                file.SetLength(size);
                await file.FlushAsync(ct);
                file.Flush(flushToDisk: true);
            }

            await VerifyContentHashAsync(r, temp, metadata.ContentHash ?? r.ContentHash, ct);
            return (refs, received);

            Task FetchPageAsync(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long existingLength, IReadOnlyList<Api.BlockDownload> blocks) =>
                Parallel.ForEachAsync(blocks, new ParallelOptions { MaxDegreeOfParallelism = o.BlockParallelism, CancellationToken = ct }, async (b, c) =>
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(b.Size);
                    try
                    {
                        var span = buffer.AsMemory(0, b.Size);
                        if (b.Offset + b.Size <= existingLength
                            && await ReadExactlyAtAsync(handle, span, b.Offset, c) == b.Size
                            && BlockHash.Of(span.Span).Hex == b.Hash)
                        {
                            Advance(b.Size, r.Path);
                            return;
                        }

                        if (TryReadLocalBlock(b.Hash, span))
                        {
                            report.Reused(b.Size);
                        }
                        else
                        {
                            var bytes = await _api.GetBlockAsync(b, c);
                            if (bytes.Length != b.Size || BlockHash.Of(bytes).Hex != b.Hash)
                            {
                                throw new InvalidDataException($"A block of {r.Path} arrived damaged; it will be fetched again on the next sync.");
                            }

                            bytes.CopyTo(span);
                            Interlocked.Add(ref received, b.Size);
                            report.Downloaded(b.Size);
                        }

                        // A block that arrived is kept even if the sync is being cancelled: the next run resumes after it.
                        await RandomAccess.WriteAsync(handle, span, b.Offset, CancellationToken.None);
                        Advance(b.Size, r.Path);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                });
        }

        /// <summary>The whole downloaded file against the server's content hash, before it replaces anything.</summary>
        private static async Task VerifyContentHashAsync(RemoteEntry r, string temp, string? expected, CancellationToken ct)
        {
            await using (var check = new FileStream(temp, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
            {
                using var hasher = new ContentHasher();
                var buffer = ArrayPool<byte>.Shared.Rent(4 * 1024 * 1024);
                try
                {
                    int n;
                    while ((n = await check.ReadAsync(buffer.AsMemory(0, 4 * 1024 * 1024), ct)) > 0)
                    {
                        hasher.Append(buffer.AsSpan(0, n));
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                if (hasher.GetHashHex() != expected)
                {
                    check.Close();
                    File.Delete(temp);
                    throw new InvalidDataException($"The download of {r.Path} does not match its content hash; it will be fetched again on the next sync.");
                }
            }
        }

        /// <summary>A block some unchanged local file already has (per the index), read and verified.</summary>
        private bool TryReadLocalBlock(string hash, Memory<byte> into)
        {
            lock (_blocksLock)
            {
                if (_localBlocks is null)
                {
                    _localBlocks = new Dictionary<string, (string, long, int)>(StringComparer.Ordinal);
                    foreach (var e in _idx.Values)
                    {
                        if (e.IsDir || !_local.TryGetValue(e.Key, out var l) || LocalChanged(l, e))
                        {
                            continue;
                        }

                        long offset = 0;
                        foreach (var b in e.Blocks)
                        {
                            _localBlocks.TryAdd(b.Hash.Hex, (l.Rel, offset, b.Size));
                            offset += b.Size;
                        }
                    }
                }
            }

            if (!_localBlocks.TryGetValue(hash, out var source) || source.Size != into.Length)
            {
                return false;
            }

            try
            {
                using var handle = File.OpenHandle(Full(source.Rel), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                var read = RandomAccess.Read(handle, into.Span, source.Offset);
                return read == into.Length && BlockHash.Of(into.Span).Hex == hash;
            }
            catch (IOException)
            {
                return false;
            }
        }

        /// <summary>Moves a verified download into place, first setting aside any local version the index does not know.</summary>
        private void Place(string rel, string temp, IndexEntry? prior)
        {
            var full = Full(rel);
            if (Directory.Exists(full))
            {
                var renamed = SetAside(rel, true, "folder conflict");
                report.Conflict($"{rel}: a folder here, a file on the server; the folder was renamed to {renamed}");
            }
            else if (File.Exists(full))
            {
                var info = new FileInfo(full);
                var known = prior is not null && info.Length == prior.Size && info.LastWriteTimeUtc.Ticks == prior.Mtime;
                if (!known)
                {
                    var kept = SetAsideAsConflictedCopy(rel);
                    report.Conflict($"{rel}: changed here and on the server. Your version is now {kept}; the server's is at {rel}.");

                    o.Log?.Invoke($"conflict on {rel}: your local version was kept as {kept}");
                }
            }

            EnsureLocalFolder(ParentRel(rel));
            File.Move(temp, full, overwrite: true);
        }

        private static string ParentRel(string rel) => rel[..Math.Max(0, rel.LastIndexOf('/'))];

        /// <summary>Creates a local folder and any missing folder above it, counting each one this sync made.</summary>
        private void EnsureLocalFolder(string rel)
        {
            if (rel.Length == 0)
            {
                return;
            }

            lock (_foldersLock)
            {
                var path = "";
                foreach (var name in rel.Split('/'))
                {
                    path = path.Length == 0 ? name : path + "/" + name;
                    if (!Directory.Exists(Full(path)))
                    {
                        Directory.CreateDirectory(Full(path));
                        if (_foldersMadeHere.Add(path))
                        {
                            report.FolderCreated();
                        }
                    }
                }
            }
        }

        /// <summary>
        /// Notes that the folders above a path now exist on the server and here. Each is recorded in the index, so that a
        /// later delete of it on either side is seen as a delete, not as a new folder on the other side (before, folders
        /// made for a file put inside them were never recorded, and a folder deleted here came back from the server).
        /// Those the server did not have before this sync (it makes them for a file put inside) are counted as created.
        /// </summary>
        private void FoldersOnServer(string remotePath)
        {
            for (var slash = remotePath.LastIndexOf('/'); slash > 0; slash = remotePath.LastIndexOf('/', slash - 1))
            {
                var folder = remotePath[..slash];
                var key = KeyOf(folder);
                lock (_foldersLock)
                {
                    if (!_foldersSeen.Add(key))
                    {
                        return; // Noted already, and so were the folders above it.
                    }
                }

                if (!_remote.TryGetValue(key, out var r) || !r.IsFolder)
                {
                    report.FolderCreated();
                }

                if (!_idx.TryGetValue(key, out var i) || !i.IsDir)
                {
                    index.Put(new IndexEntry(key, folder, true, 0, 0, null, null, []));
                }
            }
        }

        // ---------------------------------------------------------------- deletes and folders

        private async Task DeleteRemoteAsync(RemoteEntry r, CancellationToken ct)
        {
            try
            {
                await _api.DeleteAsync(r.Path, ct);
            }
            catch (DropSyncApiException e) when (e.Status == HttpStatusCode.NotFound)
            {
                // Already gone.
            }
            catch (DropSyncApiException e) when (e.Code == NoWritePermission)
            {
                // It cannot be deleted there, and failing on every sync helps nobody: the server's file comes back.
                index.Remove(KeyOf(r.Path));
                report.Conflict($"{r.Path.TrimStart('/')}: {ReadOnly}, so it was not deleted on the server; it is restored from there.");
                if (Down)
                {
                    await DownloadAsync(r, null, ct);
                }

                return;
            }

            index.Remove(KeyOf(r.Path));
            index.RemoveUpload(KeyOf(r.Path));
            report.FilesDeletedRemotely(1);
        }

        /// <summary>A folder deleted here, with everything in it: one delete on the server.</summary>
        private async Task DeleteRemoteFolderAsync(RemoteEntry folder, int files, CancellationToken ct)
        {
            var key = KeyOf(folder.Path);
            var prefix = key + "/";
            var below = _idx.Keys.Where(k => k == key || k.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            try
            {
                await _api.DeleteAsync(folder.Path, ct);
            }
            catch (DropSyncApiException e) when (e.Status == HttpStatusCode.NotFound)
            {
                // Already gone.
            }
            catch (DropSyncApiException e) when (e.Code == NoWritePermission)
            {
                // It cannot be deleted there: forget it here, and the next pass brings the server's folder back.
                below.ForEach(index.Remove);
                _again = true;
                report.Conflict($"{folder.Path.TrimStart('/')}: {ReadOnly}, so it was not deleted on the server; it is restored from there.");
                return;
            }

            below.ForEach(index.Remove);
            report.FilesDeletedRemotely(files);
            var folders = 1 + _remote.Count(kv => kv.Value.IsFolder && kv.Key.StartsWith(prefix, StringComparison.Ordinal));
            for (var n = 0; n < folders; n++)
            {
                report.FolderDeleted();
            }
        }

        private Task DeleteLocal(IndexEntry i)
        {
            if (_local.TryGetValue(i.Key, out var l))
            {
                var info = new FileInfo(Full(l.Rel));
                if (info.Exists && (info.Length != i.Size || info.LastWriteTimeUtc.Ticks != i.Mtime))
                {
                    return Task.CompletedTask; // Edited since the scan: the edit wins and goes up next time.
                }

                File.Delete(Full(l.Rel));
            }

            index.Remove(i.Key);
            report.FilesDeletedLocally(1);
            return Task.CompletedTask;
        }

        /// <summary>
        /// Folders, deepest first, once the files are done: made on the side that lacks them, deleted on the side that
        /// still has them once nothing is left in them (files the other side never saw are kept, and keep their folder).
        /// Whether a folder missing on one side was deleted there or is new on the other is what the index tells.
        /// </summary>
        private async Task SyncFoldersAsync(SyncPlan plan, CancellationToken ct)
        {
            var deletedRemote = plan.DeleteRemote.Select(r => KeyOf(r.Path)).ToHashSet(StringComparer.Ordinal);
            var keys = new HashSet<string>(_local.Values.Where(l => l.IsDir).Select(l => l.Key), StringComparer.Ordinal);
            keys.UnionWith(_remote.Values.Where(r => r.IsFolder).Select(r => KeyOf(r.Path)));
            keys.UnionWith(_idx.Values.Where(i => i.IsDir).Select(i => i.Key));
            keys.ExceptWith(plan.InDeletedFolders);
            foreach (var key in keys.OrderByDescending(k => k.Length))
            {
                _local.TryGetValue(key, out var l);
                _remote.TryGetValue(key, out var r);
                _idx.TryGetValue(key, out var i);
                if (l is { IsDir: false } || r is { IsFolder: false } || i is { IsDir: false })
                {
                    continue;
                }

                var synced = WasSynced(key);
                switch (l, r)
                {
                    case (not null, not null):
                        if (i is null)
                        {
                            index.Put(new IndexEntry(key, r.Path, true, 0, 0, null, null, []));
                        }

                        break;
                    case (null, not null) when synced && Up:
                        // Deleted here while something below changed on the server: delete it there once nothing below is left.
                        var prefix = key + "/";
                        if (!_remote.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal) && !deletedRemote.Contains(k)))
                        {
                            try
                            {
                                await _api.DeleteAsync(r.Path, ct);
                                report.FolderDeleted();
                            }
                            catch (DropSyncApiException e) when (e.Status == HttpStatusCode.NotFound || e.Code == NoWritePermission)
                            {
                                // Gone already, or read-only: then the index forgets it and the next sync brings it back.
                            }

                            deletedRemote.Add(key);
                            index.Remove(key);
                        }

                        break;
                    case (null, not null) when !synced && Down:
                        EnsureLocalFolder(LocalRelFor(r.Path));
                        index.Put(new IndexEntry(key, r.Path, true, 0, 0, null, null, []));
                        break;
                    case (not null, null) when synced && Down:
                        // Deleted on the server: remove it here if nothing is left in it.
                        if (!Directory.EnumerateFileSystemEntries(Full(l.Rel)).Any())
                        {
                            Directory.Delete(Full(l.Rel));
                            report.FolderDeleted();
                        }

                        index.Remove(key);
                        break;
                    case (not null, null) when !synced && Up:
                        // Folders with files in them are made by the uploads; an empty one is made here.
                        if (!Directory.EnumerateFileSystemEntries(Full(l.Rel)).Any() && !_localOnly.ContainsKey(key))
                        {
                            RemoteEntry created;
                            try
                            {
                                created = await _api.CreateFolderAsync("/" + l.Rel, ct);
                            }
                            catch (DropSyncApiException e) when (e.Code == NoWritePermission)
                            {
                                index.PutLocalOnly(key, 0, 0);
                                report.Conflict($"{l.Rel}: {ReadOnly}, so the folder was not made on the server. It stays on this device only.");
                                break;
                            }

                            lock (_foldersLock)
                            {
                                _foldersSeen.Add(key);
                            }

                            report.FolderCreated();
                            index.Put(new IndexEntry(key, created.Path, true, 0, 0, null, null, []));
                            FoldersOnServer(created.Path);
                        }

                        break;
                    case (null, null) when i is not null:
                        index.Remove(key);
                        break;
                }
            }
        }
    }
}
