namespace DropSync.Client.Sync;

/// <summary>
/// The deletions a series of syncs made recently (a watcher's passes), so the mass-deletion safety net judges them
/// together: a folder emptied a few hundred files per pass (an <c>rm -rf</c> the watcher reacts to mid-way, a drive
/// that goes away gradually) never looks like a mass deletion to any single pass.
/// </summary>
public sealed class DeletionWindow(TimeSpan length)
{
    private readonly Queue<(long At, int SyncedBefore, int Deleted)> _passes = new();
    private readonly Lock _lock = new();

    public TimeSpan Length { get; } = length;

    /// <summary>
    /// Deletions already made within the window, and the number of synced files at its start (the first pass in it
    /// that deleted anything; <paramref name="syncedNow"/> when there is none).
    /// </summary>
    internal (int Earlier, int Baseline) Recent(int syncedNow)
    {
        lock (_lock)
        {
            Prune();
            return _passes.Count == 0 ? (0, syncedNow) : (_passes.Sum(p => p.Deleted), _passes.Peek().SyncedBefore);
        }
    }

    internal void Record(int syncedBefore, int deleted)
    {
        if (deleted <= 0)
        {
            return;
        }

        lock (_lock)
        {
            Prune();
            _passes.Enqueue((Environment.TickCount64, syncedBefore, deleted));
        }
    }

    private void Prune()
    {
        var oldest = Environment.TickCount64 - (long)Length.TotalMilliseconds;
        while (_passes.Count > 0 && _passes.Peek().At < oldest)
        {
            _passes.Dequeue();
        }
    }
}
