using System.Net;
using DropSync.Client.Api;
using DropSync.Core.Errors;

namespace DropSync.Client.Sync;

/// <summary>Before planning: names that differ only by case, folder case renames, a file on one side and a folder on the other.</summary>
internal sealed class NameClashResolver(SyncPass p)
{
    /// <summary>
    /// A folder renamed only in case (wdmoved → WDMoved) keeps its key, so the file-by-file comparison sees nothing to
    /// do. Its name is compared with the name it was synced under (the index): renamed here, it is moved on the
    /// server; renamed on the server, it is renamed here (through a temporary name, for case-insensitive file
    /// systems). Renamed on both sides differently, or not known to the index, it is left as it is. Outermost first, so
    /// a folder's parent already has its final name.
    /// </summary>
    public async Task<bool> ResolveFolderCaseRenamesAsync(CancellationToken ct)
    {
        var rescan = false;
        foreach (var l in p.Local.Values.Where(l => l.IsDir).OrderBy(l => l.Key.Length).ToList())
        {
            if (!p.Remote.TryGetValue(l.Key, out var r) || !r.IsFolder || IndexedName(l.Key) is not { } synced)
            {
                continue;
            }

            var local = NameOf(l.Rel);
            var remote = NameOf(r.Path);
            if (local == remote)
            {
                continue;
            }

            if (p.Up && remote == synced)
            {
                var to = r.Path[..(r.Path.LastIndexOf('/') + 1)] + local;
                try
                {
                    await p.Api.MoveAsync(r.Path, to, ct);
                }
                catch (DropSyncApiException e) when (e.Status is HttpStatusCode.Conflict or HttpStatusCode.NotFound || e.Code == ErrorCodes.NoWritePermission)
                {
                    p.Options.Log?.Invoke($"could not rename {r.Path} to {to} on the server ({e.ServerMessage})");
                    continue;
                }

                var tree = p.Remote.ToDictionary(kv => kv.Key, kv => kv.Value with { Path = Repath(kv.Value.Path, r.Path, to) }, StringComparer.Ordinal);
                p.Remote = tree;
                RepathIndex(l.Key, to);
                p.Report.FileMoved();
            }
            else if (p.Down && local == synced)
            {
                var target = l.Rel[..(l.Rel.LastIndexOf('/') + 1)] + remote;
                var temp = l.Rel + ".dropsync-rename";
                Directory.Move(p.Full(l.Rel), p.Full(temp));
                Directory.Move(p.Full(temp), p.Full(target));
                RepathIndex(l.Key, r.Path);
                p.Report.FileMoved();
                rescan = true;
            }
        }

        if (rescan)
        {
            p.Local = p.Scan();
        }

        return false;
    }

    private static string NameOf(string path) => path[(path.LastIndexOf('/') + 1)..];

    private static string Repath(string path, string from, string to) =>
        path == from ? to : path.StartsWith(from + "/", StringComparison.Ordinal) ? to + path[from.Length..] : path;

    /// <summary>The name a folder was last synced under: its index entry's, or (indexes older than folder entries) a path below it.</summary>
    private string? IndexedName(string key)
    {
        if (p.Indexed.TryGetValue(key, out var i))
        {
            return i.IsDir ? NameOf(i.Path) : null;
        }

        var prefix = key + "/";
        var depth = key.Count(ch => ch == '/');
        return p.Indexed.Values.FirstOrDefault(e => e.Key.StartsWith(prefix, StringComparison.Ordinal)) is { } below
            ? below.Path.TrimStart('/').Split('/')[depth]
            : null;
    }

    /// <summary>Index entries of a renamed folder and everything below it take its new server path.</summary>
    private void RepathIndex(string key, string newPath)
    {
        var prefix = key + "/";
        foreach (var e in p.Indexed.Values.Where(e => e.Key == key || e.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList())
        {
            var depth = key.Count(ch => ch == '/') + 1;
            var rest = string.Join('/', e.Path.TrimStart('/').Split('/').Skip(depth));
            var moved = e with { Path = rest.Length == 0 ? newPath : newPath + "/" + rest };
            p.Indexed[e.Key] = moved;
            p.Index.Put(moved);
        }
    }

    /// <summary>
    /// Two local names that differ only by case: one is renamed "(case conflict)" and both are kept. The one renamed is
    /// the one that is not the synced name (server or index), so an existing file keeps its name and the newcomer moves.
    /// </summary>
    public bool ResolveCaseClashes()
    {
        var clashes = p.CaseClashes.ToList();
        foreach (var (rel, isDir) in clashes)
        {
            var key = SyncEngine.KeyOf("/" + rel);
            var known = p.Remote.TryGetValue(key, out var r) ? r.Path : p.Indexed.TryGetValue(key, out var i) ? i.Path : null;
            var aside = p.Local.TryGetValue(key, out var first) && known == "/" + rel && known != "/" + first.Rel ? (first.Rel, first.IsDir) : (rel, isDir);
            if (!Path.Exists(p.Full(aside.Item1)))
            {
                continue;
            }

            var renamed = p.Names.SetAside(aside.Item1, aside.Item2, "case conflict");
            p.Options.Log?.Invoke($"{aside.Item1} differs from another name only by case; renamed it to {renamed}");
            p.Report.Conflict($"{aside.Item1}: renamed to {renamed} (another {(aside.Item2 ? "folder" : "file")} has the same name in different case)");
        }

        return clashes.Count > 0;
    }

    /// <summary>A file on one side and a folder of the same name on the other: the local one is renamed, and both are kept.</summary>
    public bool ResolveKindClashes()
    {
        var any = false;
        foreach (var (key, item) in p.Local.OrderByDescending(kv => kv.Value.Rel.Length).ToList())
        {
            if (p.Remote.TryGetValue(key, out var r) && r.IsFolder != item.IsDir)
            {
                var renamed = p.Names.SetAside(item.Rel, item.IsDir, item.IsDir ? "folder conflict" : "file conflict");
                p.Options.Log?.Invoke($"{item.Rel} is a {(item.IsDir ? "folder" : "file")} here but a {(r.IsFolder ? "folder" : "file")} on the server; renamed the local one to {renamed}");
                p.Report.Conflict($"{item.Rel}: renamed to {renamed} (the server has a {(r.IsFolder ? "folder" : "file")} of that name)");
                any = true;
            }
        }

        return any;
    }
}
