namespace DropSync.Core.Blocks;

/// <summary>
/// Striped per-hash locks that order a block's upload against its collection within one process, so a block that is
/// re-uploaded while the collector forgets it is never left recorded but deleted.
/// </summary>
public sealed class BlockLocks
{
    private readonly SemaphoreSlim[] _stripes = Enumerable.Range(0, 256).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    public async Task<IDisposable> AcquireAsync(Content.BlockHash hash, CancellationToken ct)
    {
        var stripe = _stripes[Convert.ToByte(hash.Hex[..2], 16)];
        await stripe.WaitAsync(ct);
        return new Release(stripe);
    }

    /// <summary>
    /// Locks every block of <paramref name="hashes"/> at once (a batch upload's blocks, stored in one write): each stripe
    /// once, however many of the blocks share it, in ascending order, so two batches never wait on each other in a cycle
    /// (a single lock holder takes one stripe and waits for none). Answers one release for all of them.
    /// </summary>
    public async Task<IDisposable> AcquireAllAsync(IEnumerable<Content.BlockHash> hashes, CancellationToken ct)
    {
        var stripes = hashes.Select(h => Convert.ToByte(h.Hex[..2], 16)).Distinct().Order().ToList();
        var held = new List<Release>(stripes.Count);
        try
        {
            foreach (var index in stripes)
            {
                await _stripes[index].WaitAsync(ct);
                held.Add(new Release(_stripes[index]));
            }
        }
        catch
        {
            held.ForEach(r => r.Dispose());
            throw;
        }

        return new ReleaseAll(held);
    }

    private sealed class ReleaseAll(List<Release> held) : IDisposable
    {
        public void Dispose() => held.ForEach(r => r.Dispose());
    }

    private sealed class Release(SemaphoreSlim stripe) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                stripe.Release();
            }
        }
    }
}
