namespace DropSync.Client.Sync;

/// <summary>
/// What one sync pass does, in the order the executor does it: index-only updates, renames and moves, then transfers
/// and deletes of files (side by side), then folders (deepest first).
/// </summary>
public sealed class SyncPlan
{
    public List<RecordInIndexAction> Records { get; } = [];
    public List<ForgetInIndexAction> Forgets { get; } = [];
    public List<RenameLocalCaseAction> LocalRenames { get; } = [];
    public List<MoveRemoteFolderAction> MovesRemoteFolders { get; } = [];
    public List<MoveRemoteAction> MovesRemote { get; } = [];
    public List<MoveLocalFolderAction> MovesLocalFolders { get; } = [];
    public List<MoveLocalAction> MovesLocal { get; } = [];

    /// <summary>Largest first, so one big file does not start last and leave the other workers idle.</summary>
    public List<UploadAction> Uploads { get; } = [];

    public List<DownloadAction> Downloads { get; } = [];
    public List<DeleteRemoteTreeAction> DeleteRemoteTrees { get; } = [];
    public List<DeleteRemoteAction> DeleteRemote { get; } = [];
    public List<DeleteLocalAction> DeleteLocal { get; } = [];

    /// <summary>Folder actions, deepest first, run once the files are done.</summary>
    public List<SyncAction> Folders { get; } = [];

    /// <summary>Files this plan deletes on the server (also those inside a deleted folder).</summary>
    public int RemoteFileDeletions => DeleteRemote.Count + DeleteRemoteTrees.Sum(f => f.Files);

    public int Deletions => DeleteLocal.Count + RemoteFileDeletions;

    public IEnumerable<SyncAction> Actions =>
        Records.Cast<SyncAction>().Concat(Forgets).Concat(LocalRenames).Concat(MovesRemoteFolders).Concat(MovesRemote).Concat(MovesLocalFolders).Concat(MovesLocal)
            .Concat(Uploads).Concat(Downloads).Concat(DeleteRemoteTrees).Concat(DeleteRemote).Concat(DeleteLocal).Concat(Folders);

    public bool IsEmpty => !Actions.Any();
}
