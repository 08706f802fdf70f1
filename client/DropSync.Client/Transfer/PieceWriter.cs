using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using DropSync.Core.Content;
using Microsoft.Win32.SafeHandles;

namespace DropSync.Client.Transfer;

/// <summary>
/// Writes a download whose blocks arrive out of order, and computes its content hash on the way: each block's bytes
/// are copied into the 4 MiB piece(s) of the content hash they belong to (aligned memory), and a piece, once every byte
/// of it has come, is hashed whole and written with one direct write (<c>O_DIRECT</c>, Linux), then its memory reused.
/// <para>
/// Why: writing a download through the page cache cost 1.8 of the 3.3 CPU-s of a 1 GiB download on this machine
/// (client/README.md, large files round 9: the kernel copying every byte into freshly allocated cache pages), as
/// writing through it cost the server about 1 s per GiB before its block files went direct. A piece is also hashed from
/// memory in one call, never read back from the file. Only the pieces that blocks in flight touch are held (about two
/// per block in flight, 4 MiB each). Where the file system refuses direct I/O (tmpfs), pieces go through the ordinary
/// handle instead, as before.
/// </para>
/// </summary>
internal sealed class PieceWriter : IDisposable
{
    /// <summary>Direct writes are whole sectors at sector offsets; 4 KiB covers every common device.</summary>
    private const int Sector = 4096;

    private readonly SafeFileHandle _buffered;
    private readonly long _length;
    private readonly byte[] _digests;
    private readonly bool[] _done;
    private readonly Dictionary<int, Piece> _open = [];
    private readonly Stack<PieceBuffer> _free = new();
    private readonly Lock _lock = new();
    private SafeFileHandle? _direct;
    private int _remaining;

    /// <param name="path">The file <paramref name="buffered"/> is open on: opened again for direct writes.</param>
    /// <param name="buffered">A read-write handle on the file, already <paramref name="length"/> bytes long.</param>
    /// <param name="tryDirect">False writes through <paramref name="buffered"/> only (tests of the fallback).</param>
    public PieceWriter(string path, SafeFileHandle buffered, long length, bool tryDirect = true)
    {
        _buffered = buffered;
        _length = length;
        var pieces = (int)((length + ContentHasher.PieceSize - 1) / ContentHasher.PieceSize);
        _digests = new byte[pieces * 32];
        _done = new bool[pieces];
        _remaining = pieces;
        _direct = tryDirect ? DirectFile.TryOpenForWrite(path) : null;
    }

    /// <summary>Whether complete pieces are written with direct I/O (else through the ordinary handle).</summary>
    public bool UsesDirectIo => Volatile.Read(ref _direct) is not null;

    /// <summary>
    /// <paramref name="bytes"/> are the file's at <paramref name="offset"/> (a block, each range given once): copied into
    /// their pieces; a piece now complete is hashed and written before this returns.
    /// </summary>
    public void Written(long offset, ReadOnlySpan<byte> bytes)
    {
        var end = Math.Min(_length, offset + bytes.Length);
        for (var i = (int)(offset / ContentHasher.PieceSize); (long)i * ContentHasher.PieceSize < end; i++)
        {
            var pieceStart = (long)i * ContentHasher.PieceSize;
            var from = Math.Max(offset, pieceStart);
            var to = Math.Min(end, pieceStart + PieceLength(i));

            // Blocks cover disjoint ranges, so each copies into its own part of the piece without the lock.
            bytes.Slice((int)(from - offset), (int)(to - from)).CopyTo(OpenPiece(i).Buffer.Span[(int)(from - pieceStart)..]);
            Received(i, from, to);
        }
    }

