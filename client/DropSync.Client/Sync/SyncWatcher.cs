namespace DropSync.Client.Sync;

/// <summary>
/// Continuous sync: a file-system watcher triggers a sync once local changes settle, and that sync reads only the paths
/// the watcher reported and the server's delta (an incremental pass). The whole folder is read at start, after the
/// watcher lost events (its buffer overflowed), after a pass that failed, and every <see cref="FullWalkInterval"/>
/// (a file system that does not report every change, such as a network share, is caught up then); remote changes are found by
/// <see cref="IRemoteChangeSource.WaitForChangeAsync"/> (the live change feed with <see cref="CursorChangeSource"/>,
/// polling with <see cref="ListFolderChangeSource"/>). Returns when <c>ct</c> is cancelled; a safety net that stops a
/// pass (<see cref="SyncSafetyException"/>) stops the watcher too.
/// </summary>
public sealed class SyncWatcher(SyncEngine engine, IRemoteChangeSource remote)
{
    /// <summary>
    /// How long the folder must be free of new events before a pass reads it, while no file has been deleted: short,
    /// so that a saved file reaches other devices at once (an editor's save is a burst of events within a millisecond or
    /// two; a file read while still being written changes again, and the next pass sends it again).
    /// </summary>
    public TimeSpan QuietPeriod { get; init; } = TimeSpan.FromMilliseconds(30);

    /// <summary>
    /// The same once a synced file or folder was deleted: long enough that a pass never starts in the middle of an
    /// <c>rm -rf</c> and syncs it in pieces, each too small for the mass-deletion net.
    /// </summary>
    public TimeSpan DeletionQuietPeriod { get; init; } = TimeSpan.FromSeconds(1.5);

