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