    /// <summary>
    /// The memory where the file's bytes at <paramref name="offset"/> go, for a block to be received straight into its
    /// piece(s) rather than into a buffer of its own and then copied: a block no longer than a piece spans at most two, so
    /// <see cref="BlockSlot.First"/> and then <see cref="BlockSlot.Second"/> (empty when it fits in one). Fill both, then
    /// <see cref="Commit"/>; a slot never committed (a failed fetch) leaves its bytes out of the file and the hash.
    /// </summary>
    public BlockSlot Reserve(long offset, int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, ContentHasher.PieceSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + length, _length);
        var i = (int)(offset / ContentHasher.PieceSize);
        var pieceStart = (long)i * ContentHasher.PieceSize;
        var inFirst = (int)Math.Min(length, pieceStart + PieceLength(i) - offset);
        var first = OpenPiece(i).Buffer.Memory.Slice((int)(offset - pieceStart), inFirst);
        var second = inFirst == length ? Memory<byte>.Empty : OpenPiece(i + 1).Buffer.Memory[..(length - inFirst)];
        return new BlockSlot(offset, length, first, second);
    }

    /// <summary>The bytes of <paramref name="slot"/> are all in place: as <see cref="Written"/>, without the copy.</summary>
    public void Commit(BlockSlot slot)
    {
        var i = (int)(slot.Offset / ContentHasher.PieceSize);
        Received(i, slot.Offset, slot.Offset + slot.First.Length);
        if (!slot.Second.IsEmpty)
        {
            Received(i + 1, slot.Offset + slot.First.Length, slot.Offset + slot.Length);
        }
    }

    /// <summary>
    /// The content hash, once every piece is written; throws if a byte of the file never came. Also cuts off the zeroed
    /// tail a direct write of the last piece left past the file's end.
    /// </summary>
    public string ContentHash()
    {
        lock (_lock)
        {
            if (_remaining != 0)
            {
                throw new InvalidOperationException("Part of the file was never written; it has no content hash yet.");
            }
        }

        RandomAccess.SetLength(_buffered, _length);
        using var hasher = new ContentHasher();
        for (var i = 0; i < _done.Length; i++)
        {
            hasher.AppendPieceDigest(_digests.AsSpan(i * 32, 32), (int)PieceLength(i));
        }

        return hasher.GetHashHex();
    }

    /// <summary>
    /// Writes what came of pieces still incomplete (a cancelled or failed download: the next run keeps the blocks that
    /// verify and fetches the rest), then frees the pieces' memory.
    /// </summary>
    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var (index, piece) in _open)
            {
                var pieceStart = (long)index * ContentHasher.PieceSize;
                try
                {
                    foreach (var (from, count) in piece.Received)
                    {
                        RandomAccess.Write(_buffered, piece.Buffer.Span.Slice(from, count), pieceStart + from);
                    }
                }
                catch (IOException)
                {
                    // Best effort: the download already failed, and what is not kept is fetched again next time.
                }

                piece.Buffer.Free();
            }

            _open.Clear();
            try
            {
                // A direct write of the last piece may have left zeroes past the file's end.
                RandomAccess.SetLength(_buffered, _length);
            }
            catch (IOException)
            {
                // Best effort, as above: the next run sets the part file's length before it reads it.
            }

            while (_free.TryPop(out var buffer))
            {
                buffer.Free();
            }
        }

        _direct?.Dispose();
    }

    /// <summary>Piece <paramref name="index"/>, given memory when its first bytes come.</summary>
    private Piece OpenPiece(int index)
    {
        lock (_lock)
        {
            if (_done[index])
            {
                throw new InvalidOperationException($"Bytes of piece {index} were given twice.");
            }

            if (!_open.TryGetValue(index, out var piece))
            {
#pragma warning disable CA2000 // The writer owns its piece buffers: Dispose frees every one.
                piece = new Piece(_free.TryPop(out var reused) ? reused : new PieceBuffer(), PieceLength(index));
#pragma warning restore CA2000
                _open[index] = piece;
            }

            return piece;
        }
    }

    /// <summary>The file's bytes from <paramref name="from"/> to <paramref name="to"/>, in piece <paramref name="index"/>'s memory now; writes the piece once it is whole.</summary>
    private void Received(int index, long from, long to)
    {
        var pieceStart = (long)index * ContentHasher.PieceSize;
        Piece piece;
        bool complete;
        lock (_lock)
        {
            piece = _open[index];
            piece.Received.Add(((int)(from - pieceStart), (int)(to - from)));
            piece.Unwritten -= (int)(to - from);
            complete = piece.Unwritten == 0;
            if (piece.Unwritten < 0)
            {
                throw new InvalidOperationException($"Bytes of piece {index} were given twice.");
            }
        }

        if (complete)
        {
            WritePiece(index, pieceStart, piece);
        }
    }

    private long PieceLength(int piece) => Math.Min(ContentHasher.PieceSize, _length - ((long)piece * ContentHasher.PieceSize));

    private void WritePiece(int index, long pieceStart, Piece piece)
    {
        var span = piece.Buffer.Span;
        SHA256.HashData(span[..piece.Length], _digests.AsSpan(index * 32, 32));
        var written = false;
        if (Volatile.Read(ref _direct) is { } direct)
        {
            // Whole sectors: the last piece's zeroed tail past the file's end is cut off again by ContentHash.
            var padded = (piece.Length + Sector - 1) / Sector * Sector;
            span[piece.Length..padded].Clear();
            try
            {
                RandomAccess.Write(direct, span[..padded], pieceStart);
                written = true;
            }
            catch (IOException)
            {
                // A device or file system with stricter alignment than a sector: from now on, the ordinary handle.
                Interlocked.Exchange(ref _direct, null)?.Dispose();
            }
        }

        if (!written)
        {
            RandomAccess.Write(_buffered, span[..piece.Length], pieceStart);
        }

        lock (_lock)
        {
            _open.Remove(index);
            _done[index] = true;
            _remaining--;
            _free.Push(piece.Buffer);
        }
    }

    /// <summary>One piece being filled; guarded by the writer's lock but for the copies into its buffer.</summary>
    private sealed class Piece(PieceBuffer buffer, long length)
    {
        public PieceBuffer Buffer { get; } = buffer;

        public int Length { get; } = (int)length;

        public int Unwritten { get; set; } = (int)length;

        /// <summary>The ranges that came, to write out if the download stops before the piece is complete.</summary>
        public List<(int From, int Count)> Received { get; } = [];
    }

    /// <summary>
    /// A piece's worth of sector-aligned native memory, as direct I/O needs; the writer frees every one it made. A
    /// <see cref="MemoryManager{T}"/> so that a block's response body can be read straight into it (<see cref="Reserve"/>).
    /// </summary>
    private sealed unsafe class PieceBuffer : MemoryManager<byte>
    {
        private byte* _pointer = (byte*)NativeMemory.AlignedAlloc(ContentHasher.PieceSize, Sector);

        public Span<byte> Span => new(_pointer, ContentHasher.PieceSize);

        public override Span<byte> GetSpan() => Span;

        // Native memory does not move: nothing to pin.
        public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

        public override void Unpin()
        {
        }

        public void Free()
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
        }

        protected override void Dispose(bool disposing) => Free();
    }
}

/// <summary>Where a block's bytes go in a <see cref="PieceWriter"/>: <see cref="First"/>, then <see cref="Second"/> (empty unless it crosses into the next piece).</summary>
internal readonly record struct BlockSlot(long Offset, int Length, Memory<byte> First, Memory<byte> Second);
