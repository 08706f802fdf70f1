namespace DropSync.Client.Sync;

public enum SyncDirection
{
    Both,
    /// <summary>Only local changes go up; nothing local is changed.</summary>
    Push,
    /// <summary>Only server changes come down; nothing on the server is changed.</summary>
    Pull,
}

public sealed class SyncOptions
{
    public SyncDirection Direction { get; init; } = SyncDirection.Both;

    /// <summary>Go ahead past the safety nets (empty or missing folder, mass deletion); a missing folder is created.</summary>
    public bool Force { get; init; }

    /// <summary>Create the sync folder if it does not exist (without it, a missing folder stops the sync).</summary>
    public bool CreateFolder { get; init; }

    /// <summary>How many files transfer at once.</summary>
    public int Parallelism { get; init; } = 16;

    /// <summary>How many blocks of one large file transfer at once.</summary>
    public int BlockParallelism { get; init; } = 6;

    /// <summary>
    /// How many block transfers (a block or a run of blocks, up or down) the whole pass has in flight at once. Each holds
    /// a block buffer (up to 4 MiB), so this bounds the client's memory when many large files move side by side
    /// (<see cref="Parallelism"/> × <see cref="BlockParallelism"/> would be 96); one file alone still gets its
    /// <see cref="BlockParallelism"/>.
    /// </summary>
    public int MaxBlockTransfers { get; init; } = 16;

    /// <summary>Files up to this size go up in one request (uploadType=media) and come down whole.</summary>
    public long SmallFileLimit { get; init; } = 1024 * 1024;

    /// <summary>Small files go up many to a request (<c>/files/upload_batch</c>); off, each goes up on its own.</summary>
    public bool BatchUploads { get; init; } = true;

    /// <summary>Small files come down many to a request (<c>/files/download_batch</c>) where the server offers it; off, each comes on its own.</summary>
    public bool BatchDownloads { get; init; } = true;

    /// <summary>At most this many files per batch (the server takes up to 1,000).</summary>
    public int BatchMaxFiles { get; init; } = 500;

    /// <summary>
    /// At most this many files per download batch (the server answers up to 1,000): smaller answers arrive sooner, so
    /// placing files here overlaps the server reading the next batches, and fewer decoded contents are held at once.
    /// </summary>
    public int DownloadBatchMaxFiles { get; init; } = 250;

    /// <summary>At most about this many bytes per batch.</summary>
    public long BatchMaxBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>How many batches are in flight at once.</summary>
    public int BatchParallelism { get; init; } = 4;

    /// <summary>A sync that would delete more than this share of the indexed files stops unless forced.</summary>
    public double MaxDeleteFraction { get; init; } = 0.5;

    /// <summary>Below this many indexed files the mass-deletion check does not apply.</summary>
    public int MassDeleteMinimumFiles { get; init; } = 4;

    public IProgress<TransferProgress>? Progress { get; init; }

    /// <summary>Human-readable notes on what happened (conflicts, skipped files), as they happen.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>Bytes moved so far out of the bytes this sync plans to move (for progress bars with rate and ETA).</summary>
public readonly record struct TransferProgress(long Done, long Total, string? CurrentPath);

public sealed class SyncReport
{
    private long _bytesUploaded, _bytesDownloaded, _bytesReused;
    private int _scanned, _fullScans;
    private int _filesUploaded, _filesDownloaded, _deletedLocal, _deletedRemote, _moved, _foldersCreated, _foldersDeleted;

    /// <summary>Files whose content the server took: committed, or kept as a conflicted copy beside another device's edit.</summary>
    public int FilesUploaded => _filesUploaded;
    public int FilesDownloaded => _filesDownloaded;

    /// <summary>Bytes actually sent of files the server took (block PUTs and media bodies).</summary>
    public long BytesUploaded => _bytesUploaded;

    /// <summary>Bytes actually received (block GETs and whole downloads).</summary>
    public long BytesDownloaded => _bytesDownloaded;

