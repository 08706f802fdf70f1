using System.Buffers;
using System.Runtime.InteropServices;

namespace DropSync.Core.Content;

/// <summary>
/// One pooled block buffer (<see cref="BlockBuffers"/>): room for a 4 MiB block (<see cref="MemoryManager{T}.Memory"/>),
/// preceded by <see cref="HeaderRoom"/> bytes, in native memory aligned for direct I/O. The embedded block store seals a
/// block in place in it (header in the room before the block, ciphertext over the plaintext) and reads a block file
/// into it and opens it in place, so a block in flight needs this one buffer rather than this and a file buffer of
/// the store's (8 MiB less with two store slots; issue 12). A store may do that to any put of a whole buffer's
/// <see cref="MemoryManager{T}.Memory"/> (from its start): after a put the block's bytes are undefined, so read them
/// before storing. Return it to <see cref="BlockBuffers"/> rather than disposing it.
/// </summary>
public sealed unsafe partial class BlockBuffer : MemoryManager<byte>
{
    /// <summary>Bytes before the block: the embedded store's block-file header, which must fit exactly (it checks at build time).</summary>
    public const int HeaderRoom = 106;

    /// <summary>Direct I/O wants offsets, lengths and memory aligned to the device's logical block size; 4 KiB covers every common device.</summary>
    public const int Alignment = 4096;

    /// <summary>The header room and the largest block, rounded up to <see cref="Alignment"/>: a whole block file with its direct-I/O padding.</summary>
    public static readonly int FileCapacity = AlignUp(HeaderRoom + Limits.MaxBlockSize);

    private const int HugePage = 2 * 1024 * 1024;
    private const int ProtReadWrite = 0x1 | 0x2;
    private const int MapPrivateAnonymous = 0x02 | 0x20;
    private const int MadviseHugePage = 14;

    private static readonly nuint MappedLength = (nuint)FileCapacity;

    /// <summary>Only whole huge pages: the last few KiB past 4 MiB stay on a small page rather than fault in a third 2 MiB.</summary>
    private static readonly nuint HugeLength = (nuint)(FileCapacity / HugePage * HugePage);

    private byte* _pointer;
    private readonly bool _mapped;

    /// <summary>
    /// On Linux the buffer is mapped on a 2 MiB boundary and marked for transparent huge pages: a direct-I/O write or read
    /// pins the buffer's pages for the device (the kernel walks them with interrupts off), 1,025 small pages per block
    /// against two huge ones and one small one (0.05–0.07 CPU-s per GiB of block writes,
    /// docs/performance/server-history.md, "Round 8: upload CPU, hand-offs and pinned pages").
    /// A 4 MiB block fills it whole, so the huge pages hold no more memory than small ones would. Elsewhere, or if the
    /// mapping fails, an ordinary aligned allocation.
    /// </summary>
    internal BlockBuffer()
    {
        _pointer = OperatingSystem.IsLinux() ? MapOnHugePageBoundary() : null;
        _mapped = _pointer is not null;
        if (_pointer is null)
        {
            _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)FileCapacity, Alignment);
        }
    }

    /// <summary>The whole aligned memory: <see cref="HeaderRoom"/> bytes, the block, then padding up to <see cref="FileCapacity"/>.</summary>
    public Span<byte> FileSpan => new(_pointer, FileCapacity);

    public static int AlignUp(int length) => (length + Alignment - 1) & ~(Alignment - 1);

    /// <summary>The block's room, after the header room.</summary>
    public override Span<byte> GetSpan() => new(_pointer + HeaderRoom, Limits.MaxBlockSize);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + HeaderRoom + elementIndex);

    public override void Unpin()
    {
        // Native memory never moves.
    }

    /// <summary>Frees the memory: only the pool calls this, for a buffer it does not keep.</summary>
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
