using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>
/// Group commit for the one writing connection: writes are queued, and one loop takes whatever is queued (up to
/// <see cref="MaxWritesPerTransaction"/>) into a single <c>BEGIN IMMEDIATE</c> transaction, each write inside its own
/// SAVEPOINT. A write that declines to commit, or throws, is rolled back to its savepoint and answered alone; the others
/// go on. One COMMIT (one WAL fsync under <c>synchronous=FULL</c>) then makes the whole group durable, and only after it
/// returns is any write of the group answered. Writes run in the order they were queued, so journal sequences follow
/// that order.
/// <para>
/// A write that always keeps what it wrote (<c>ownSavepoint: false</c>; it may still use savepoints of its own inside)
/// runs without the group's SAVEPOINT. SQLite copies every page a savepoint changes into a statement journal, which
/// stays in memory only up to 64 KiB: a small commit's pages under two nested savepoints went past it, so most groups
/// wrote a temp file (about 300 pwrites a group, 70 % of the writer's). If such a write throws, nothing can undo it
/// alone, so the whole transaction is rolled back and the group runs again, every write in its own savepoint.
/// </para>
/// </summary>
internal sealed class GroupCommitWriter : IDisposable
{
    /// <summary>At most this many writes share a transaction: enough to amortise the fsync, few enough to answer promptly.</summary>
    public const int MaxWritesPerTransaction = 256;

    /// <summary>
    /// The longest the writer waits, once a write is queued, for the writes of its last group to come back before it
    /// begins the next group (never longer than that group's COMMIT took). See <see cref="Gather"/>.
    /// </summary>
    public static readonly TimeSpan MaxGather = TimeSpan.FromMilliseconds(1.5);

    /// <summary>The shortest gather wait: the least <see cref="ManualResetEventSlim.Wait(TimeSpan)"/> waits at all.</summary>
    private static readonly TimeSpan MinGather = TimeSpan.FromMilliseconds(1);

    private const string Savepoint = "group_write";

    private readonly SqliteConnection _connection;
    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Thread _loop;
    private readonly Action<GroupCommitTiming>? _committed;

    private readonly TimeSpan _maxGather;
    private readonly bool _bufferWal;
    private readonly ManualResetEventSlim _gathered = new(false);
    private int _gatherTarget;
    private int _queued;
    private int _nextGroupTarget;
    private TimeSpan _lastCommit;
    private long _committedTransactions;
    private long _committedWrites;
    private long _committedMetadataBatchTransactions;

    /// <param name="committed">Called on the writer's thread after each group's COMMIT (diagnostics: where a commit's time went).</param>
    /// <param name="maxGather">The longest the writer waits to gather a group (<see cref="MaxGather"/> unless given; zero: never).</param>
    public GroupCommitWriter(SqliteConnection connection, Action<GroupCommitTiming>? committed = null, TimeSpan? maxGather = null)
    {
        _connection = connection;
        _committed = committed;
        _maxGather = maxGather ?? MaxGather;
        // WAL frames may wait in a buffer only until the COMMIT's sync, so only where every COMMIT syncs (FULL or EXTRA).
        _bufferWal = Convert.ToInt32(connection.ExecuteScalar("PRAGMA synchronous;"), System.Globalization.CultureInfo.InvariantCulture) >= 2;
        // Its own thread, not the thread pool: under load, a pool busy with requests would delay every group's start.
        _loop = new Thread(Run) { IsBackground = true, Name = "DropSync metadata writer" };
        _loop.Start();
    }

    /// <summary>Transactions committed so far (diagnostics and tests: how many fsyncs the writes cost).</summary>
    public long CommittedTransactions => Interlocked.Read(ref _committedTransactions);

    /// <summary>Writes answered from committed transactions so far (including those that declined to change anything).</summary>
    public long CommittedWrites => Interlocked.Read(ref _committedWrites);

    /// <summary>Committed transactions that held at least one write queued as a metadata batch (file commits and the like).</summary>
    public long CommittedMetadataBatchTransactions => Interlocked.Read(ref _committedMetadataBatchTransactions);

    /// <summary>
    /// Queues <paramref name="work"/>; it runs in a group transaction and is kept only if it says so. Answers after the
    /// group's COMMIT returned (durable), or with the work's own exception, or with the transaction's if the group failed.
    /// A write still queued when <paramref name="cancellationToken"/> fires is not run; once running it gets the token.
    /// </summary>
    public Task<T> WriteAsync<T>(
        Func<SqliteTransaction, CancellationToken, Task<(T Result, bool Commit)>> work, bool isMetadataBatch, CancellationToken cancellationToken, bool ownSavepoint = true)
    {
        var write = new PendingWrite<T>(work, isMetadataBatch, ownSavepoint, cancellationToken);
        if (!_queue.Writer.TryWrite(write))
        {
            return Task.FromException<T>(new ObjectDisposedException(typeof(SqliteMetadataStore).FullName));
        }

        // Counted after it is in the queue, so the writer may take it first and the count dip below zero for a moment.
        var queued = Interlocked.Increment(ref _queued);
        if (Volatile.Read(ref _gatherTarget) is > 0 and var target && queued >= target)
        {
            _gathered.Set();
        }

        return write.Answer;
    }

