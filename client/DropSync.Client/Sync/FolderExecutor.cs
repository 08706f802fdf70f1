using System.Net;
using DropSync.Client.Api;
using DropSync.Core.Errors;

namespace DropSync.Client.Sync;

/// <summary>Runs the plan's folder actions, deepest first, once the files are done.</summary>
internal sealed class FolderExecutor(SyncPass p)
{
    public async Task RunAsync(IEnumerable<SyncAction> folders, CancellationToken ct)
    {
        foreach (var action in folders)
        {
            switch (action)
            {
                case RecordFolderAction record:
                    p.Index.Put(Entry(record.Folder.Path));
                    break;
                case ForgetInIndexAction forget:
                    p.Index.Remove(forget.Entry.Key);
                    break;
                case DeleteRemoteFolderAction delete:
                    try
                    {
                        await p.Api.DeleteAsync(delete.Folder.Path, ct);
                        p.Report.FolderDeleted();
                    }
                    catch (DropSyncApiException e) when (e.Status == HttpStatusCode.NotFound || e.Code == ErrorCodes.NoWritePermission)
                    {
                        // Gone already, or read-only: then the index forgets it and the next sync brings it back.
                    }

                    p.Index.Remove(SyncEngine.KeyOf(delete.Folder.Path));
                    break;
                case CreateLocalFolderAction create:
                    p.Names.EnsureLocalFolder(p.LocalRelFor(create.Folder.Path));
                    p.Index.Put(Entry(create.Folder.Path));
                    break;
                case DeleteLocalFolderAction delete:
                    // Removed only if nothing is left in it (files the server never saw keep it).
                    if (!Directory.EnumerateFileSystemEntries(p.Full(delete.Folder.Rel)).Any())
                    {
                        Directory.Delete(p.Full(delete.Folder.Rel));
                        p.Report.FolderDeleted();
                    }

                    p.Index.Remove(delete.Folder.Key);
                    break;
                case CreateRemoteFolderAction create:
                    await CreateRemoteAsync(create.Folder, ct);
                    break;
                default:
                    throw new InvalidOperationException($"Not a folder action: {action.Describe()}");
            }
        }
    }

    private static IndexEntry Entry(string path) => new(SyncEngine.KeyOf(path), path, true, 0, 0, null, null, []);

    /// <summary>An empty local folder made on the server (still empty: something may have arrived since the scan).</summary>
    private async Task CreateRemoteAsync(LocalItem l, CancellationToken ct)
    {
        if (Directory.EnumerateFileSystemEntries(p.Full(l.Rel)).Any())
        {
            return;
        }

        RemoteEntry created;
        try
        {
            created = await p.Api.CreateFolderAsync("/" + l.Rel, ct);
        }
        catch (DropSyncApiException e) when (e.Code == ErrorCodes.NoWritePermission)
        {
            p.Index.PutLocalOnly(l.Key, 0, 0);
            p.Report.Conflict($"{l.Rel}: {ConflictHandler.ReadOnly}, so the folder was not made on the server. It stays on this device only.");
            return;
        }

        p.Recorder.MarkSeen(l.Key);
        p.Report.FolderCreated();
        p.Index.Put(Entry(created.Path));
        p.Recorder.FoldersOnServer(created.Path);
    }
}