    /// <summary>At most this long from the first unsynced event to the pass, so a folder that never goes quiet still syncs.</summary>
    public TimeSpan MaxSettle { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The mass-deletion net counts every pass's deletions within this window, against the files synced at its start.</summary>
    public TimeSpan DeletionWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How often a pass reads the whole folder, whatever the watcher reported.</summary>
    public TimeSpan FullWalkInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>More reported paths than this make the next pass a full one (reading them one by one would cost more).</summary>
    public int MaxReportedPaths { get; init; } = 10_000;

    /// <summary>Tests: events for paths it answers false for are dropped, as a file system that does not report them would.</summary>
    internal Func<string, bool>? EventFilter { get; init; }

    private readonly Lock _reportedLock = new();
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private bool _fullWalk = true;
    private long _lastFullWalkAt;
    private SemaphoreSlim? _changed;

    // 1 when a local event arrived since the last pass started; set from the watcher's threads.
    private int _dirty;

    // 1 when one of those events deleted something not ignored.
    private int _deleted;
    private long _firstEventAt;
    private long _lastEventAt;

    public async Task RunAsync(SyncOptions options, TimeSpan pollInterval, Action<SyncReport> onSync, Action<Exception> onError, CancellationToken ct)
    {
        // Before the watcher, which cannot watch a folder that is not there.
        engine.PrepareFolder(options);
        using var changed = new SemaphoreSlim(0);
        _changed = changed;
        using var index = LocalIndex.Open(engine.Root);
        using var watcher = new FileSystemWatcher(engine.Root)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            InternalBufferSize = 64 * 1024,
        };
        void MarkDirty()
        {
            var now = Environment.TickCount64;
            Volatile.Write(ref _lastEventAt, now);
            if (Interlocked.Exchange(ref _dirty, 1) == 0)
            {
                Volatile.Write(ref _firstEventAt, now);
                changed.Release();
            }
        }

        // Editors create and delete temporary files on every save (Vim's 4913, swap files): those are ignored, so
        // their deletion does not hold a save back for the longer quiet period.
        var ignore = IgnoreRules.Load(engine.Root);
        void OnEvent(object sender, FileSystemEventArgs e)
        {
            var rel = Path.GetRelativePath(engine.Root, e.FullPath).Replace('\\', '/');
            if (rel.StartsWith(LocalIndex.StateFolder, StringComparison.Ordinal))
            {
                return;
            }

            if (EventFilter?.Invoke(rel) == false)
            {
                return;
            }

            if (e.ChangeType == WatcherChangeTypes.Deleted && !ignore.IsIgnored(rel, isDirectory: false))
            {
                Volatile.Write(ref _deleted, 1);
            }

            Reported(rel);
            if (e is RenamedEventArgs renamed)
            {
                // The old name is gone: a rename is seen as one when both ends are in the pass.
                Reported(Path.GetRelativePath(engine.Root, renamed.OldFullPath).Replace('\\', '/'));
            }

            MarkDirty();
        }

        void Reported(string rel)
        {
            lock (_reportedLock)
            {
                _reported.Add(rel);
                _fullWalk |= _reported.Count > MaxReportedPaths;
            }
        }

        watcher.Created += OnEvent;
        watcher.Changed += OnEvent;
        watcher.Deleted += OnEvent;
        watcher.Renamed += OnEvent;
        watcher.Error += (_, _) => ReportOverflow();
        watcher.EnableRaisingEvents = true;
        try
        {
            await LoopAsync(options, pollInterval, changed, index, onSync, onError, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    /// <summary>
    /// The watcher lost events (its buffer overflowed, or it failed): the next pass reads the whole folder, which finds
    /// whatever was missed. Called by the watcher's Error event; internal so tests can make one.
    /// </summary>
    internal void ReportOverflow()
    {
        lock (_reportedLock)
        {
            _fullWalk = true;
        }

        var now = Environment.TickCount64;
        Volatile.Write(ref _lastEventAt, now);
        if (Interlocked.Exchange(ref _dirty, 1) == 0)
        {
            Volatile.Write(ref _firstEventAt, now);
            _changed?.Release();
        }
    }

    /// <summary>What the next pass reads of the folder: null for all of it, else the paths reported since the last pass.</summary>
    private LocalScope? TakeScope()
    {
        lock (_reportedLock)
        {
            var full = _fullWalk || Environment.TickCount64 - _lastFullWalkAt >= (long)FullWalkInterval.TotalMilliseconds;
            var scope = full ? null : new LocalScope([.. _reported]);
            _reported.Clear();
            _fullWalk = false;
            if (full)
            {
                _lastFullWalkAt = Environment.TickCount64;
            }

            return scope;
        }
    }

    private async Task LoopAsync(
        SyncOptions options, TimeSpan pollInterval, SemaphoreSlim changed, LocalIndex index, Action<SyncReport> onSync, Action<Exception> onError, CancellationToken ct)
    {
        var deletions = new DeletionWindow(DeletionWindow);
        while (!ct.IsCancellationRequested)
        {
            if (Volatile.Read(ref _dirty) == 1)
            {
                // Whatever woke us, local changes still arriving are read once they are complete.
                await SettleAsync(ct);
            }

            // Cleared before the pass: an event during it (a file saved while a long download runs) makes the next one.
            Interlocked.Exchange(ref _dirty, 0);
            Interlocked.Exchange(ref _deleted, 0);
            while (changed.CurrentCount > 0)
            {
                await changed.WaitAsync(ct);
            }

            var scope = TakeScope();
            try
            {
                var report = await engine.SyncAsync(options, deletions, ct, scope, index);
                if (report.Errors.Count > 0)
                {
                    FullWalkNext(); // What failed is retried by reading everything: the delta that named it is spent.
                }

                onSync(report);
                if (scope is null)
                {
                    // The ordered keys incremental passes look ranges up in, built now rather than in the next save's pass.
                    index.PrepareKeyRanges();
                    remote.PrepareKeyRanges();
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not SyncSafetyException)
            {
                FullWalkNext();
                onError(e);
            }

            if (Volatile.Read(ref _dirty) == 1)
            {
                // Changed during the pass. This includes the pass's own writes (downloads, renames), which cost one idle
                // pass; telling them apart from a user's save at the same moment is not possible from the events.
                continue;
            }

            using var wake = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var local = changed.WaitAsync(wake.Token);
            var server = remote.WaitForChangeAsync(pollInterval, wake.Token);
            var fullWalkDue = Task.Delay(TimeSpan.FromMilliseconds(Math.Max(0, Volatile.Read(ref _lastFullWalkAt) + (long)FullWalkInterval.TotalMilliseconds - Environment.TickCount64)), wake.Token);
            await Task.WhenAny(local, server, fullWalkDue);
            await wake.CancelAsync();
            try
            {
                await Task.WhenAll(local, server, fullWalkDue);
            }
            catch (OperationCanceledException)
            {
                // The other waiter.
            }

            ct.ThrowIfCancellationRequested();
        }
    }

    private void FullWalkNext()
    {
        lock (_reportedLock)
        {
            _fullWalk = true;
        }
    }

    /// <summary>
    /// Waits until no local event arrived for <see cref="QuietPeriod"/> (<see cref="DeletionQuietPeriod"/> once something
    /// was deleted), or <see cref="MaxSettle"/> after the first one,
    /// or until the server announces a change: that one is fetched at once (a half-settled local change is then read
    /// again by the pass after, and deletions across passes are still counted together).
    /// </summary>
    private async Task SettleAsync(CancellationToken ct)
    {
        var deadline = Volatile.Read(ref _firstEventAt) + (long)MaxSettle.TotalMilliseconds;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var server = remote.WaitForChangeAsync(Timeout.InfiniteTimeSpan, stop.Token);
        try
        {
            while (true)
            {
                var now = Environment.TickCount64;
                var quiet = (long)(Volatile.Read(ref _deleted) == 1 ? DeletionQuietPeriod : QuietPeriod).TotalMilliseconds;
                var wait = Math.Min(Volatile.Read(ref _lastEventAt) + quiet - now, deadline - now);
                if (wait <= 0 || server.IsCompleted)
                {
                    return;
                }

                await Task.WhenAny(Task.Delay(TimeSpan.FromMilliseconds(wait), stop.Token), server);
                ct.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await server;
            }
            catch (OperationCanceledException)
            {
                // Nothing announced meanwhile: the next wait will see it when it comes.
            }
        }
    }
}
