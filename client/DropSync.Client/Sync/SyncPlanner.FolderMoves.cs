namespace DropSync.Client.Sync;

public static partial class SyncPlanner
{
    private sealed partial class Planning
    {
        /// <summary>
        /// Folders moved or renamed here: a synced folder gone from the folder, and a new local folder holding every
        /// file the index had below it, at the same place below, unchanged (size and mtime), none of them edited on the
        /// server since. That is one move of the folder on the server (files added to it there meanwhile move with it
        /// and come down under the new name on the next sync). Anything less than the whole folder stays file by file.
        /// </summary>
        private void LocalFolderMoves()
        {
            var gone = input.Remote.Where(kv => kv.Value.IsFolder).Select(kv => kv.Key)
                .Where(k => !input.Local.ContainsKey(k) && WasSynced(k))
                .ToHashSet(StringComparer.Ordinal);
            var taken = new HashSet<string>(StringComparer.Ordinal);
            foreach (var key in gone.Where(k => !gone.Contains(ParentKey(k))).OrderBy(k => k, StringComparer.Ordinal))
            {
                var prefix = key + "/";
                var files = _indexFiles.Values.Where(i => i.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
                if (files.Count == 0 || !files.All(i => _remoteFiles.TryGetValue(i.Key, out var r) && Unedited(i, r)))
                {
                    continue;
                }

                if (NewHome(key, files, taken) is not { } to)
                {
                    continue;
                }

                var toKey = to.Key;
                var pairs = files.Select(i => (i, _localFiles[toKey + i.Key[key.Length..]])).ToList();
                _plan.MovesRemoteFolders.Add(new MoveRemoteFolderAction(input.Remote[key].Path, to.Rel, pairs));
                taken.Add(toKey);
                _handled.Add(key);
                _handled.UnionWith(input.Index.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)));
                _handled.UnionWith(input.Remote.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)));
                _handled.UnionWith(pairs.Select(p => p.Item2.Key));

                // The folder pass leaves both trees alone: the move makes the new one on the server, old and all.
                _inDeletedTrees.Add(key);
                _inDeletedTrees.UnionWith(input.Index.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)));
                _inDeletedTrees.UnionWith(input.Remote.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)));
                _inDeletedTrees.Add(toKey);
                _inDeletedTrees.UnionWith(input.Local.Keys.Where(k => k.StartsWith(toKey + "/", StringComparison.Ordinal)));
            }
        }

        /// <summary>
        /// Whether the server's file is still what the index recorded: the same rev, or a new rev with the same bytes. A
        /// folder move gives every file below it a new rev the mover learns only from the next delta, so a folder renamed
        /// twice in a row would otherwise go up file by file the second time.
        /// </summary>
        private static bool Unedited(IndexEntry i, Api.RemoteEntry r) => r.Rev == i.Rev || SameContent(i, r);

        /// <summary>The new local folder that holds all of <paramref name="files"/> (the index's files below the folder <paramref name="key"/>), if there is one.</summary>
        private LocalItem? NewHome(string key, List<IndexEntry> files, HashSet<string> taken)
        {
            // The first file names the candidates: new local files like it whose path ends as its path below the folder.
            var first = files[0];
            var below = first.Key[key.Length..];
            foreach (var l in _localFiles.Values)
            {
                if (l.Size != first.Size || l.Mtime != first.Mtime || !l.Key.EndsWith(below, StringComparison.Ordinal) || l.Key.Length == below.Length)
                {
                    continue;
                }

                var toKey = l.Key[..^below.Length];
                if (taken.Contains(toKey) || !input.Local.TryGetValue(toKey, out var folder) || !folder.IsDir
                    || WasSynced(toKey) || input.Remote.ContainsKey(toKey) || toKey.StartsWith(key + "/", StringComparison.Ordinal))
                {
                    continue;
                }

                var all = files.All(i => _localFiles.TryGetValue(toKey + i.Key[key.Length..], out var m) && !_handled.Contains(m.Key)
                    && m.Size == i.Size && m.Mtime == i.Mtime && !_indexFiles.ContainsKey(m.Key) && !_remoteFiles.ContainsKey(m.Key));
                if (all)
                {
                    return folder;
                }
            }

            return null;
        }
    }
}
