namespace DropSync.Client.Sync;

/// <summary>
/// Continuous sync: a file-system watcher triggers a sync shortly after local changes settle; remote changes are found
/// by <see cref="IRemoteChangeSource.WaitForChangeAsync"/> (the live change feed with <see cref="CursorChangeSource"/>,
/// polling with <see cref="ListFolderChangeSource"/>). Returns when <c>ct</c> is cancelled.
/// </summary>
public sealed class SyncWatcher(SyncEngine engine, IRemoteChangeSource remote)
{
    public async Task RunAsync(SyncOptions options, TimeSpan pollInterval, Action<SyncReport> onSync, Action<Exception> onError, CancellationToken ct)
    {
        // Before the watcher, which cannot watch a folder that is not there.
        engine.PrepareFolder(options);
        using var changed = new SemaphoreSlim(0);
        using var watcher = new FileSystemWatcher(engine.Root)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            InternalBufferSize = 64 * 1024,
        };
        void OnEvent(object sender, FileSystemEventArgs e)
        {
            var rel = Path.GetRelativePath(engine.Root, e.FullPath).Replace('\\', '/');
            if (!rel.StartsWith(LocalIndex.StateFolder, StringComparison.Ordinal))
            {
                changed.Release();
            }
        }

        watcher.Created += OnEvent;
        watcher.Changed += OnEvent;
        watcher.Deleted += OnEvent;
        watcher.Renamed += OnEvent;
        watcher.Error += (_, _) => changed.Release(); // Overflow: a full sync finds whatever was missed.
        watcher.EnableRaisingEvents = true;
        try
        {
            await LoopAsync(options, pollInterval, changed, onSync, onError, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    private async Task LoopAsync(
        SyncOptions options, TimeSpan pollInterval, SemaphoreSlim changed, Action<SyncReport> onSync, Action<Exception> onError, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                onSync(await engine.SyncAsync(options, ct));
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not SyncSafetyException)
            {
                onError(e);
            }

            // Our own writes raise events too; let them arrive, then forget them.
            await Task.Delay(50, ct);
            while (changed.CurrentCount > 0)
            {
                await changed.WaitAsync(ct);
            }

            using var wake = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var local = changed.WaitAsync(wake.Token);
            var server = remote.WaitForChangeAsync(pollInterval, wake.Token);
            var first = await Task.WhenAny(local, server);
            await wake.CancelAsync();
            try
            {
                await Task.WhenAll(local, server);
            }
            catch (OperationCanceledException)
            {
                // The other waiter.
            }

            if (first == local && !ct.IsCancellationRequested)
            {
                // Let a burst of writes (an editor saving, a copy) settle before reading the files.
                await Task.Delay(150, ct);
            }
        }
    }
}
