using Microsoft.Win32.SafeHandles;

namespace DropSync.Client.Transfer;

/// <summary>
/// Has the disk write a download back while the rest is still arriving: after every <see cref="FlushEvery"/> bytes
/// written, one fsync runs in the background (never two at once), so the fsync before the file is put in place has
/// only the tail to write instead of the whole file at the end.
/// </summary>
internal sealed class WriteBehind(SafeFileHandle handle)
{
    public const long FlushEvery = 64L * 1024 * 1024;

    private readonly Lock _lock = new();
    private long _sinceFlush;
    private Task _flushing = Task.CompletedTask;

    public void Written(int size)
    {
        lock (_lock)
        {
            _sinceFlush += size;
            if (_sinceFlush < FlushEvery || !_flushing.IsCompleted)
            {
                return;
            }

            _sinceFlush = 0;
            _flushing = Task.Run(() => RandomAccess.FlushToDisk(handle));
        }
    }

    /// <summary>Waits for the flush in progress (a failed one throws: the final fsync would fail the same way).</summary>
    public Task DrainAsync()
    {
        lock (_lock)
        {
            return _flushing;
        }
    }
}
