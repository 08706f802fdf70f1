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
internal sealed partial class BlockFileBuffers(int maxKept) : IDisposable
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

    /// <summary>
    /// One block file's worth of aligned native memory. On Linux it is mapped on a 2 MiB boundary and marked for
    /// transparent huge pages: a direct-I/O write or read pins the buffer's pages for the device (the kernel walks them
    /// with interrupts off), 1,025 small pages per block against two huge ones and one small one, and it was 0.05–0.07
    /// CPU-s per GiB of block writes (round 8 of the benchmark README). The buffer is filled whole by every 4 MiB block,
    /// so the huge pages hold no more memory than the small ones did. Elsewhere, or if the mapping fails, an ordinary
    /// aligned allocation.
    /// </summary>
    public sealed unsafe partial class Buffer : MemoryManager<byte>
    {
        private const int HugePage = 2 * 1024 * 1024;
        private const int ProtReadWrite = 0x1 | 0x2;
        private const int MapPrivateAnonymous = 0x02 | 0x20;
        private const int MadviseHugePage = 14;

        private static readonly nuint MappedLength = (nuint)Capacity;

        /// <summary>Only whole huge pages: the last few KiB past 4 MiB stay on a small page rather than fault in a third 2 MiB.</summary>
        private static readonly nuint HugeLength = (nuint)(Capacity / HugePage * HugePage);

        private byte* _pointer;
        private bool _mapped;

        public Buffer()
        {
            _pointer = OperatingSystem.IsLinux() ? MapOnHugePageBoundary() : null;
            _mapped = _pointer is not null;
            if (_pointer is null)
            {
                _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)Capacity, Alignment);
            }
        }

        public override Span<byte> GetSpan() => new(_pointer, Capacity);

        public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

        public override void Unpin()
        {
            // Native memory never moves.
        }

        protected override void Dispose(bool disposing)
        {
            if (_pointer is null)
            {
                return;
            }

            if (_mapped)
            {
                _ = Munmap(_pointer, MappedLength);
            }
            else
            {
                NativeMemory.AlignedFree(_pointer);
            }

            _pointer = null;
        }

        /// <summary>Maps a 2 MiB-aligned region (a larger mapping, its ends unmapped again) and asks for huge pages; null on failure.</summary>
        private static byte* MapOnHugePageBoundary()
        {
            var over = MappedLength + HugePage;
            var raw = Mmap(null, over, ProtReadWrite, MapPrivateAnonymous, -1, 0);
            if (raw == (byte*)-1)
            {
                return null;
            }

            var aligned = (byte*)(((nuint)raw + HugePage - 1) & ~(nuint)(HugePage - 1));
            var head = (nuint)(aligned - raw);
            if (head > 0)
            {
                _ = Munmap(raw, head);
            }

            var tail = over - head - MappedLength;
            if (tail > 0)
            {
                _ = Munmap(aligned + MappedLength, tail);
            }

            // Advice only: without huge pages (disabled, or none free) the buffer works the same on small ones.
            _ = Madvise(aligned, HugeLength, MadviseHugePage);
            return aligned;
        }

        [LibraryImport("libc", EntryPoint = "mmap")]
        private static partial byte* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

        [LibraryImport("libc", EntryPoint = "munmap")]
        private static partial int Munmap(void* address, nuint length);

        [LibraryImport("libc", EntryPoint = "madvise")]
        private static partial int Madvise(void* address, nuint length, int advice);
    }
}
