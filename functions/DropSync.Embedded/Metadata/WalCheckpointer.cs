using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace DropSync.Embedded.Metadata;

/// <summary>Where the metadata database's WAL checkpoints run.</summary>
public enum WalCheckpointMode
{
    /// <summary>On a thread of their own, so no commit waits for one (the default).</summary>
    Background,

    /// <summary>Inside the COMMIT that pushed the WAL past the threshold, as SQLite's automatic checkpoint does (kept to compare against).</summary>
    OnCommit,
}

/// <summary>
/// Takes WAL checkpoints off the commit path. SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL past
/// 1,000 pages, so that one commit (and every write in its group) waits for the copy into the database and its fsync. Here
/// a WAL hook on the writer (which replaces the automatic checkpoint) only notes the WAL's size after each commit, and a
/// thread with its own connection copies it back with a PASSIVE checkpoint, which never waits for the writer or readers.
/// SQLite reuses the WAL from its start when a write begins after a checkpoint reached its end. Under a steady stream of
/// commits a checkpoint on another thread may never quite catch up (the writer keeps appending while it copies), so once
/// the WAL passes <see cref="BoundFrames"/> the committing writer checkpoints itself, as SQLite would: it copies only what
/// the last background checkpoint left, and its next write starts the WAL over. (A RESTART checkpoint from the thread
/// would have to win the write lock from a writer that takes it again at once, with the busy handler's sleeps.) The
/// writer's journal_size_limit then shrinks a WAL file a huge transaction grew.
/// Durability is SQLite's: a commit is durable in the WAL when it returns (synchronous=FULL), and a checkpoint only copies
/// committed pages and fsyncs the database before it lets the WAL be reused.
/// </summary>
internal sealed unsafe partial class WalCheckpointer : IDisposable
{
    /// <summary>
    /// New WAL pages that start a checkpoint: twice SQLite's automatic threshold. Each checkpoint copies every page it finds
    /// once however often the WAL holds it, and the pages every group dirties (page 1, interior and right-edge pages, the
    /// hot leaves) are copied once per checkpoint: at 2,000 the checkpointer copied 3 pages per 1 KiB commit, not 6
    /// (docs/performance/server-history.md, "Round 12: the group-commit writer's and the checkpointer's work per
    /// commit"). Up to 4,096 pages, a reader's lookup of a page in the WAL searches one hash table.
    /// </summary>
    public const int PassiveFrames = 2000;

    /// <summary>WAL pages past which the committing writer checkpoints itself, so that the WAL starts over (32 MiB of 4 KiB pages).</summary>
    public const int BoundFrames = 4 * PassiveFrames;

    private readonly SqliteConnection _writer;
    private readonly string _connectionString;
    private readonly WalCheckpointMode _mode;
    private readonly Action<string>? _log;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread? _thread;
    private GCHandle _self;
    private readonly int _passiveFrames;
    private readonly int _boundFrames;
    private int _walFrames;
    private int _backfilledFrames;
    private long _checkpoints;
    private long _onCommit;
    private long _pagesCopiedInBackground;
    private long _checkpointTicks;

