using System.Net;
using System.Text.Json;
using DropSync.Client.Api;
using DropSync.Core.Content;
using DropSync.Core.Errors;

namespace DropSync.Client.Sync;

/// <summary>What the server refused and how both versions are kept: conflicted copies, name problems, read-only folders.</summary>
internal sealed class ConflictHandler(SyncPass p)
{
    /// <summary>An upload the server refused: a conflict or a name problem is resolved as for a single upload; anything else is an error.</summary>
    public async Task HandleUploadErrorAsync(LocalItem item, DropSyncApiException e, long size, long mtime, IReadOnlyList<BlockRef> blocks, CancellationToken ct)
    {
        if (e.Code == ErrorCodes.Conflict && e.Body.ValueKind == JsonValueKind.Object)
        {
            await HandleConflictAsync(item, e, size, mtime, blocks, size, ct);
        }
        else if (e.Code is ErrorCodes.NameClash or ErrorCodes.PathIsFolder or ErrorCodes.PathConflict)
        {
            HandleNameProblem(item, e);
        }
        else if (e.Code == ErrorCodes.NoWritePermission)
        {
            await HandleReadOnlyAsync(item, size, mtime, ct);
        }
        else
        {
            throw e;
        }
    }

    public void HandleNameProblem(LocalItem item, DropSyncApiException e)
    {
        var renamed = p.Names.SetAside(item.Rel, false, e.Code == ErrorCodes.NameClash ? "case conflict" : "file conflict");
        p.Report.Conflict($"{item.Rel}: {e.ServerMessage} Renamed the local file to {renamed}; it will be uploaded under that name.");

        p.Options.Log?.Invoke($"{item.Rel}: {e.ServerMessage} renamed it to {renamed}");
    }

    /// <summary>
    /// The server kept our edit as a conflicted copy: rename the local file to that name (no second upload) and bring
    /// down the server's version under the original name.
    /// </summary>
    /// <param name="body">Bytes of a whole-body upload the server kept as the copy (block uploads counted theirs as they went).</param>
    public async Task HandleConflictAsync(LocalItem item, DropSyncApiException e, long size, long mtime, IReadOnlyList<BlockRef> blocks, long body, CancellationToken ct)
    {
        var current = e.Body.GetProperty("current").Deserialize(DropSyncApi.Info<RemoteEntry>())!;
        var copy = e.Body.GetProperty("conflicted_copy").Deserialize(DropSyncApi.Info<RemoteEntry>())!;
        var copyRel = p.LocalRelFor(copy.Path);
        p.Names.EnsureLocalFolder(LocalNames.ParentRel(copyRel));
        if (File.Exists(p.Full(copyRel)))
        {
            // The name is free on the server but not here: an older conflicted copy, deleted on another device and
            // edited on this one. It steps aside (and goes up under its new name on the next pass); neither is lost.
            p.Names.SetAsideAsConflictedCopy(copyRel);
        }

        File.Move(p.Full(item.Rel), p.Full(copyRel), overwrite: false);
        p.Index.Put(new IndexEntry(SyncEngine.KeyOf(copy.Path), copy.Path, false, size, mtime, copy.Rev, copy.ContentHash, blocks));
        p.Recorder.FoldersOnServer(copy.Path);
        // The server took the file (as the conflicted copy): it was uploaded.
        p.Report.Uploaded(body);
        p.Report.FileUploaded();
        p.Report.Conflict($"{item.Rel}: changed on another device too. Your version is now {copyRel}; the other version is at {item.Rel}.");

        p.Options.Log?.Invoke($"conflict on {item.Rel}: your version was kept as {copyRel}");
        if (current.IsFile && p.Down)
        {
            await p.Downloads.DownloadAsync(current, null, ct);
        }
    }


    public const string ReadOnly = "read-only for you (its folder is shared with you as a viewer)";

    /// <summary>
    /// The server refused an upload because the file is in a folder shared with this user as a viewer. Trying again
    /// cannot help, so neither loses anything nor loops: an edit of a server file is kept as a local-only conflicted
    /// copy and the server's version is put back; a new file stays where it is. Either is remembered in the index as
    /// local-only and not sent again until it changes.
    /// </summary>
    public async Task HandleReadOnlyAsync(LocalItem item, long size, long mtime, CancellationToken ct)
    {
        if (p.Down && p.Remote.TryGetValue(item.Key, out var r) && r.IsFile)
        {
            var kept = p.Names.SetAsideAsConflictedCopy(item.Rel);
            p.Index.PutLocalOnly(SyncEngine.KeyOf("/" + kept), size, mtime);
            p.Report.Conflict($"{item.Rel}: {ReadOnly}, so your edit was not uploaded. It is kept on this device only as {kept}; {item.Rel} is the server's version again.");
            await p.Downloads.DownloadAsync(r, null, ct);
        }
        else
        {
            p.Index.PutLocalOnly(item.Key, size, mtime);
            p.Report.Conflict($"{item.Rel}: {ReadOnly}, so it was not uploaded. It stays on this device only and is not sent again unless you change it.");
        }
    }
}
