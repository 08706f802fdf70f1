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
            p.Index.Remove(from.Key);
            var rev = moved.Rev ?? from.Rev;
            var contentHash = moved.ContentHash ?? from.ContentHash;
            p.Index.Put(new IndexEntry(to.Key, moved.Path, false, to.Size, to.Mtime, rev, contentHash, from.Blocks));
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

    public void MoveLocal(IndexEntry from, RemoteEntry to)
    {
        var fromRel = p.Local[from.Key].Rel;
        var toRel = p.LocalRelFor(to.Path);
        p.Names.EnsureLocalFolder(LocalNames.ParentRel(toRel));
        File.Move(p.Full(fromRel), p.Full(toRel), overwrite: false);
        var info = new FileInfo(p.Full(toRel));
        p.Index.Remove(from.Key);
        p.Index.Put(new IndexEntry(SyncEngine.KeyOf(to.Path), to.Path, false, info.Length, info.LastWriteTimeUtc.Ticks, to.Rev, to.ContentHash, from.Blocks));
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
        p.Local[item.Key] = item with { Rel = target };
        if (p.Indexed.TryGetValue(item.Key, out var i))
        {
            // The same bytes under a new rev (the rename gave it one) need no download; other bytes are still fetched.
            p.Index.Put(i with { Path = r.Path, Rev = SyncPlanner.SameContent(i, r) ? r.Rev : i.Rev });
        }

        p.Report.FileMoved();
    }
}
