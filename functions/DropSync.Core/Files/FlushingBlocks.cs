namespace DropSync.Core.Files;

/// <summary>
/// The flushes of one upload's blocks that run behind its receive (<see cref="Blocks.BlockService.BeginStoreHashedAsync"/>):
/// each holds a file handle and a block lock, no buffer. A failed one fails the upload at the next block, and past
/// <see cref="MaxFlushing"/> the receive waits for the oldest, so a disk slower than the network holds back the sender
/// rather than piling up open files.
/// </summary>
internal sealed class FlushingBlocks
{
    /// <summary>Blocks of one upload being flushed at once, at most.</summary>
    public const int MaxFlushing = 8;

    private readonly List<Task> _flushing = [];

    public async Task AddAsync(Task flush)
    {
        Add(flush);
        _flushing.RemoveAll(f => f.IsCompletedSuccessfully);
        foreach (var failed in _flushing.Where(f => f.IsFaulted || f.IsCanceled).ToList())
        {
            await failed;
        }

        while (_flushing.Count > MaxFlushing)
        {
            await _flushing[0];
            _flushing.RemoveAt(0);
        }
    }

    public void Add(Task flush) => _flushing.Add(flush);

    /// <summary>Completes when every block added is durable; fails with the first failure.</summary>
    public Task AllDurableAsync() => Task.WhenAll(_flushing);

    /// <summary>Completes when no flush is running any more, whatever their outcome (for an upload that failed).</summary>
    public async Task SettledAsync() => await Task.WhenAll(_flushing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
}