    /// <summary>Stops taking writes, finishes those already queued and waits for the loop to end.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _loop.Join();
    }

    // Blocking waits are right here: this thread does nothing else, and the SQLite work completes synchronously anyway.
    private void Run()
    {
        if (_bufferWal)
        {
            WalWriteBuffer.BufferOnThisThread();
        }

        var group = new List<PendingWrite>(MaxWritesPerTransaction);
        while (_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            group.Clear();
            Gather();

            while (group.Count < MaxWritesPerTransaction && _queue.Reader.TryRead(out var write))
            {
                group.Add(write);
                Interlocked.Decrement(ref _queued);
            }

            // A write without its own savepoint threw: its group is rolled back whole and runs again, all in savepoints.
            if (!RunGroupAsync(group, everyWriteInSavepoint: false).GetAwaiter().GetResult())
            {
                RunGroupAsync(group, everyWriteInSavepoint: true).GetAwaiter().GetResult();
            }
        }
    }

    /// <summary>
    /// Waits a little for a fuller group. Left alone, concurrent writers settle into cohorts: those answered by one
    /// COMMIT come back while the next group's COMMIT runs, so 16 writers make groups of about 8, and each fsync (the
    /// larger part of a commit's time) carries half of them. The writes just answered are likely to come back (a
    /// client's next commit), so once one write is queued, the writer waits until as many are queued as it just
    /// answered plus those that were waiting when it answered them, for at most <see cref="MaxGather"/> and never longer than the last COMMIT
    /// took or 1 ms, whichever is longer: a lone writer never waits, and a group that does not fill costs at most one more fsync's time
    /// (or 1 ms).
    /// </summary>
    private void Gather()
    {
        var target = _nextGroupTarget;
        if (target <= 1 || _maxGather <= TimeSpan.Zero || Volatile.Read(ref _queued) >= target)
        {
            return;
        }

        // The event's wait rounds its timeout down to whole milliseconds, so a window under 1 ms did not wait at all: after
        // a sub-millisecond COMMIT (common once its WAL frames go out in one buffer) the writers fell back into two cohorts.
        var window = _lastCommit < _maxGather ? _lastCommit : _maxGather;
        if (window < MinGather)
        {
            window = MinGather;
        }

        _gathered.Reset();
        Volatile.Write(ref _gatherTarget, target);
        // A write queued between the count above and the target being set is counted here.
        if (Volatile.Read(ref _queued) < target)
        {
            _gathered.Wait(window);
        }

        Volatile.Write(ref _gatherTarget, 0);
    }

    /// <summary>False if a write that ran without a savepoint threw: then nothing of the group was kept or answered.</summary>
    private async Task<bool> RunGroupAsync(List<PendingWrite> group, bool everyWriteInSavepoint)
    {
        var answered = new List<PendingWrite>(group.Count);
        var began = System.Diagnostics.Stopwatch.GetTimestamp();
        long committing;
        try
        {
            // deferred: false is BEGIN IMMEDIATE: the write lock is taken up front, so no write fails half-way on it.
            using var transaction = _connection.BeginTransaction(deferred: false);
            foreach (var write in group)
            {
                // On a second run, a write that failed alone in its savepoint the first time has had its answer.
                if (write.IsAnswered)
                {
                    continue;
                }

                if (write.CancellationToken.IsCancellationRequested)
                {
                    write.Cancel();
                    continue;
                }

                if (!everyWriteInSavepoint && !write.OwnSavepoint)
                {
                    try
                    {
                        write.StartedAt = System.Diagnostics.Stopwatch.GetTimestamp();
                        if (await write.RunAsync(transaction))
                        {
                            write.EndedAt = System.Diagnostics.Stopwatch.GetTimestamp();
                            answered.Add(write);
                            continue;
                        }
                    }
                    catch (Exception) when (TryRollBack(transaction))
                    {
                        return false;
                    }

                    // It declined after all: only the whole transaction could undo it.
                    if (TryRollBack(transaction))
                    {
                        return false;
                    }

                    throw new InvalidOperationException("A write queued without a savepoint declined to commit, and the group could not be rolled back.");
                }

                transaction.Save(Savepoint);
                bool keep;
                write.StartedAt = System.Diagnostics.Stopwatch.GetTimestamp();
                try
                {
                    keep = await write.RunAsync(transaction);
                    write.EndedAt = System.Diagnostics.Stopwatch.GetTimestamp();
                }
                catch (Exception e)
                {
                    // This write alone is undone; if even that fails, the transaction is broken and the outer catch fails the group.
                    transaction.Rollback(Savepoint);
                    transaction.Release(Savepoint);
                    write.Fail(e);
                    continue;
                }

                if (!keep)
                {
                    transaction.Rollback(Savepoint);
                }

                transaction.Release(Savepoint);
                answered.Add(write);
            }

            committing = System.Diagnostics.Stopwatch.GetTimestamp();
            transaction.Commit();
        }
        catch (Exception e)
        {
            // The transaction itself failed (disk full, I/O error): nothing of it is durable, so no write of it succeeded.
            foreach (var write in group)
            {
                write.Fail(e);
            }

            return true;
        }

        Interlocked.Increment(ref _committedTransactions);
        Interlocked.Add(ref _committedWrites, answered.Count);
        if (answered.Exists(write => write.IsMetadataBatch))
        {
            Interlocked.Increment(ref _committedMetadataBatchTransactions);
        }

        var committed = System.Diagnostics.Stopwatch.GetTimestamp();
        // Counted before any answer goes out: those waiting now, and those about to be answered (who may come back).
        _nextGroupTarget = Math.Min(MaxWritesPerTransaction, answered.Count + Math.Max(0, Volatile.Read(ref _queued)));
        _lastCommit = System.Diagnostics.Stopwatch.GetElapsedTime(committing, committed);
        foreach (var write in answered)
        {
            write.MarkStages(began, committing, committed);
            write.Complete();
        }

        _committed?.Invoke(new GroupCommitTiming(group.Count, group.Min(write => write.QueuedAt), began, committing, committed));
        return true;
    }

    /// <summary>Rolls the whole transaction back; false if that failed too (then the group fails as a broken transaction).</summary>
    private static bool TryRollBack(SqliteTransaction transaction)
    {
        try
        {
            transaction.Rollback();
            return true;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    private abstract class PendingWrite(bool isMetadataBatch, bool ownSavepoint, CancellationToken cancellationToken)
    {
        public bool IsMetadataBatch { get; } = isMetadataBatch;

        /// <summary>False for a write that always keeps what it wrote: it runs without the group's savepoint.</summary>
        public bool OwnSavepoint { get; } = ownSavepoint;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public long QueuedAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

        /// <summary>When its own statements started and ended (Stopwatch timestamps; for the request timing log).</summary>
        public long StartedAt { get; set; }

        public long EndedAt { get; set; }

        // The request that queued this write, when the request timing log is on: its stages in the writer are marked here.
        private readonly Core.Diagnostics.RequestStages? _stages = Core.Diagnostics.RequestStages.Current;

        /// <summary>Marks, for a timed request, where this write's time in the writer went (before it is answered).</summary>
        public void MarkStages(long began, long committing, long committed)
        {
            if (_stages is null)
            {
                return;
            }

            _stages.MarkAt("to writer queue", QueuedAt);
            _stages.MarkAt("wait for group", Math.Max(began, QueuedAt));
            _stages.MarkAt("group's earlier writes", StartedAt);
            _stages.MarkAt("own statements", EndedAt);
            _stages.MarkAt("group's later writes", committing);
            _stages.MarkAt("COMMIT (fsync)", committed);
        }

        public abstract bool IsAnswered { get; }

        /// <summary>Runs the work in the group's transaction; true to keep what it wrote.</summary>
        public abstract Task<bool> RunAsync(SqliteTransaction transaction);

        public abstract void Complete();

        /// <summary>Answers with <paramref name="error"/> unless already answered.</summary>
        public abstract void Fail(Exception error);

        public abstract void Cancel();
    }

    private sealed class PendingWrite<T>(
        Func<SqliteTransaction, CancellationToken, Task<(T Result, bool Commit)>> work, bool isMetadataBatch, bool ownSavepoint, CancellationToken cancellationToken)
        : PendingWrite(isMetadataBatch, ownSavepoint, cancellationToken)
    {
        // Continuations run on the thread pool, never inside the loop: the next group must not wait for a request's code.
        private readonly TaskCompletionSource<T> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;

        public Task<T> Answer => _answer.Task;

        public override bool IsAnswered => _answer.Task.IsCompleted;

        public override async Task<bool> RunAsync(SqliteTransaction transaction)
        {
            var (result, commit) = await work(transaction, CancellationToken);
            _result = result;
            return commit;
        }

        public override void Complete() => _answer.TrySetResult(_result!);

        public override void Fail(Exception error) => _answer.TrySetException(error);

        public override void Cancel() => _answer.TrySetCanceled(CancellationToken);
    }
}

/// <summary>One group commit's moments (Stopwatch timestamps): its oldest write queued, BEGIN, COMMIT called, COMMIT returned.</summary>
internal readonly record struct GroupCommitTiming(int Writes, long OldestQueuedAt, long BeganAt, long CommittingAt, long CommittedAt);
