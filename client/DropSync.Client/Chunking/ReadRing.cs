using System.Buffers;

namespace DropSync.Client.Chunking;

/// <summary>
/// A fixed number of read buffers (<see cref="Slab"/>s) that a scan fills in turn and whose blocks workers hash where
/// they lie: a slab goes back into the ring only when its last holder lets go (the scan, and every block queued from
/// it), so no bytes are copied out for hashing and memory stays at <c>count × size</c> whatever the stream's length.
/// </summary>
internal sealed class ReadRing : IDisposable
{
    private readonly ArrayPool<byte> _pool;
    private readonly int _size;
    private readonly SemaphoreSlim _free;
    private readonly Stack<Slab> _idle = new();
    private readonly List<Slab> _all = [];
    private readonly Lock _lock = new();

    public ReadRing(int count, int size, ArrayPool<byte>? pool = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 2); // the scan fills one while blocks of another are hashed
        _pool = pool ?? ArrayPool<byte>.Shared;
        _size = size;
        _free = new SemaphoreSlim(count, count);
    }

    /// <summary>A free slab, held once by the caller; waits while every slab is still held.</summary>
    public async ValueTask<Slab> TakeAsync(CancellationToken ct)
    {
        await _free.WaitAsync(ct);
        lock (_lock)
        {
            if (_idle.TryPop(out var slab))
            {
                slab.Reset();
                return slab;
            }

            slab = new Slab(this, _pool.Rent(_size));
            _all.Add(slab);
            return slab;
        }
    }

    /// <summary>
    /// Returns to the pool every slab nobody holds. One still held (a scan stopped by an error or cancellation with
    /// blocks queued) is left to the garbage collector instead: the pool must never hand out bytes someone may read.
    /// </summary>
    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var slab in _all)
            {
                if (slab.Free)
                {
                    _pool.Return(slab.Bytes);
                }
            }

            _all.Clear();
            _idle.Clear();
        }

        _free.Dispose();
    }

    private void Back(Slab slab)
    {
        lock (_lock)
        {
            _idle.Push(slab);
        }

        _free.Release();
    }

    /// <summary>One read buffer and how many hold it (the scan while it reads and cuts there, and each queued block).</summary>
    internal sealed class Slab(ReadRing ring, byte[] bytes)
    {
        private int _holds = 1;

        public byte[] Bytes { get; } = bytes;

        public bool Free => Volatile.Read(ref _holds) == 0;

        public void Hold()
        {
            if (Interlocked.Increment(ref _holds) <= 1)
            {
                throw new InvalidOperationException("A slab was held after it went back to its ring.");
            }
        }

        /// <summary>Lets go of one hold; the last one puts the slab back into the ring.</summary>
        public void Release()
        {
            var left = Interlocked.Decrement(ref _holds);
            if (left < 0)
            {
                throw new InvalidOperationException("A slab was released more often than it was held.");
            }

            if (left == 0)
            {
                ring.Back(this);
            }
        }

        internal void Reset() => Volatile.Write(ref _holds, 1);
    }
}
