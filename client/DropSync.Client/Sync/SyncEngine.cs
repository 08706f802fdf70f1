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

    public async Task<SyncReport> SyncAsync(SyncOptions options, CancellationToken ct = default)
    {
        PrepareFolder(options);
        var report = new SyncReport();
        using var index = LocalIndex.Open(Root);
        // A second pass uploads local versions that this pass set aside as conflicted copies.
        for (var pass = 0; pass < 2; pass++)
        {
            var run = new Run(this, index, options, report);
            var again = await run.ExecuteAsync(ct);
            index.Flush();
            if (!again || options.Direction == SyncDirection.Pull)
            {
                break;
            }
        }

        return report;
    }

    private sealed class Run(SyncEngine engine, LocalIndex index, SyncOptions o, SyncReport report)
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
        private long _progressDone, _progressTotal;
        private bool _setAside;

        private bool Up => o.Direction != SyncDirection.Pull;
        private bool Down => o.Direction != SyncDirection.Push;

        public async Task<bool> ExecuteAsync(CancellationToken ct)
        {
            _ignore = IgnoreRules.Load(_root);
            _idx = index.LoadAll();
            _local = Scan();
            var indexedFiles = _idx.Values.Count(e => !e.IsDir);
            if (!o.Force && indexedFiles > 0 && !_local.Values.Any(l => !l.IsDir))
            {
                throw new SyncSafetyException(
                    $"The sync folder {_root} is empty, but {indexedFiles} files were synced from it before. If it is on a drive that is " +
                    "not mounted, mount it and try again. If you deleted everything on purpose, run again with --force to delete them on the server too.");
            }

            var snapshot = await engine.Remote.GetSnapshotAsync(index, ct);
            _remote = snapshot.Where(kv => !_ignore.IsIgnored(kv.Value.Path, kv.Value.IsFolder)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

            if (ResolveKindClashes())
            {
                _local = Scan();
            }

            var plan = Plan();
            var deletions = plan.DeleteLocal.Count + plan.DeleteRemote.Count;
            if (!o.Force && indexedFiles >= o.MassDeleteMinimumFiles && deletions > o.MaxDeleteFraction * indexedFiles)
            {
                throw new SyncSafetyException(
                    $"This sync would delete {deletions} of the {indexedFiles} synced files ({plan.DeleteRemote.Count} on the server, " +
                    $"{plan.DeleteLocal.Count} in {_root}). If that is what you meant, run again with --force. If a drive is not mounted or " +
                    "files were moved away by mistake, put them back first; deleted files can also be restored with `dropsync restore`.");
            }

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
            var actions = new List<Func<CancellationToken, Task>>();
            // Small files go up many to a request; the rest (and everything when batching is off) one by one.
            var batched = o.BatchUploads ? plan.Uploads.Where(u => u.Item.Size <= o.SmallFileLimit).ToList() : [];
            var single = o.BatchUploads ? plan.Uploads.Where(u => u.Item.Size > o.SmallFileLimit).ToList() : plan.Uploads;
            actions.AddRange(single.Select(u => (Func<CancellationToken, Task>)(c => UploadAsync(u.Item, u.Mode, u.Rev, c))));
            actions.AddRange(Batches(batched).Select(b => (Func<CancellationToken, Task>)(c => UploadBatchAsync(b, c))));
            actions.AddRange(plan.Downloads.Select(d => (Func<CancellationToken, Task>)(c => DownloadAsync(d.Remote, d.Prior, c))));
            actions.AddRange(plan.DeleteRemote.Select(d => (Func<CancellationToken, Task>)(c => DeleteRemoteAsync(d, c))));
            actions.AddRange(plan.DeleteLocal.Select(d => (Func<CancellationToken, Task>)(_ => DeleteLocal(d))));
            // Largest first, so one big file does not start last and leave the other workers idle.
            await Parallel.ForEachAsync(actions, new ParallelOptions { MaxDegreeOfParallelism = o.Parallelism, CancellationToken = ct }, async (action, c) =>
            {
                try
                {
                    await action(c);
                }
                catch (DropSyncApiException e) when (e.Status == HttpStatusCode.Unauthorized)
                {
                    throw;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    lock (report.Errors)
                    {
                        report.Errors.Add(e.Message);
                    }

                    o.Log?.Invoke($"error: {e.Message}");
                }
            });

            await SyncFoldersAsync(plan, ct);
            return _setAside;
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
            var map = new Dictionary<string, LocalItem>(StringComparer.Ordinal);
            Walk(_root, "", map);
            return map;
        }

        private void Walk(string dir, string prefix, Dictionary<string, LocalItem> map)
        {
            foreach (var info in new DirectoryInfo(dir).EnumerateFileSystemInfos())
            {
                var rel = prefix.Length == 0 ? info.Name : prefix + "/" + info.Name;
                var isDir = info is DirectoryInfo;
                if (info.LinkTarget is not null || _ignore.IsIgnored(rel, isDir))
                {
                    continue;
                }

                string key;
                try
                {
                    key = KeyOf("/" + rel);
                }
                catch (DropSyncException e)
                {
                    o.Log?.Invoke($"skipped {rel}: {e.Message}");
                    continue;
                }

                if (map.ContainsKey(key))
                {
                    // Two local names that differ only by case are one name on the server: keep both, under distinct names.
                    var renamed = SetAside(rel, isDir, "case conflict");
                    o.Log?.Invoke($"{rel} differs from another name only by case; renamed it to {renamed}");
                    lock (report.Conflicts)
                    {
                        report.Conflicts.Add($"{rel}: renamed to {renamed} (another file has the same name in different case)");
                    }

                    rel = renamed;
                    key = KeyOf("/" + rel);
                    info.Refresh();
                    var moved = isDir ? (FileSystemInfo)new DirectoryInfo(Full(rel)) : new FileInfo(Full(rel));
                    map[key] = Item(key, rel, moved);
                    if (isDir)
                    {
                        Walk(moved.FullName, rel, map);
                    }

                    continue;
                }

                map[key] = Item(key, rel, info);
                if (isDir)
                {
                    Walk(info.FullName, rel, map);
                }
            }
        }

        private static LocalItem Item(string key, string rel, FileSystemInfo info) =>
            info is FileInfo f ? new LocalItem(key, rel, false, f.Length, f.LastWriteTimeUtc.Ticks) : new LocalItem(key, rel, true, 0, 0);

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

                    _setAside = true;
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
                    _setAside = true;
                    return candidate;
                }
            }

            throw new IOException($"Too many conflicted copies of {rel}; clean some up and sync again.");
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
                    report.Conflicts.Add($"{item.Rel}: renamed to {renamed} (the server has a {(r.IsFolder ? "folder" : "file")} of that name)");
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
        }

        private bool LocalChanged(LocalItem l, IndexEntry? i) => i is null || i.IsDir || l.Size != i.Size || l.Mtime != i.Mtime;

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
                foreach (var l in localFiles.Values.Where(l => !indexFiles.ContainsKey(l.Key) && !remoteFiles.ContainsKey(l.Key)))
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
                            plan.Uploads.Add((l, "add", null));
                        }

                        break;
                    case (not null, null, not null):
                        // New on both sides: upload in add mode; identical content is a no-op, different content a conflict.
                        if (Up)
                        {
                            plan.Uploads.Add((l, "add", null));
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
                            if (!lc && Path.GetFileName(l.Rel) != r.Name && Down)
                            {
                                plan.LocalRenames.Add((l, r));
                            }

                            if (lc && Up)
                            {
                                // If the server changed too, this answers a conflict and the server keeps ours as a conflicted copy.
                                plan.Uploads.Add((l, "update", i.Rev));
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
                                plan.Uploads.Add((l, "add", null));
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
                report.Moved++;
            }
            catch (DropSyncApiException e) when (e.Status is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
            {
                // Fall back to uploading the new name (its blocks are already on the server) and leaving the old one alone.
                o.Log?.Invoke($"could not move {from.Path} to /{to.Rel} on the server ({e.ServerMessage}); uploading it instead");
                plan.Uploads.Add((to, "add", null));
            }
        }

        private void MoveLocal(IndexEntry from, RemoteEntry to)
        {
            var fromRel = _local[from.Key].Rel;
            var toRel = LocalRelFor(to.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(Full(toRel))!);
            File.Move(Full(fromRel), Full(toRel), overwrite: false);
            var info = new FileInfo(Full(toRel));
            index.Remove(from.Key);
            index.Put(new IndexEntry(KeyOf(to.Path), to.Path, false, info.Length, info.LastWriteTimeUtc.Ticks, to.Rev, to.ContentHash, from.Blocks));
            report.Moved++;
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
                index.Put(i with { Path = r.Path, Rev = i.Rev });
            }
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
            long sent = 0;
            try
            {
                RemoteEntry result;
                if (size <= o.SmallFileLimit)
                {
                    var bytes = await File.ReadAllBytesAsync(full, ct);
                    size = bytes.Length;
                    blocks = FastCdc.Chunk(bytes).Select(c => new BlockRef(c.Hash, c.Size)).ToList();
                    result = await _api.UploadMediaAsync(remotePath, mode, rev, bytes, ct);
                    sent = bytes.Length;
                    report.Uploaded(sent);
                }
                else
                {
                    (result, blocks, sent) = await UploadResumableAsync(item, remotePath, size, mtime, mode, rev, b => blocks = b, ct);
                }

                var after = new FileInfo(full);
                var changedMeanwhile = !after.Exists || after.Length != size || after.LastWriteTimeUtc.Ticks != mtime;
                // Edited while uploading: what went up is recorded, and the index makes the next sync send the newer version.
                index.Put(new IndexEntry(item.Key, result.Path, false, size, changedMeanwhile ? -1 : mtime, result.Rev, result.ContentHash, blocks));
                report.FileUploaded();
            }
            catch (DropSyncApiException e) when (e.Code == "conflict" && e.Body.ValueKind == JsonValueKind.Object)
            {
                index.RemoveUpload(item.Key);
                await HandleConflictAsync(item, e, size, mtime, blocks, ct);
            }
            catch (DropSyncApiException e) when (e.Code is "name_clash" or "path_is_folder" or "path_conflict")
            {
                HandleNameProblem(item, e);
            }
            finally
            {
                Advance(Math.Max(0, item.Size - sent), item.Rel);
            }
        }

        /// <summary>Splits small uploads into batches: at least a few (so they go up side by side), each within the file and byte limits.</summary>
        private List<List<(LocalItem Item, string Mode, string? Rev)>> Batches(List<(LocalItem Item, string Mode, string? Rev)> uploads)
        {
            var batches = new List<List<(LocalItem Item, string Mode, string? Rev)>>();
            var per = Math.Clamp((uploads.Count + o.BatchParallelism - 1) / Math.Max(1, o.BatchParallelism), 1, Math.Max(1, o.BatchMaxFiles));
            var batch = new List<(LocalItem Item, string Mode, string? Rev)>();
            long bytes = 0;
            foreach (var u in uploads)
            {
                if (batch.Count > 0 && (batch.Count >= per || bytes + u.Item.Size > o.BatchMaxBytes))
                {
                    batches.Add(batch);
                    batch = [];
                    bytes = 0;
                }

                batch.Add(u);
                bytes += u.Item.Size;
            }

            if (batch.Count > 0)
            {
                batches.Add(batch);
            }

            return batches;
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
                    if (!info.Exists || info.Length > o.SmallFileLimit)
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
                    catch (IOException e)
                    {
                        RecordError(e);
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
                catch (DropSyncApiException e) when (e.Status is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed && e.Code is "not_found" or "method_not_allowed")
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
                    report.Uploaded(f.Bytes.Length);
                    try
                    {
                        if (i < results.Count && results[i].Metadata is { } metadata && results[i].Error is null)
                        {
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
                        RecordError(e);
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
                RecordError(e);
            }
        }

        private void RecordError(Exception e)
        {
            lock (report.Errors)
            {
                report.Errors.Add(e.Message);
            }

            o.Log?.Invoke($"error: {e.Message}");
        }

        /// <summary>Records a committed upload; a file edited while it went up keeps mtime -1 so the next sync sends the newer version.</summary>
        private void RecordUpload(LocalItem item, long size, long mtime, IReadOnlyList<BlockRef> blocks, RemoteEntry result)
        {
            var after = new FileInfo(Full(item.Rel));
            var changedMeanwhile = !after.Exists || after.Length != size || after.LastWriteTimeUtc.Ticks != mtime;
            index.Put(new IndexEntry(item.Key, result.Path, false, size, changedMeanwhile ? -1 : mtime, result.Rev, result.ContentHash, blocks));
            report.FileUploaded();
        }

        /// <summary>An upload the server refused: a conflict or a name problem is resolved as for a single upload; anything else is an error.</summary>
        private async Task HandleUploadErrorAsync(LocalItem item, DropSyncApiException e, long size, long mtime, IReadOnlyList<BlockRef> blocks, CancellationToken ct)
        {
            if (e.Code == "conflict" && e.Body.ValueKind == JsonValueKind.Object)
            {
                await HandleConflictAsync(item, e, size, mtime, blocks, ct);
            }
            else if (e.Code is "name_clash" or "path_is_folder" or "path_conflict")
            {
                HandleNameProblem(item, e);
            }
            else
            {
                throw e;
            }
        }

        private void HandleNameProblem(LocalItem item, DropSyncApiException e)
        {
            var renamed = SetAside(item.Rel, false, e.Code == "name_clash" ? "case conflict" : "file conflict");
            lock (report.Conflicts)
            {
                report.Conflicts.Add($"{item.Rel}: {e.ServerMessage} Renamed the local file to {renamed}; it will be uploaded under that name.");
            }

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
                    o.Log?.Invoke($"resuming the upload of {item.Rel}: {session.Missing.Count} of {blocks.Count} blocks to go");
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
                await Parallel.ForEachAsync(session.Missing, new ParallelOptions { MaxDegreeOfParallelism = o.BlockParallelism, CancellationToken = ct }, async (m, c) =>
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

            var result = await _api.FinishUploadAsync(session.UploadId, ct);
            index.RemoveUpload(item.Key);
            return (result, blocks, sent);
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
        private async Task HandleConflictAsync(LocalItem item, DropSyncApiException e, long size, long mtime, IReadOnlyList<BlockRef> blocks, CancellationToken ct)
        {
            var current = e.Body.GetProperty("current").Deserialize<RemoteEntry>(DropSyncApi.Json)!;
            var copy = e.Body.GetProperty("conflicted_copy").Deserialize<RemoteEntry>(DropSyncApi.Json)!;
            var copyRel = LocalRelFor(copy.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(Full(copyRel))!);
            File.Move(Full(item.Rel), Full(copyRel), overwrite: false);
            index.Put(new IndexEntry(KeyOf(copy.Path), copy.Path, false, size, mtime, copy.Rev, copy.ContentHash, blocks));
            report.Uploaded(0);
            lock (report.Conflicts)
            {
                report.Conflicts.Add($"{item.Rel}: changed on another device too. Your version is now {copyRel}; the other version is at {item.Rel}.");
            }

            o.Log?.Invoke($"conflict on {item.Rel}: your version was kept as {copyRel}");
            if (current.IsFile && Down)
            {
                await DownloadAsync(current, null, ct);
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
                if (size <= o.SmallFileLimit)
                {
                    using var memory = new MemoryStream((int)size);
                    await _api.DownloadAsync(r.Path, r.Rev, 0, memory, ct);
                    var bytes = memory.ToArray();
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
                report.FileDownloaded();
            }
            finally
            {
                Advance(Math.Max(0, size - received), rel);
            }
        }

        private async Task<(IReadOnlyList<BlockRef> Blocks, long Received)> DownloadBlocksAsync(RemoteEntry r, string temp, CancellationToken ct)
        {
            var list = await _api.GetBlocksAsync(r.Path, r.Rev, ct);
            var size = list.Metadata.Size ?? r.Size ?? 0;
            long received = 0;
            await using (var file = new FileStream(temp, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.Asynchronous))
            {
                // A partial file from an interrupted run: its blocks that verify are kept.
                var existingLength = file.Length;
                var handle = file.SafeFileHandle;
                await Parallel.ForEachAsync(list.Blocks, new ParallelOptions { MaxDegreeOfParallelism = o.BlockParallelism, CancellationToken = ct }, async (b, c) =>
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
                file.SetLength(size);
                await file.FlushAsync(ct);
                file.Flush(flushToDisk: true);
            }

            // The whole file against the server's content hash, before it replaces anything.
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

                if (hasher.GetHashHex() != (list.Metadata.ContentHash ?? r.ContentHash))
                {
                    check.Close();
                    File.Delete(temp);
                    throw new InvalidDataException($"The download of {r.Path} does not match its content hash; it will be fetched again on the next sync.");
                }
            }

            return (list.Blocks.Select(b => new BlockRef(BlockHash.Parse(b.Hash), b.Size)).ToList(), received);
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
                lock (report.Conflicts)
                {
                    report.Conflicts.Add($"{rel}: a folder here, a file on the server; the folder was renamed to {renamed}");
                }
            }
            else if (File.Exists(full))
            {
                var info = new FileInfo(full);
                var known = prior is not null && info.Length == prior.Size && info.LastWriteTimeUtc.Ticks == prior.Mtime;
                if (!known)
                {
                    var kept = SetAsideAsConflictedCopy(rel);
                    lock (report.Conflicts)
                    {
                        report.Conflicts.Add($"{rel}: changed here and on the server. Your version is now {kept}; the server's is at {rel}.");
                    }

                    o.Log?.Invoke($"conflict on {rel}: your local version was kept as {kept}");
                }
            }

            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.Move(temp, full, overwrite: true);
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

            index.Remove(KeyOf(r.Path));
            index.RemoveUpload(KeyOf(r.Path));
            lock (report)
            {
                report.DeletedRemote++;
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
            lock (report)
            {
                report.DeletedLocal++;
            }

            return Task.CompletedTask;
        }

        private async Task SyncFoldersAsync(SyncPlan plan, CancellationToken ct)
        {
            var deletedRemote = plan.DeleteRemote.Select(r => KeyOf(r.Path)).ToHashSet(StringComparer.Ordinal);
            var keys = new HashSet<string>(_local.Values.Where(l => l.IsDir).Select(l => l.Key), StringComparer.Ordinal);
            keys.UnionWith(_remote.Values.Where(r => r.IsFolder).Select(r => KeyOf(r.Path)));
            keys.UnionWith(_idx.Values.Where(i => i.IsDir).Select(i => i.Key));
            // Deepest first, so a folder's subfolders are handled before it.
            foreach (var key in keys.OrderByDescending(k => k.Length))
            {
                _local.TryGetValue(key, out var l);
                _remote.TryGetValue(key, out var r);
                _idx.TryGetValue(key, out var i);
                if (l is { IsDir: false } || r is { IsFolder: false } || i is { IsDir: false })
                {
                    continue;
                }

                switch (l, r, i)
                {
                    case (not null, not null, _):
                        if (i is null)
                        {
                            index.Put(new IndexEntry(key, r.Path, true, 0, 0, null, null, []));
                        }

                        break;
                    case (null, not null, not null) when Up:
                        // Deleted here: delete it on the server only if nothing below it is left there.
                        var prefix = key + "/";
                        if (!_remote.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal) && !deletedRemote.Contains(k)))
                        {
                            await _api.DeleteAsync(r.Path, ct);
                            index.Remove(key);
                        }

                        break;
                    case (null, not null, null) when Down:
                        Directory.CreateDirectory(Full(LocalRelFor(r.Path)));
                        index.Put(new IndexEntry(key, r.Path, true, 0, 0, null, null, []));
                        break;
                    case (not null, null, not null) when Down:
                        // Deleted on the server: remove it here if nothing is left in it.
                        if (!Directory.EnumerateFileSystemEntries(Full(l.Rel)).Any())
                        {
                            Directory.Delete(Full(l.Rel));
                        }

                        index.Remove(key);
                        break;
                    case (not null, null, null) when Up:
                        if (!Directory.EnumerateFileSystemEntries(Full(l.Rel)).Any())
                        {
                            var created = await _api.CreateFolderAsync("/" + l.Rel, ct);
                            index.Put(new IndexEntry(key, created.Path, true, 0, 0, null, null, []));
                            report.FoldersCreated++;
                        }

                        break;
                    case (null, null, not null):
                        index.Remove(key);
                        break;
                }
            }
        }
    }
}