    /// <summary>Bytes of downloaded files taken from blocks already on this device.</summary>
    public long BytesReusedLocally => _bytesReused;

    /// <summary>Files deleted here because they were deleted on the server.</summary>
    public int DeletedLocal => _deletedLocal;

    /// <summary>Files deleted on the server because they were deleted here (also those inside a deleted folder).</summary>
    public int DeletedRemote => _deletedRemote;

    /// <summary>Files moved or renamed on the server (for a local move) or here (for a server move), without transferring them.</summary>
    public int Moved => _moved;

    /// <summary>Folders this sync created, here or on the server (also those made implicitly for a file put inside them).</summary>
    public int FoldersCreated => _foldersCreated;

    /// <summary>Folders this sync deleted, here or on the server.</summary>
    public int FoldersDeleted => _foldersDeleted;

    public List<string> Conflicts { get; } = [];

    /// <summary>Files and folders this sync read from the disk (stat'ed or listed): the whole folder in a full pass, the change in an incremental one.</summary>
    public int LocalItemsScanned => _scanned;

    /// <summary>Passes that walked the whole folder (a watcher's passes read only what it reported, but at start, after an overflow and on its slow timer).</summary>
    public int FullScans => _fullScans;

    /// <summary>What failed, each once, each naming its file.</summary>
    public List<string> Errors { get; } = [];

    /// <summary>Where the sync's time went, by phase (config, index, server, scan, plan, execute, ...), summed over its passes.</summary>
    public IReadOnlyDictionary<string, double> PhaseMilliseconds
    {
        get
        {
            lock (_phases)
            {
                return new Dictionary<string, double>(_phases, StringComparer.Ordinal);
            }
        }
    }

    private readonly Dictionary<string, double> _phases = new(StringComparer.Ordinal);

    /// <summary>Adds the time since <paramref name="since"/> (a <see cref="System.Diagnostics.Stopwatch"/> timestamp) to a phase; answers now, for the next phase.</summary>
    internal long Timed(string phase, long since)
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        lock (_phases)
        {
            _phases[phase] = _phases.GetValueOrDefault(phase) + System.Diagnostics.Stopwatch.GetElapsedTime(since, now).TotalMilliseconds;
        }

        return now;
    }

    internal void Uploaded(long bytes) => Interlocked.Add(ref _bytesUploaded, bytes);
    internal void Downloaded(long bytes) => Interlocked.Add(ref _bytesDownloaded, bytes);
    internal void Reused(long bytes) => Interlocked.Add(ref _bytesReused, bytes);
    internal void FileUploaded() => Interlocked.Increment(ref _filesUploaded);
    internal void FileDownloaded() => Interlocked.Increment(ref _filesDownloaded);
    internal void FilesDeletedLocally(int n) => Interlocked.Add(ref _deletedLocal, n);
    internal void FilesDeletedRemotely(int n) => Interlocked.Add(ref _deletedRemote, n);
    internal void FileMoved() => Interlocked.Increment(ref _moved);
    internal void FolderCreated() => Interlocked.Increment(ref _foldersCreated);
    internal void FolderDeleted() => Interlocked.Increment(ref _foldersDeleted);

    internal void Scanned(int items, bool full)
    {
        Interlocked.Add(ref _scanned, items);
        if (full)
        {
            Interlocked.Increment(ref _fullScans);
        }
    }

    internal void Conflict(string message)
    {
        lock (Conflicts)
        {
            Conflicts.Add(message);
        }
    }

    /// <summary>Adds an error unless it is already listed (a second pass of one sync can meet the same failure again).</summary>
    internal void Error(string message)
    {
        lock (Errors)
        {
            if (!Errors.Contains(message))
            {
                Errors.Add(message);
            }
        }
    }
}

/// <summary>A sync stopped before changing anything because going on could spread a mistake (exit code 5 in the CLI).</summary>
public sealed class SyncSafetyException(string message) : Exception(message);
