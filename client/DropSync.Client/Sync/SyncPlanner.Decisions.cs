using DropSync.Client.Api;

namespace DropSync.Client.Sync;

public static partial class SyncPlanner
{
    private sealed partial class Planning
    {
        /// <summary>One file key in the three-way comparison: local (l), index (i), server (r).</summary>
        private void File(string key, LocalItem? l, IndexEntry? i, RemoteEntry? r)
        {
            switch (l, i, r)
            {
                case (not null, null, null):
                    if (Up)
                    {
                        Upload(l, "add", null, "new");
                    }

                    break;
                case (not null, null, not null):
                    // New on both sides: upload in add mode; identical content is a no-op, different content a conflict.
                    if (Up)
                    {
                        Upload(l, "add", null, "new on both sides", ContentMatch.BeforeAdd(l.Size, r) == ContentCheck.Different ? null : r);
                    }
                    else
                    {
                        _plan.Downloads.Add(new DownloadAction(r, null, "new on both sides"));
                    }

                    break;
                case (not null, not null, not null):
                    Both(l, i, r);
                    break;
                case (not null, not null, null):
                    // Deleted on the server. An edit here beats the delete: it goes up as a new file.
                    if (LocalChanged(l, i))
                    {
                        if (Up)
                        {
                            Upload(l, "add", null, "edit beats delete");
                        }
                    }
                    else if (Down)
                    {
                        _plan.DeleteLocal.Add(new DeleteLocalAction(i));
                    }

                    break;
                case (null, not null, not null):
                    // Deleted here. An edit on the server beats the delete: it comes down again.
                    if (r.Rev != i.Rev)
                    {
                        if (Down)
                        {
                            _plan.Downloads.Add(new DownloadAction(r, null, "edit beats delete"));
                        }
                    }
                    else if (Up)
                    {
                        _plan.DeleteRemote.Add(new DeleteRemoteAction(r));
                    }

                    break;
                case (null, not null, null):
                    _plan.Forgets.Add(new ForgetInIndexAction(i));
                    break;
                case (null, null, not null):
                    if (Down && !input.Local.ContainsKey(key))
                    {
                        _plan.Downloads.Add(new DownloadAction(r, null, "new"));
                    }

                    break;
            }
        }

        /// <summary>A file synced before and still on both sides.</summary>
        private void Both(LocalItem l, IndexEntry i, RemoteEntry r)
        {
            var lc = LocalChanged(l, i);
            var rc = r.Rev != i.Rev;
            var renamedThere = !lc && !Path.GetFileName(l.Rel.AsSpan()).SequenceEqual(r.Name);
            if (renamedThere && Down)
            {
                _plan.LocalRenames.Add(new RenameLocalCaseAction(l, r));
            }

            if (lc && Up)
            {
                // If the server changed too, this answers a conflict and the server keeps ours as a conflicted copy.
                Upload(l, "update", i.Rev, rc ? "conflict: edited on both sides, both kept" : "edited");
            }
            else if (!lc && rc && SameContent(i, r))
            {
                // A new rev with the same bytes (a case-only rename gets one): nothing to fetch, only the rev to remember
                // (a rename does that as it renames).
                if (!renamedThere || !Down)
                {
                    // The server's hash too: a later server-side move of it is then matched by exact hash text.
                    _plan.Records.Add(new RecordInIndexAction(i with { Rev = r.Rev, Path = renamedThere ? i.Path : r.Path, ContentHash = r.ContentHash }));
                }
            }
            else if (!lc && rc && Down)
            {
                _plan.Downloads.Add(new DownloadAction(r, i, "edited on the server"));
            }
            else if (lc && rc && !Up)
            {
                _plan.Downloads.Add(new DownloadAction(r, i, "conflict: edited on both sides, yours set aside"));
            }
        }

        /// <summary>
        /// Folders, deepest first, once the files are done: made on the side that lacks them, deleted on the side that
        /// still has them once nothing is left in them (files the other side never saw are kept, and keep their folder).
        /// Whether a folder missing on one side was deleted there or is new on the other is what the index tells.
        /// </summary>
        private void Folders()
        {
            var deletedRemote = _plan.DeleteRemote.Select(d => SyncEngine.KeyOf(d.Remote.Path)).ToHashSet(StringComparer.Ordinal);
            var keys = new HashSet<string>(input.Local.Values.Where(l => l.IsDir).Select(l => l.Key), StringComparer.Ordinal);
            keys.UnionWith(input.Remote.Where(kv => kv.Value.IsFolder).Select(kv => kv.Key));
            keys.UnionWith(input.Index.Values.Where(i => i.IsDir).Select(i => i.Key));
            keys.ExceptWith(_inDeletedTrees);
            foreach (var key in keys.OrderByDescending(k => k.Length).ThenBy(k => k, StringComparer.Ordinal))
            {
                var l = input.Local.GetValueOrDefault(key);
                var r = input.Remote.GetValueOrDefault(key);
                var i = input.Index.GetValueOrDefault(key);
                if (l is { IsDir: false } || r is { IsFolder: false } || i is { IsDir: false })
                {
                    continue;
                }

                var synced = WasSynced(key);
                var prefix = key + "/";
                switch (l, r)
                {
                    case (not null, not null):
                        if (i is null)
                        {
                            _plan.Folders.Add(new RecordFolderAction(r));
                        }

                        break;
                    case (null, not null) when synced && Up:
                        // Deleted here while something below changed on the server: delete it there once nothing below is left.
                        if (!input.Remote.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal) && !deletedRemote.Contains(k)))
                        {
                            _plan.Folders.Add(new DeleteRemoteFolderAction(r));
                            deletedRemote.Add(key);
                        }

                        break;
                    case (null, not null) when !synced && Down:
                        _plan.Folders.Add(new CreateLocalFolderAction(r));
                        break;
                    case (not null, null) when synced && Down:
                        // Deleted on the server: removed here if nothing is left in it.
                        _plan.Folders.Add(new DeleteLocalFolderAction(l));
                        break;
                    case (not null, null) when !synced && Up:
                        // Folders with files in them are made by the uploads; an empty one is made here.
                        if (!input.LocalOnly.ContainsKey(key) && !input.Local.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal)))
                        {
                            _plan.Folders.Add(new CreateRemoteFolderAction(l));
                        }

                        break;
                    case (null, null) when i is not null:
                        _plan.Folders.Add(new ForgetInIndexAction(i));
                        break;
                }
            }
        }
    }
}
