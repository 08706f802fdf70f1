using System.Net;
using DropSync.Client.Api;
using DropSync.Core.Errors;

namespace DropSync.Client.Sync;

/// <summary>Deletes of files and folder trees, here and on the server.</summary>
internal sealed class DeleteExecutor(SyncPass p)
{
    public async Task DeleteRemoteAsync(RemoteEntry r, CancellationToken ct)
    {
        try
        {
            await p.Api.DeleteAsync(r.Path, ct);
        }
        catch (DropSyncApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            // Already gone.
        }
        catch (DropSyncApiException e) when (e.Code == ErrorCodes.NoWritePermission)
        {
            // It cannot be deleted there, and failing on every sync helps nobody: the server's file comes back.
            p.Index.Remove(SyncEngine.KeyOf(r.Path));
            p.Report.Conflict($"{r.Path.TrimStart('/')}: {ConflictHandler.ReadOnly}, so it was not deleted on the server; it is restored from there.");
            if (p.Down)
            {
                await p.Downloads.DownloadAsync(r, null, ct);
            }

            return;
        }

        p.Index.Remove(SyncEngine.KeyOf(r.Path));
        p.Index.RemoveUpload(SyncEngine.KeyOf(r.Path));
        p.Report.FilesDeletedRemotely(1);
    }

    /// <summary>A folder deleted here, with everything in it: one delete on the server.</summary>
    public async Task DeleteRemoteFolderAsync(RemoteEntry folder, int files, CancellationToken ct)
    {
        var key = SyncEngine.KeyOf(folder.Path);
        var prefix = key + "/";
        var below = p.Indexed.Keys.Where(k => k == key || k.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        try
        {
            await p.Api.DeleteAsync(folder.Path, ct);
        }
        catch (DropSyncApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            // Already gone.
        }
        catch (DropSyncApiException e) when (e.Code == ErrorCodes.NoWritePermission)
        {
            // It cannot be deleted there: forget it here, and the next pass brings the server's folder back.
            below.ForEach(p.Index.Remove);
            p.Again = true;
            p.Report.Conflict($"{folder.Path.TrimStart('/')}: {ConflictHandler.ReadOnly}, so it was not deleted on the server; it is restored from there.");
            return;
        }

        below.ForEach(p.Index.Remove);
        p.Report.FilesDeletedRemotely(files);
        var folders = 1 + p.Remote.Count(kv => kv.Value.IsFolder && kv.Key.StartsWith(prefix, StringComparison.Ordinal));
        for (var n = 0; n < folders; n++)
        {
            p.Report.FolderDeleted();
        }
    }

    public Task DeleteLocal(IndexEntry i)
    {
        if (p.Local.TryGetValue(i.Key, out var l))
        {
            var info = new FileInfo(p.Full(l.Rel));
            if (info.Exists && (info.Length != i.Size || info.LastWriteTimeUtc.Ticks != i.Mtime))
            {
                return Task.CompletedTask; // Edited since the scan: the edit wins and goes up next time.
            }

            // A large file's space is freed behind the pass (ReplacedFiles), as a replaced one's is.
            p.Replaced.FreeBehind(info, p.Index.TempFolder, () => File.Delete(info.FullName));
        }

        p.Index.Remove(i.Key);
        p.Report.FilesDeletedLocally(1);
        return Task.CompletedTask;
    }
}
