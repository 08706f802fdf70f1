namespace DropSync.Client.Sync;

public static partial class SyncPlanner
{
    private sealed partial class Planning
    {
        /// <summary>
        /// Folders moved or renamed on the server: a synced folder gone from the server, still here with nothing in it
        /// but the index's files (all unchanged), and a new server folder holding each of those files at the same place
        /// below it with the same content. That is one local rename; anything less stays file by file.
        /// </summary>
        private void RemoteFolderMoves()
        {
            var synced = input.Index.Values.Where(i => i.IsDir).Select(i => i.Key).Concat(_indexedFolderAncestors);
            var gone = synced.Where(k => !_handled.Contains(k) && !input.Remote.ContainsKey(k) && input.Local.TryGetValue(k, out var l) && l.IsDir)
                .ToHashSet(StringComparer.Ordinal);
            var taken = new HashSet<string>(StringComparer.Ordinal);
            foreach (var key in gone.Where(k => !gone.Contains(ParentKey(k))).OrderBy(k => k, StringComparer.Ordinal))
            {
                var prefix = key + "/";
                var files = _indexFiles.Values.Where(i => i.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
                var localBelow = input.Local.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList();
                if (files.Count == 0
                    || !files.All(i => _localFiles.TryGetValue(i.Key, out var l) && !LocalChanged(l, i) && i.ContentHash is not null && !_handled.Contains(i.Key))
                    || !localBelow.All(input.Index.ContainsKey))
                {
                    continue;
                }

                if (RemoteHome(key, files, taken) is not { } to)
                {
                    continue;
                }

                var toKey = SyncEngine.KeyOf(to.Path);
                var pairs = files.Select(i => (i, _remoteFiles[toKey + i.Key[key.Length..]])).ToList();
                _plan.MovesLocalFolders.Add(new MoveLocalFolderAction(input.Local[key], to, pairs));
                taken.Add(toKey);
                _handled.Add(key);
                _handled.UnionWith(input.Index.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)));
                _handled.UnionWith(localBelow);
                _handled.UnionWith(pairs.Select(p => SyncEngine.KeyOf(p.Item2.Path)));

                // The folder pass leaves the old tree alone (it moves as a whole) and the new one to the next sync.
                _inDeletedTrees.Add(key);
                _inDeletedTrees.UnionWith(input.Index.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)));
                _inDeletedTrees.UnionWith(localBelow);
                _inDeletedTrees.Add(toKey);
                _inDeletedTrees.UnionWith(input.Remote.Keys.Where(k => k.StartsWith(toKey + "/", StringComparison.Ordinal)));
            }
        }

        /// <summary>The new server folder that holds all of <paramref name="files"/> (the index's files below the folder <paramref name="key"/>), if there is one.</summary>
        private Api.RemoteEntry? RemoteHome(string key, List<IndexEntry> files, HashSet<string> taken)
        {
            var first = files[0];
            var below = first.Key[key.Length..];
            foreach (var (k, r) in _remoteFiles)
            {
                if (r.ContentHash != first.ContentHash || r.Size != first.Size || !k.EndsWith(below, StringComparison.Ordinal) || k.Length == below.Length)
                {
                    continue;
                }

                var toKey = k[..^below.Length];
                if (taken.Contains(toKey) || !input.Remote.TryGetValue(toKey, out var folder) || !folder.IsFolder
                    || WasSynced(toKey) || input.Local.ContainsKey(toKey) || toKey.StartsWith(key + "/", StringComparison.Ordinal))
                {
                    continue;
                }

                var all = files.All(i => _remoteFiles.TryGetValue(toKey + i.Key[key.Length..], out var m) && !_handled.Contains(SyncEngine.KeyOf(m.Path))
                    && m.ContentHash == i.ContentHash && m.Size == i.Size && !_indexFiles.ContainsKey(SyncEngine.KeyOf(m.Path)) && !input.Local.ContainsKey(SyncEngine.KeyOf(m.Path)));
                if (all)
                {
                    return folder;
                }
            }

            return null;
        }
    }
}
