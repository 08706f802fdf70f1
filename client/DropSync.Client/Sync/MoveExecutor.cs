using System.Net;
using DropSync.Client.Api;
using DropSync.Core.Errors;

namespace DropSync.Client.Sync;

/// <summary>Moves and renames: a local move replayed on the server, a server move replayed here, a case-only rename.</summary>
internal sealed class MoveExecutor(SyncPass p)
{
    public async Task MoveRemoteAsync(IndexEntry from, LocalItem to, List<UploadAction> uploads, CancellationToken ct)
    {
        try
        {
            var moved = await p.Api.MoveAsync(from.Path, "/" + to.Rel, ct);
            var rev = moved.Rev ?? from.Rev;
            var contentHash = moved.ContentHash ?? from.ContentHash;
            p.Index.MoveEntry(from.Key, new IndexEntry(to.Key, moved.Path, false, to.Size, to.Mtime, rev, contentHash, from.Blocks));
            p.Recorder.FoldersOnServer(moved.Path);
            p.Report.FileMoved();
        }
        catch (DropSyncApiException e) when (e.Status is HttpStatusCode.Conflict or HttpStatusCode.NotFound || e.Code == ErrorCodes.NoWritePermission)
        {
            // (Read-only there: the upload is refused too, and keeps the file as a local-only one.)
            // Fall back to uploading the new name (its blocks are already on the server) and leaving the old one alone.
            p.Options.Log?.Invoke($"could not move {from.Path} to /{to.Rel} on the server ({e.ServerMessage}); uploading it instead");
            uploads.Add(new UploadAction(to, "add", null, "move refused"));
        }
    }

    /// <summary>
    /// One move of a folder on the server (whatever it holds there moves with it); the index follows, keeping the
    /// files' revs: the server gave them new ones for the same bytes, which the next sync records without a transfer.
    /// If the server refuses, each file is moved on its own as before.
    /// </summary>
    public async Task MoveRemoteFolderAsync(MoveRemoteFolderAction move, List<UploadAction> uploads, CancellationToken ct)
    {
        RemoteEntry moved;
        try
        {
            moved = await p.Api.MoveAsync(move.FromPath, "/" + move.ToRel, ct);
        }
        catch (DropSyncApiException e) when (e.Status is HttpStatusCode.Conflict or HttpStatusCode.NotFound || e.Code == ErrorCodes.NoWritePermission)
        {
            p.Options.Log?.Invoke($"could not move the folder {move.FromPath} to /{move.ToRel} on the server ({e.ServerMessage}); moving its files one by one");
            foreach (var (from, to) in move.Files)
            {
                await MoveRemoteAsync(from, to, uploads, ct);
            }

            return;
        }

        var fromKey = SyncEngine.KeyOf(move.FromPath);
        using var batch = p.Index.Batch();
        foreach (var folder in p.Indexed.Values.Where(i => i.IsDir && (i.Key == fromKey || i.Key.StartsWith(fromKey + "/", StringComparison.Ordinal))))
        {
            var path = moved.Path + folder.Path[move.FromPath.Length..];
            p.Index.Remove(folder.Key);
            p.Index.Put(folder with { Key = SyncEngine.KeyOf(path), Path = path });
        }

        foreach (var (from, to) in move.Files)
        {
            var path = moved.Path + from.Path[move.FromPath.Length..];
            p.Index.MoveEntry(from.Key, new IndexEntry(to.Key, path, false, to.Size, to.Mtime, from.Rev, from.ContentHash, from.Blocks));
            p.Recorder.FoldersOnServer(path);
            p.Report.FileMoved();
        }
    }

    /// <summary>A folder the server moved: one rename here, the index following with the files' new revs.</summary>
    public void MoveLocalFolder(MoveLocalFolderAction move)
    {
        var fromKey = move.Folder.Key;
        var toRel = p.LocalRelFor(move.To.Path);
        p.Names.EnsureLocalFolder(LocalNames.ParentRel(toRel));
        Directory.Move(p.Full(move.Folder.Rel), p.Full(toRel));
        p.Index.PlacedFiles.Renamed(p.Full(move.Folder.Rel), p.Full(toRel));
        using var batch = p.Index.Batch();
        foreach (var folder in p.Indexed.Values.Where(i => i.IsDir && (i.Key == fromKey || i.Key.StartsWith(fromKey + "/", StringComparison.Ordinal))))
        {
            var path = move.To.Path + folder.Path[fromKey.Length..];
            p.Index.Remove(folder.Key);
            p.Index.Put(folder with { Key = SyncEngine.KeyOf(path), Path = path });
        }

        foreach (var (from, to) in move.Files)
        {
            var info = new FileInfo(p.Full(toRel + p.Local[from.Key].Rel[move.Folder.Rel.Length..]));
            p.Index.MoveEntry(from.Key, new IndexEntry(SyncEngine.KeyOf(to.Path), to.Path, false, info.Length, info.LastWriteTimeUtc.Ticks, to.Rev, to.ContentHash, from.Blocks));
            p.Recorder.FoldersOnServer(to.Path);
            p.Report.FileMoved();
        }
    }

    public void MoveLocal(IndexEntry from, RemoteEntry to)
    {
        var fromRel = p.Local[from.Key].Rel;
        var toRel = p.LocalRelFor(to.Path);
        p.Names.EnsureLocalFolder(LocalNames.ParentRel(toRel));
        File.Move(p.Full(fromRel), p.Full(toRel), overwrite: false);
        p.Index.PlacedFiles.Renamed(p.Full(fromRel), p.Full(toRel));
        var info = new FileInfo(p.Full(toRel));
        p.Index.MoveEntry(from.Key, new IndexEntry(SyncEngine.KeyOf(to.Path), to.Path, false, info.Length, info.LastWriteTimeUtc.Ticks, to.Rev, to.ContentHash, from.Blocks));
        p.Recorder.FoldersOnServer(to.Path);
        p.Report.FileMoved();
    }

    public void RenameLocalForRemoteCase(LocalItem item, RemoteEntry r)
    {
        var slash = item.Rel.LastIndexOf('/');
        var target = (slash < 0 ? "" : item.Rel[..(slash + 1)]) + r.Name;
        // Through a temporary name, so it also works where the file system ignores case.
        var temp = item.Rel + ".dropsync-rename";
        File.Move(p.Full(item.Rel), p.Full(temp));
        File.Move(p.Full(temp), p.Full(target));
        p.Index.PlacedFiles.Renamed(p.Full(item.Rel), p.Full(target));
        p.Local[item.Key] = item with { Rel = target };
        if (p.Indexed.TryGetValue(item.Key, out var i))
        {
            // The same bytes under a new rev (the rename gave it one) need no download; other bytes are still fetched.
            p.Index.Put(SyncPlanner.SameContent(i, r) ? i with { Path = r.Path, Rev = r.Rev, ContentHash = r.ContentHash } : i with { Path = r.Path });
        }

        p.Report.FileMoved();
    }
}
