namespace DropSync.Core.Files;

/// <summary>Tunable lifetimes of the service; defaults are production values.</summary>
public sealed partial class DropSyncOptions
{
    /// <summary>How long a signed block URL is good for.</summary>
    public TimeSpan BlockUrlLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long an unfinished resumable upload (and the blocks it pins) is kept.</summary>
    public TimeSpan UploadSessionLifetime { get; set; } = TimeSpan.FromHours(48);

    /// <summary>How long an unreferenced block is kept before it is collected.</summary>
    public TimeSpan BlockGracePeriod { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Whether garbage collection lists the block store for bytes the index never recorded (a crash between writing and
    /// recording). AWS mode turns it off: every block is recorded before its bytes reach the bucket's blocks/ keys and
    /// the bucket's lifecycle expires staged uploads, so no run lists the bucket.
    /// </summary>
    public bool SweepUnrecordedBlocks { get; set; } = true;

    /// <summary>The most unreferenced blocks one garbage-collection run looks at (in pages of 500); the next run goes on.</summary>
    public int CollectionMaxBlocksPerRun { get; set; } = 100_000;

    /// <summary>How often the embedded server runs garbage collection.</summary>
    public TimeSpan CollectionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long change-journal entries are kept: a device whose cursor is older lists afresh (a "reset").</summary>
    public TimeSpan JournalRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>The most journal entries kept per namespace, however young (bounds a namespace with heavy churn).</summary>
    public long JournalMaxEntries { get; set; } = 1_000_000;

    /// <summary>A namespace's journal is checked against the retention rules once every this many of its changes.</summary>
    public long JournalCompactionInterval { get; set; } = 1000;

    /// <summary>The most journal entries one retention pass removes, so one pass stays short; the next pass goes on.</summary>
    public long JournalMaxCompactedPerRun { get; set; } = 10_000;

    /// <summary>
    /// The most blocks one /files/get_blocks answer lists, and the most missing blocks one resumable-upload answer hands
    /// signed URLs for. Every answer passes through AWS mode's 4 MiB payload limit; a block with a presigned S3 URL
    /// (with the Lambda session token in it) is up to ~2 KB of JSON, so 500 keep an answer near 1 MiB at worst.
    /// </summary>
    public int BlockListPageSize { get; set; } = 500;

    /// <summary>How long a revision that is no longer current, or a deleted file, stays restorable (issue 16).</summary>
    public TimeSpan VersionRetention { get; set; } = TimeSpan.FromDays(180);

    /// <summary>
    /// Whether resumable uploads may have the block-list content hash (<c>b1:</c>, /config's block_list_content_hash).
    /// Off, /config does not offer it and a begin that asks for it gets Dropbox's hash: for a deployment whose devices
    /// include clients from before b1, which cannot check a b1 revision they download.
    /// </summary>
    public bool BlockListContentHash { get; set; } = true;

    /// <summary>The most revisions kept of one file; the newest are kept.</summary>
    public int MaxRevisionsPerFile { get; set; } = 100;

    /// <summary>The most files one retention pass of the collector looks at (in pages of 1000); the next pass goes on.</summary>
    public int RetentionMaxFilesPerRun { get; set; } = 100_000;

    /// <summary>The bytes of current files each user may keep (see StorageQuota in DropSyncOptions.Bounds).</summary>
    public long StorageQuota { get; set; } = 2L << 40;

    /// <summary>PBKDF2 iterations for new password hashes.</summary>
    public int PasswordIterations { get; set; } = Accounts.PasswordHasher.DefaultIterations;

    /// <summary>An access token not used for this long stops working (401 token_expired); each use starts the window again.</summary>
    public TimeSpan TokenIdleTimeout { get; set; } = TimeSpan.FromDays(90);

    /// <summary>A device's last use is written at most this often (not on every request).</summary>
    public TimeSpan DeviceLastUsedResolution { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>At most this many passwords are hashed at once (default: one less than the cores, at least one).</summary>
    public int PasswordHashingConcurrency { get; set; } = Accounts.PasswordHashingGate.DefaultConcurrency;

    /// <summary>At most this many sign-ins wait for a hashing slot; more answer 503 server_busy with Retry-After.</summary>
    public int PasswordHashingQueueLength { get; set; } = 32;

    /// <summary>Messages queued for one live-feed connection; a connection whose queue fills (it stopped reading) is dropped.</summary>
    public int LiveSendQueueLength { get; set; } = 256;

    /// <summary>Live-feed connections one user may hold; a new one past this closes the user's oldest.</summary>
    public int MaxLiveConnectionsPerUser { get; set; } = 20;

    /// <summary>How many API Gateway connections the AWS fan-out pushes one message to at once.</summary>
    public int PushParallelism { get; set; } = 16;
}
