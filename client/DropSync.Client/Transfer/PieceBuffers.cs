using System.Runtime.InteropServices;
using DropSync.Core.Content;

namespace DropSync.Client.Transfer;

/// <summary>
/// The 4 MiB sector-aligned piece buffers of the downloads of one sync pass, kept between its downloads: a fresh
/// native buffer costs a page fault per 4 KiB the first time it is written (about a thousand per piece, a dozen pieces
/// per download), so a pass that downloads many files maps and first-touches each buffer once instead of once per
/// file. Disposed at the end of the pass, so an idle client holds none. At most <see cref="Kept"/> are kept; a buffer
/// given back beyond that is freed at once.
/// </summary>
internal sealed class PieceBuffers : IDisposable
{
    /// <summary>
    /// Enough for the pieces of the pass's downloads at once (16 files side by side, a few pieces each); kept only until the
    /// pass ends, and never more than its downloads held at their peak.
    /// </summary>
    public const int Kept = 64;

    private readonly Stack<PieceBuffer> _free = new();
    private readonly Lock _lock = new();
    private bool _disposed;

    /// <summary>How many buffers this pool has made (each one mapped and first-touched once), for tests and figures.</summary>
    public int Made { get; private set; }

    public PieceBuffer Rent()
    {
        lock (_lock)
        {
            if (_free.TryPop(out var buffer))
            {
                return buffer;
            }

            Made++;
        }

        return new PieceBuffer();
    }

    public void Return(PieceBuffer buffer)
    {
        lock (_lock)
        {
            if (!_disposed && _free.Count < Kept)
            {
                _free.Push(buffer);
                return;
            }
        }

        buffer.Free();
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            while (_free.TryPop(out var buffer))
            {
                buffer.Free();
            }
        }
    }
}

/// <summary>A piece's worth of sector-aligned native memory, as direct I/O needs; freed by the pool (or its writer) that holds it.</summary>
internal sealed unsafe class PieceBuffer
{
    /// <summary>Direct writes are whole sectors at sector offsets; 4 KiB covers every common device.</summary>
    public const int Sector = 4096;

    private byte* _pointer = (byte*)NativeMemory.AlignedAlloc(ContentHasher.PieceSize, Sector);

    public Span<byte> Span => new(_pointer, ContentHasher.PieceSize);

    public void Free()
    {
        NativeMemory.AlignedFree(_pointer);
        _pointer = null;
    }
}
