using DropSync.Client.Api;
using DropSync.Core.Content;

namespace DropSync.Client.Sync;

/// <summary>What the index records after a transfer: the file, and the folders above it (counted when new).</summary>
internal sealed class IndexRecorder(SyncPass p)
{
    private readonly Lock _foldersLock = new();
    private readonly HashSet<string> _foldersSeen = new(StringComparer.Ordinal);

    /// <summary>Notes a folder this sync made on the server, so its files' uploads do not count it again.</summary>
    public void MarkSeen(string key)
    {
        lock (_foldersLock)
        {
            _foldersSeen.Add(key);
        }
    }

    /// <summary>Records a local file found to hold a server file's bytes (<see cref="SameContentCheck"/>): nothing was sent.</summary>
    public void RecordSame(LocalItem item, long size, long mtime, IReadOnlyList<BlockRef> blocks, RemoteEntry remote)
    {
        var after = new FileInfo(p.Full(item.Rel));
        var changedMeanwhile = !after.Exists || after.Length != size || after.LastWriteTimeUtc.Ticks != mtime;
        p.Index.Put(new IndexEntry(item.Key, remote.Path, false, size, changedMeanwhile ? -1 : mtime, remote.Rev, remote.ContentHash, blocks));
        FoldersOnServer(remote.Path);
    }

    /// <summary>Records a committed upload; a file edited while it went up keeps mtime -1 so the next sync sends the newer version.</summary>
    public void RecordUpload(LocalItem item, long size, long mtime, IReadOnlyList<BlockRef> blocks, RemoteEntry result)
    {
        var after = new FileInfo(p.Full(item.Rel));
        var changedMeanwhile = !after.Exists || after.Length != size || after.LastWriteTimeUtc.Ticks != mtime;
        p.Index.Put(new IndexEntry(item.Key, result.Path, false, size, changedMeanwhile ? -1 : mtime, result.Rev, result.ContentHash, blocks));
        FoldersOnServer(result.Path);
        p.Report.FileUploaded();
    }

    /// <summary>
    /// Notes that the folders above a path now exist on the server and here. Each is recorded in the index, so that a
    /// later delete of it on either side is seen as a delete, not as a new folder on the other side (before, folders
    /// made for a file put inside them were never recorded, and a folder deleted here came back from the server).
    /// Those the server did not have before this sync (it makes them for a file put inside) are counted as created.
    /// </summary>
    public void FoldersOnServer(string remotePath)
    {
        for (var slash = remotePath.LastIndexOf('/'); slash > 0; slash = remotePath.LastIndexOf('/', slash - 1))
        {
            var folder = remotePath[..slash];
            var key = SyncEngine.KeyOf(folder);
            lock (_foldersLock)
            {
                if (!_foldersSeen.Add(key))
                {
                    return; // Noted already, and so were the folders above it.
                }
            }

            if (!p.Remote.TryGetValue(key, out var r) || !r.IsFolder)
            {
                p.Report.FolderCreated();
            }

            if (!p.Indexed.TryGetValue(key, out var i) || !i.IsDir)
            {
                p.Index.Put(new IndexEntry(key, folder, true, 0, 0, null, null, []));
            }
        }
    }
}
