using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using DropSync.Core.Content;

namespace DropSync.Embedded.Blocks;

/// <summary>
/// Buffers that hold one whole block file (header and body), outside the GC heap and aligned to 4 KiB so that they can be
/// handed to direct I/O. The store takes one per read or write in progress and at most <c>maxConcurrency</c> are in use, so
/// at most that many are ever kept; each is allocated once and reused, so memory stays flat whatever is transferred.
/// </summary>
internal sealed class BlockFileBuffers(int maxKept) : IDisposable
{
    /// <summary>Direct I/O wants offsets, lengths and memory aligned to the device's logical block size; 4 KiB covers every common device.</summary>
    public const int Alignment = 4096;

    /// <summary>The largest block file rounded up to <see cref="Alignment"/>.</summary>
    public static readonly int Capacity = AlignUp(BlockFileFormat.HeaderSize + Limits.MaxBlockSize);

    private readonly ConcurrentBag<Buffer> _free = [];
    private int _kept;
    private bool _disposed;

    public static int AlignUp(int length) => (length + Alignment - 1) & ~(Alignment - 1);

    public Buffer Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_free.TryTake(out var buffer))
        {
            Interlocked.Decrement(ref _kept);
            return buffer;
        }

        return new Buffer();
    }

    public void Return(Buffer buffer)
    {
        if (!_disposed && Interlocked.Increment(ref _kept) <= maxKept)
        {
            _free.Add(buffer);
            return;
        }

        Interlocked.Decrement(ref _kept);
        ((IDisposable)buffer).Dispose();
    }

    public void Dispose()
    {
        _disposed = true;
        while (_free.TryTake(out var buffer))
        {
            ((IDisposable)buffer).Dispose();
        }
    }

    /// <summary>One block file's worth of aligned native memory.</summary>
    public sealed unsafe class Buffer : MemoryManager<byte>
    {
        private byte* _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)Capacity, Alignment);

        public override Span<byte> GetSpan() => new(_pointer, Capacity);

        public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

        public override void Unpin()
        {
            // Native memory never moves.
        }

        protected override void Dispose(bool disposing)
        {
            if (_pointer is not null)
            {
                NativeMemory.AlignedFree(_pointer);
                _pointer = null;
            }
        }
    }
}
