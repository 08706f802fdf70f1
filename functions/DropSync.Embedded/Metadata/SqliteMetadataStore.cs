using DropSync.Core.Ports;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>
/// The embedded metadata store: files, accounts, the block index, upload sessions, sharing and notifications in one SQLite database.
/// Writes are serialised in this process on a dedicated connection and group-committed (<see cref="GroupCommitWriter"/>):
/// concurrent writes share one <c>BEGIN IMMEDIATE</c> transaction and its fsync, each in its own savepoint, so each is
/// still all-or-nothing on its own. Reads use connections the store keeps open (<see cref="KeptReaders"/>) and a snapshot
/// transaction each, so they never wait for a write and never see part of one.
/// </summary>
public sealed partial class SqliteMetadataStore : IFileMetadataStore, IAccountStore, IBlockIndex, IUploadSessionStore, ISharingStore, IInvitationStore, INotificationStore, IDisposable, IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly KeptReaders _readers;
    private readonly SqliteConnection _writer;
    private readonly GroupCommitWriter _group;
    private readonly WalCheckpointer _checkpointer;
    private readonly Lock _closing = new();
    private bool _disposed;

    /// <summary>Opens (creating if needed) the database at <paramref name="databasePath"/> and brings its schema up to date.</summary>
    /// <param name="databasePath">The database file.</param>
    /// <param name="diagnostics">If given, told of each WAL checkpoint and each group commit slower than <paramref name="slowCommit"/> (one line each).</param>
    /// <param name="checkpoints">Where WAL checkpoints run: off the commit path unless asked otherwise (to compare).</param>
    /// <param name="slowCommit">A group commit at least this long, from its oldest write queued to COMMIT returned, is told to
    /// <paramref name="diagnostics"/>; <see cref="DefaultSlowCommit"/> unless given (zero tells every group: where commits wait).</param>
    public SqliteMetadataStore(string databasePath, Action<string>? diagnostics = null, WalCheckpointMode checkpoints = WalCheckpointMode.Background, TimeSpan? slowCommit = null)
        : this(databasePath, diagnostics, checkpoints, WalCheckpointer.PassiveFrames, WalCheckpointer.BoundFrames, slowCommit)
    {
    }

    /// <summary>As the public constructor, with the checkpoint thresholds in WAL pages (tests make them small).</summary>
    internal SqliteMetadataStore(string databasePath, Action<string>? diagnostics, WalCheckpointMode checkpoints, int passiveFrames, int boundFrames, TimeSpan? slowCommit = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        var directory = Path.GetDirectoryName(Path.GetFullPath(databasePath));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        _connectionString = MetadataConnections.ConnectionString(databasePath);
        _readers = new KeptReaders(MetadataConnections.ReaderConnectionString(databasePath));
        _writer = MetadataConnections.OpenWriter(_connectionString);
        try
        {
            MetadataSchema.Migrate(_writer);
        }
        catch
        {
            _writer.Dispose();
            ClearPool();
            throw;
        }

        _checkpointer = WalCheckpointer.Start(_writer, _connectionString, checkpoints, diagnostics, passiveFrames, boundFrames);
        var slow = slowCommit ?? DefaultSlowCommit;
        long previousCommittedAt = 0;
        _group = new GroupCommitWriter(_writer, diagnostics is null ? null : timing =>
        {
            LogSlowCommit(timing, previousCommittedAt, slow, diagnostics);
            previousCommittedAt = timing.CommittedAt;
        });
    }

    /// <summary>A group commit at least this long, from its oldest write queued to COMMIT returned, is told to the diagnostics unless the store was given another threshold.</summary>
    public static TimeSpan DefaultSlowCommit { get; } = TimeSpan.FromMilliseconds(20);

    /// <summary>WAL checkpoints run since the store opened (none on the commit path unless <see cref="WalCheckpointMode.OnCommit"/>).</summary>
    public long WalCheckpoints => _checkpointer.Checkpoints;

    /// <summary>Checkpoints the committing writer ran (in background mode only when the WAL had passed its bound).</summary>
    public long WalCheckpointsOnCommit => _checkpointer.CheckpointsOnCommit;

    /// <summary>WAL pages copied into the database off the commit path since the store opened.</summary>
    public long WalPagesCheckpointedInBackground => _checkpointer.PagesCopiedInBackground;

    /// <summary>Pages in the WAL after the last commit.</summary>
    public int WalFrames => _checkpointer.WalFrames;

    private static void LogSlowCommit(GroupCommitTiming timing, long previousCommittedAt, TimeSpan slowCommit, Action<string> diagnostics)
    {
        var total = System.Diagnostics.Stopwatch.GetElapsedTime(timing.OldestQueuedAt, timing.CommittedAt);
        if (total < slowCommit)
        {
            return;
        }

        static double Ms(long from, long to) => System.Diagnostics.Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
        diagnostics(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"metadata commit at {DateTime.UtcNow - total:O}: {total.TotalMilliseconds:0.00} ms for {timing.Writes} writes: queued {Ms(timing.OldestQueuedAt, timing.BeganAt):0.00} ms, " +
            $"work {Ms(timing.BeganAt, timing.CommittingAt):0.00} ms, COMMIT {Ms(timing.CommittingAt, timing.CommittedAt):0.00} ms, " +
            $"writer idle before it {(previousCommittedAt == 0 ? 0 : Ms(previousCommittedAt, timing.BeganAt)):0.00} ms"));
    }

    /// <summary>Write transactions committed since the store opened: concurrent writes share one (diagnostics, tests).</summary>
    public long CommittedWriteTransactions => _group.CommittedTransactions;

    /// <summary>Writes answered from committed transactions since the store opened.</summary>
    public long CommittedWrites => _group.CommittedWrites;

    /// <summary>Committed transactions that applied metadata batches (<see cref="ApplyAsync"/>, <see cref="ApplyEachAsync"/>): a 500-file upload_batch adds one.</summary>
    public long CommittedMetadataBatchTransactions => _group.CommittedMetadataBatchTransactions;

    /// <summary>Runs <paramref name="work"/> in a write transaction and commits it.</summary>
    private Task<T> WriteAsync<T>(Func<SqliteTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        WriteAsync(async (transaction, ct) => (await work(transaction, ct), true), cancellationToken, isMetadataBatch: false);

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction and keeps what it wrote only if the work says so. It shares
    /// the transaction with other queued writes (in its own savepoint) and is answered once the transaction is durable.
    /// </summary>
    /// <param name="ownSavepoint">False when the work always keeps what it wrote: it runs without the group's savepoint (see <see cref="GroupCommitWriter"/>).</param>
    private Task<T> WriteAsync<T>(
        Func<SqliteTransaction, CancellationToken, Task<(T Result, bool Commit)>> work, CancellationToken cancellationToken, bool isMetadataBatch = false, bool ownSavepoint = true)
        => _disposed ? Task.FromException<T>(new ObjectDisposedException(GetType().FullName)) : _group.WriteAsync(work, isMetadataBatch, cancellationToken, ownSavepoint);

    /// <summary>Runs <paramref name="work"/> on a kept reader connection of its own, in one read snapshot.</summary>
    private async Task<T> ReadAsync<T>(Func<SqliteTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = await _readers.RentAsync(cancellationToken);
        var endedCleanly = false;
        try
        {
            using var transaction = connection.BeginTransaction(deferred: true);
            var result = await work(transaction, cancellationToken);
            transaction.Commit();
            endedCleanly = true;
            return result;
        }
        finally
        {
            _readers.Return(connection, endedCleanly);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/>, which must run exactly ONE statement, on a kept reader connection without BEGIN and
    /// COMMIT: in SQLite's autocommit mode a lone statement reads one snapshot by itself (its read transaction starts
    /// with its first step and ends when it is reset, which the kept command's <c>Dispose</c> does). Each BEGIN and
    /// COMMIT was a command made, parsed and run by Microsoft.Data.Sqlite, on every read (round 12's profile).
    /// </summary>
    private async Task<T> ReadStatementAsync<T>(Func<KeptReaderConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = await _readers.RentAsync(cancellationToken);
        var endedCleanly = false;
        try
        {
            var result = await work(connection, cancellationToken);
            endedCleanly = true;
            return result;
        }
        finally
        {
            _readers.Return(connection, endedCleanly);
        }
    }

    public void Dispose() => Close();

    public ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }

    // Writes already queued finish first; a write queued after this gets ObjectDisposedException.
    private void Close()
    {
        lock (_closing)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _group.Dispose();
            _checkpointer.Dispose();
            _writerBatch?.Dispose();
            _writerTables?.Dispose();
            _writer.Dispose();
            _readers.Dispose();
            ClearPool();
        }
    }

    // Pooled connections would otherwise keep the file open after the store is gone.
    private void ClearPool()
    {
        using var poolKey = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(poolKey);
    }
}
