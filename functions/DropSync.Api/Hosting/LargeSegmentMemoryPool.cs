using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace DropSync.Api.Hosting;

/// <summary>
/// Kestrel's connection buffers in 64 KiB segments instead of its default 4 KiB blocks. The socket transport receives
/// into what is left of the current segment, so with 4 KiB blocks a request body arrived 4 KiB per recv(2) (plus a
/// 1-byte peek before each): the largest CPU cost of an upload after hashing in issue 12's profile. 64 KiB segments
/// make that sixteen times fewer syscalls. At most <see cref="MaxKept"/> free segments (4 MiB) are kept; the rest go back
/// to the GC, so memory stays flat.
/// </summary>
internal sealed class LargeSegmentMemoryPool : MemoryPool<byte>
{
    public const int SegmentSize = 64 * 1024;

    private const int MaxKept = 64;

    private readonly ConcurrentQueue<Segment> _free = new();
    private int _kept;

    public override int MaxBufferSize => SegmentSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, SegmentSize);
        if (_free.TryDequeue(out var segment))
        {
            Interlocked.Decrement(ref _kept);
            segment.MarkRented();
            return segment;
        }

        return new Segment(this);
    }

    protected override void Dispose(bool disposing)
    {
        _free.Clear();
    }

    private void Return(Segment segment)
    {
        if (Interlocked.Increment(ref _kept) <= MaxKept)
        {
            _free.Enqueue(segment);
        }
        else
        {
            Interlocked.Decrement(ref _kept);
        }
    }

    /// <summary>One pinned 64 KiB array (the socket reads into it directly); disposing it returns it to the pool once.</summary>
    private sealed class Segment(LargeSegmentMemoryPool pool) : IMemoryOwner<byte>
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(SegmentSize, pinned: true);
        private int _returned;

        public Memory<byte> Memory => _array;

        public void MarkRented() => Volatile.Write(ref _returned, 0);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _returned, 1) == 0)
            {
                pool.Return(this);
            }
        }
    }
}

/// <summary>Hands Kestrel <see cref="LargeSegmentMemoryPool"/>s (registered in DI, where Kestrel looks for its pool factory).</summary>
internal sealed class LargeSegmentMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeSegmentMemoryPool();
}