    private WalCheckpointer(SqliteConnection writer, string connectionString, WalCheckpointMode mode, Action<string>? log, int passiveFrames, int boundFrames)
    {
        _passiveFrames = passiveFrames;
        _boundFrames = boundFrames;
        _writer = writer;
        _connectionString = connectionString;
        _mode = mode;
        _log = log;
        if (mode == WalCheckpointMode.Background)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "DropSync metadata checkpointer" };
        }
    }

    /// <summary>Checkpoints run so far, on either thread.</summary>
    public long Checkpoints => Interlocked.Read(ref _checkpoints);

    /// <summary>Checkpoints the committing writer ran (in background mode: because the WAL passed its bound).</summary>
    public long CheckpointsOnCommit => Interlocked.Read(ref _onCommit);

    /// <summary>WAL pages the checkpoint thread has copied into the database so far.</summary>
    public long PagesCopiedInBackground => Interlocked.Read(ref _pagesCopiedInBackground);

    /// <summary>Time spent in checkpoints so far.</summary>
    public TimeSpan CheckpointTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _checkpointTicks));

    /// <summary>Pages in the WAL after the last commit (SQLite counts from the WAL's start, so it drops when the WAL is reused).</summary>
    public int WalFrames => Volatile.Read(ref _walFrames);

    /// <summary>Installs the WAL hook on <paramref name="writer"/> (the one connection that writes) and starts the checkpoint thread.</summary>
    /// <param name="passiveFrames">WAL pages that start a checkpoint (tests make it small).</param>
    /// <param name="boundFrames">WAL pages past which the committing writer checkpoints itself (background mode).</param>
    public static WalCheckpointer Start(
        SqliteConnection writer, string connectionString, WalCheckpointMode mode, Action<string>? log, int passiveFrames = PassiveFrames, int boundFrames = BoundFrames)
    {
        var checkpointer = new WalCheckpointer(writer, connectionString, mode, log, passiveFrames, boundFrames);
        checkpointer._self = GCHandle.Alloc(checkpointer);
        var result = sqlite3_wal_hook(writer.Handle!.DangerousGetHandle(), &OnCommitted, GCHandle.ToIntPtr(checkpointer._self));
        _ = result; // The previous hook's argument (SQLite's automatic checkpoint's): nothing to free.
        checkpointer._thread?.Start();
        return checkpointer;
    }

    /// <summary>Stops the thread and takes the WAL hook off the writer (which then checkpoints as SQLite does when it closes).</summary>
    public void Dispose()
    {
        if (!_self.IsAllocated)
        {
            return;
        }

        _stop.Cancel();
        _thread?.Join();
        sqlite3_wal_hook(_writer.Handle!.DangerousGetHandle(), null, 0);
        _self.Free();
        _stop.Dispose();
        _wake.Dispose();
    }

    // SQLite's WAL hook: called on the writer's thread right after each commit, with the WAL's page count. It must be quick.
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnCommitted(nint self, nint db, nint databaseName, int frames)
    {
        // An exception must not cross into SQLite (it would end the process); the commit itself has succeeded by now.
#pragma warning disable CA1031
        try
        {
            ((WalCheckpointer)GCHandle.FromIntPtr(self).Target!).Committed(db, frames);
        }
        catch (Exception)
        {
            // The next commit tries again; a checkpoint skipped loses nothing.
        }
#pragma warning restore CA1031

        return raw.SQLITE_OK;
    }

    private void Committed(nint db, int frames)
    {
        Volatile.Write(ref _walFrames, frames);
        if (frames < _passiveFrames)
        {
            return;
        }

        // SQLite counts the WAL's pages from its start, and under steady commits the WAL seldom starts over, so past the
        // threshold every commit would wake the thread: one checkpoint (and one database fsync) per group, each copying the
        // pages every group dirties (page 1, interior and right-edge pages) again. So the thread is woken once a threshold's
        // worth of pages is new since the last checkpoint, or on every commit when the WAL is long (2 x the threshold and
        // up): then it catches up in small steps and lets the WAL start over before the bound makes the writer do it. A count
        // below what was copied means the WAL started over since.
        var backfilled = Volatile.Read(ref _backfilledFrames);
        var uncopied = frames >= backfilled ? frames - backfilled : frames;
        if (uncopied < _passiveFrames && frames < 2 * _passiveFrames && _mode == WalCheckpointMode.Background)
        {
            return;
        }

        if (_mode == WalCheckpointMode.OnCommit || frames >= _boundFrames)
        {
            // What sqlite3WalDefaultHook does: a PASSIVE checkpoint on the committing connection, inside its COMMIT. If the
            // background one is running, this one finds the checkpoint lock taken and returns at once (SQLITE_BUSY).
            Interlocked.Increment(ref _onCommit);
            Checkpoint(db, frames, onCommit: true);
            return;
        }

        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already woken: one checkpoint covers every commit before it.
            }
        }
    }

    private void Run()
    {
        try
        {
            // No busy timeout: a PASSIVE checkpoint never waits on a lock. A connection opens the WAL only when it first reads:
            // until then a checkpoint on it does nothing and answers -1 pages.
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            connection.ExecuteNonQuery("SELECT 1 FROM sqlite_schema LIMIT 1;");
            var handle = connection.Handle!.DangerousGetHandle();
            while (true)
            {
                _wake.Wait(_stop.Token);
                Checkpoint(handle, WalFrames, onCommit: false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception e) when (e is SqliteException or ObjectDisposedException)
        {
            // The database went away under the thread (the store is closing): the writer's close checkpoints it.
            _log?.Invoke($"metadata checkpointer stopped: {e.Message}");
        }
    }

    /// <summary>Runs one PASSIVE checkpoint on <paramref name="db"/> (the writer's or the thread's connection) and tells the log.</summary>
    private void Checkpoint(nint db, int framesBefore, bool onCommit)
    {
        var startedAt = DateTime.UtcNow;
        var started = Stopwatch.GetTimestamp();
        int log;
        int copied;
        var result = sqlite3_wal_checkpoint_v2(db, 0, raw.SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
        var ticks = Stopwatch.GetTimestamp() - started;
        Interlocked.Increment(ref _checkpoints);
        Interlocked.Add(ref _checkpointTicks, ticks);
        if (result == raw.SQLITE_OK && copied >= 0)
        {
            Volatile.Write(ref _backfilledFrames, copied);
        }

        if (!onCommit && result == raw.SQLITE_OK && copied > 0)
        {
            Interlocked.Add(ref _pagesCopiedInBackground, copied);
        }

        _log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"metadata checkpoint at {startedAt:O}: PASSIVE {(onCommit ? "on commit" : "in background")} " +
            $"{Stopwatch.GetElapsedTime(0, ticks).TotalMilliseconds:0.0} ms, " +
            $"{framesBefore} pages in the WAL at the last commit, {log} in it now, {copied} copied, result {result}"));
    }

    // Not in SQLitePCLRaw (it has the checkpoint call, not the hook); the same native library its provider loads.
    [LibraryImport("e_sqlite3")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    private static partial nint sqlite3_wal_hook(nint db, delegate* unmanaged[Cdecl]<nint, nint, nint, int, int> callback, nint argument);

    // The pointer form of SQLitePCLRaw's sqlite3_wal_checkpoint_v2: callable from the hook with the raw handle it is given.
    [LibraryImport("e_sqlite3")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    private static partial int sqlite3_wal_checkpoint_v2(nint db, nint databaseName, int mode, int* log, int* copied);
}
