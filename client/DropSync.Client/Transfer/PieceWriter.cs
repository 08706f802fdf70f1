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
/// (docs/performance/client-history.md, "Large files, round 9": the kernel copying every byte into freshly allocated
/// cache pages), as writing through it cost the server about 1 s per GiB before its block files went direct. A piece is
/// also hashed from memory in one call, never read back from the file. Only the pieces that blocks in flight touch are
/// held (about two per block in flight, 4 MiB each). Where the file system refuses direct I/O (tmpfs), pieces go
/// through the ordinary handle instead, as before.
/// </para>
/// </summary>
internal sealed class PieceWriter : IDisposable
{
    private const int Sector = PieceBuffer.Sector;

    private readonly SafeFileHandle _buffered;
    private readonly bool _hashPieces;
    private readonly long _length;
    private readonly byte[] _digests;
    private readonly bool[] _done;
    private readonly Dictionary<int, Piece> _open = [];
    private readonly PieceBuffers _buffers;
    private readonly bool _ownsBuffers;
    private readonly Lock _lock = new();
    private SafeFileHandle? _direct;
    private int _remaining;

    /// <param name="path">The file <paramref name="buffered"/> is open on: opened again for direct writes.</param>
    /// <param name="buffered">A read-write handle on the file, already <paramref name="length"/> bytes long.</param>
    /// <param name="tryDirect">False writes through <paramref name="buffered"/> only (tests of the fallback).</param>
    /// <param name="hashPieces">False for a download whose content hash is of the block-list kind: each block is checked
    /// against its name as it comes instead, so hashing the pieces would be a second pass over every byte.</param>
    /// <param name="buffers">The pass's piece buffers, shared by its downloads; null: this writer's own, freed with it.</param>
    public PieceWriter(string path, SafeFileHandle buffered, long length, bool tryDirect = true, bool hashPieces = true, PieceBuffers? buffers = null)
    {
        _ownsBuffers = buffers is null;
        _buffers = buffers ?? new PieceBuffers();
        _buffered = buffered;
        _hashPieces = hashPieces;
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
            Piece piece;
            lock (_lock)
            {
                if (_done[i])
                {
                    throw new InvalidOperationException($"Bytes of piece {i} were given twice.");
                }

                if (!_open.TryGetValue(i, out piece!))
                {
                    piece = new Piece(_buffers.Rent(), PieceLength(i));
                    _open[i] = piece;
                }
            }

            // Blocks cover disjoint ranges, so each copies into its own part of the piece without the lock.
            bytes.Slice((int)(from - offset), (int)(to - from)).CopyTo(piece.Buffer.Span[(int)(from - pieceStart)..]);
            bool complete;
            lock (_lock)
            {
                piece.Received.Add(((int)(from - pieceStart), (int)(to - from)));
                piece.Unwritten -= (int)(to - from);
                complete = piece.Unwritten == 0;
                if (piece.Unwritten < 0)
                {
                    throw new InvalidOperationException($"Bytes of piece {i} were given twice.");
                }
            }

            if (complete)
            {
                WritePiece(i, pieceStart, piece);
            }
        }
    }

    /// <summary>
    /// The content hash, once every piece is written; throws if a byte of the file never came. Also cuts off the zeroed
    /// tail a direct write of the last piece left past the file's end.
    /// </summary>
    public string ContentHash()
    {
        Complete();
        if (!_hashPieces)
        {
            throw new InvalidOperationException("This writer was made without hashing its pieces.");
        }

        using var hasher = new ContentHasher();
        for (var i = 0; i < _done.Length; i++)
        {
            hasher.AppendPieceDigest(_digests.AsSpan(i * 32, 32), (int)PieceLength(i));
        }

        return hasher.GetHashHex();
    }

    /// <summary>
    /// Checks that every byte of the file was written, and cuts off the zeroed tail a direct write of the last piece left
    /// past the file's end (<see cref="ContentHash"/> does this too).
    /// </summary>
    public void Complete()
    {
        lock (_lock)
        {
            if (_remaining != 0)
            {
                throw new InvalidOperationException("Part of the file was never written; it has no content hash yet.");
            }
        }

        RandomAccess.SetLength(_buffered, _length);
    }

    /// <summary>
    /// Writes what came of pieces still incomplete (a cancelled or failed download: the next run keeps the blocks that
    /// verify and fetches the rest), then gives the pieces' memory back (freed, unless the pass keeps it).
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

                _buffers.Return(piece.Buffer);
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
        }

        if (_ownsBuffers)
        {
            _buffers.Dispose();
        }

        _direct?.Dispose();
    }

    private long PieceLength(int piece) => Math.Min(ContentHasher.PieceSize, _length - ((long)piece * ContentHasher.PieceSize));

    private void WritePiece(int index, long pieceStart, Piece piece)
    {
        var span = piece.Buffer.Span;
        if (_hashPieces)
        {
            SHA256.HashData(span[..piece.Length], _digests.AsSpan(index * 32, 32));
        }

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
        }

        _buffers.Return(piece.Buffer);
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
}
