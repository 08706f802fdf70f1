using DropSync.Client.Api;

namespace DropSync.Client.Sync;

/// <summary>
/// One thing a sync does, decided by <see cref="SyncPlanner"/> and done by the executor. <see cref="Describe"/> is the
/// line <c>dropsync status</c> prints and the planner scenarios compare, so both read the same words.
/// </summary>
public abstract record SyncAction
{
    public abstract string Describe();
}

/// <summary>Sends a local file: <c>add</c> (new, or an edit that beats a delete) or <c>update</c> of <paramref name="Rev"/>.</summary>
/// <param name="Why">What the planner saw: new, edited, conflict (both sides edited: the server keeps both), edit beats delete, new on both sides.</param>
/// <param name="Over">New on both sides with the same size: the server's file, which the upload first compares the local
/// bytes with (<see cref="ContentMatch"/>), so that the same bytes under another hash kind or block cut are not sent as a conflict.</param>
public sealed record UploadAction(LocalItem Item, string Mode, string? Rev, string Why, RemoteEntry? Over = null) : SyncAction
{
    public override string Describe() => $"upload {Mode} /{Item.Rel} ({Why})";
}

/// <summary>Fetches a server file; a local version the index does not know is set aside as a conflicted copy first.</summary>
public sealed record DownloadAction(RemoteEntry Remote, IndexEntry? Prior, string Why) : SyncAction
{
    public override string Describe() => $"download {Remote.Path} ({Why})";
}

/// <summary>Deletes a local file deleted on the server (unless it changed since the scan).</summary>
public sealed record DeleteLocalAction(IndexEntry Entry) : SyncAction
{
    public override string Describe() => $"delete local {Entry.Path}";
}

/// <summary>Deletes a server file deleted here.</summary>
public sealed record DeleteRemoteAction(RemoteEntry Remote) : SyncAction
{
    public override string Describe() => $"delete remote {Remote.Path}";
}

/// <summary>A folder deleted here, the topmost of its deleted tree: one delete on the server, with the files below it.</summary>
public sealed record DeleteRemoteTreeAction(RemoteEntry Folder, int Files) : SyncAction
{
    public override string Describe() => $"delete remote folder {Folder.Path} ({Files} files)";
}

/// <summary>A file moved or renamed here: moved on the server, without sending it again.</summary>
public sealed record MoveRemoteAction(IndexEntry From, LocalItem To) : SyncAction
{
    public override string Describe() => $"move remote {From.Path} -> /{To.Rel}";
}

/// <summary>A folder moved or renamed here, every file below it recognised by the index: one move on the server.</summary>
/// <param name="FromPath">The folder's server path.</param>
/// <param name="ToRel">Its new local path.</param>
/// <param name="Files">The index's files below the old folder, each with the local file it is now.</param>
public sealed record MoveRemoteFolderAction(string FromPath, string ToRel, IReadOnlyList<(IndexEntry From, LocalItem To)> Files) : SyncAction
{
    public override string Describe() => $"move remote folder {FromPath} -> /{ToRel} ({Files.Count} files)";
}

/// <summary>A file moved or renamed on the server: moved here, without fetching it again.</summary>
public sealed record MoveLocalAction(IndexEntry From, RemoteEntry To) : SyncAction
{
    public override string Describe() => $"move local {From.Path} -> {To.Path}";
}

/// <summary>A file renamed on the server only in case: renamed here (through a temporary name).</summary>
public sealed record RenameLocalCaseAction(LocalItem Item, RemoteEntry Remote) : SyncAction
{
    public override string Describe() => $"rename local /{Item.Rel} -> {Remote.Path}";
}

/// <summary>Nothing to transfer, only the index to bring up to date (a new rev with the same bytes).</summary>
public sealed record RecordInIndexAction(IndexEntry Entry) : SyncAction
{
    public override string Describe() => $"record {Entry.Path} rev {Entry.Rev}";
}

/// <summary>Gone from both sides: the index forgets it.</summary>
public sealed record ForgetInIndexAction(IndexEntry Entry) : SyncAction
{
    public override string Describe() => $"forget {Entry.Path}{(Entry.IsDir ? "/" : "")}";
}

/// <summary>A folder on both sides the index does not have yet: recorded.</summary>
public sealed record RecordFolderAction(RemoteEntry Folder) : SyncAction
{
    public override string Describe() => $"record folder {Folder.Path}";
}

/// <summary>A server folder new to this device: made here.</summary>
public sealed record CreateLocalFolderAction(RemoteEntry Folder) : SyncAction
{
    public override string Describe() => $"create local folder {Folder.Path}";
}

/// <summary>An empty local folder new to the server: made there (folders with files are made by their uploads).</summary>
public sealed record CreateRemoteFolderAction(LocalItem Folder) : SyncAction
{
    public override string Describe() => $"create remote folder /{Folder.Rel}";
}

/// <summary>A folder deleted on the server: removed here once empty (files the server never saw keep it).</summary>
public sealed record DeleteLocalFolderAction(LocalItem Folder) : SyncAction
{
    public override string Describe() => $"delete local folder /{Folder.Rel}";
}

/// <summary>A folder deleted here while something below changed on the server: deleted there once nothing below is left.</summary>
public sealed record DeleteRemoteFolderAction(RemoteEntry Folder) : SyncAction
{
    public override string Describe() => $"delete remote empty folder {Folder.Path}";
}

/// <summary>A folder moved or renamed on the server, every file below it the index's, unchanged here: one local rename.</summary>
/// <param name="Folder">The local folder.</param>
/// <param name="To">The folder's new server entry.</param>
/// <param name="Files">The index's files below the local folder, each with the server file it is now.</param>
public sealed record MoveLocalFolderAction(LocalItem Folder, RemoteEntry To, IReadOnlyList<(IndexEntry From, RemoteEntry To)> Files) : SyncAction
{
    public override string Describe() => $"move local folder /{Folder.Rel} -> {To.Path} ({Files.Count} files)";
}
