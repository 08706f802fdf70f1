using System.Buffers;
using System.Security.Cryptography;
using DropSync.Core.Content;
using Microsoft.Win32.SafeHandles;

namespace DropSync.Client.Transfer;

/// <summary>
/// The content hash of a file whose blocks are written out of order (a download), computed while it is written, so
/// the check after the last block is one SHA-256 over the piece digests, not a second pass over the whole file.
/// <para>
/// Each 4 MiB piece is hashed from the bytes in hand as they are written, while they arrive in order (blocks are
/// fetched in file order, so nearly always); only the part of a piece after a block that came early is read back from
/// the page cache, once the piece is complete. Hashing the bytes already in memory saves reading 1 GiB back.
/// </para>
/// </summary>
internal sealed class PieceHashes : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly long _length;
    private readonly Piece[] _pieces;
    private readonly byte[] _digests;

    public PieceHashes(SafeFileHandle handle, long length)
    {
        _handle = handle;
        _length = length;
        var pieces = (int)((length + ContentHasher.PieceSize - 1) / ContentHasher.PieceSize);
        _pieces = new Piece[pieces];
        for (var i = 0; i < pieces; i++)
        {
            _pieces[i] = new Piece(PieceLength(i));
        }

        _digests = new byte[pieces * 32];
    }

    /// <summary>
    /// <paramref name="bytes"/> are now in the file at <paramref name="offset"/> (written, so a read sees them): they
    /// are hashed into their pieces, and pieces now complete get their digest.
    /// </summary>
    public void Written(long offset, ReadOnlySpan<byte> bytes)
    {
        var end = Math.Min(_length, offset + bytes.Length);
        for (var i = (int)(offset / ContentHasher.PieceSize); i < _pieces.Length && (long)i * ContentHasher.PieceSize < end; i++)
        {
            var pieceStart = (long)i * ContentHasher.PieceSize;
            var from = Math.Max(offset, pieceStart);
            var to = Math.Min(end, pieceStart + _pieces[i].Length);
            Add(i, from - pieceStart, bytes.Slice((int)(from - offset), (int)(to - from)));
        }
    }

    /// <summary>The content hash, once every piece is hashed; throws if a byte of the file was never written.</summary>
    public string ContentHash()
    {
        using var hasher = new ContentHasher();
        for (var i = 0; i < _pieces.Length; i++)
        {
            lock (_pieces[i])
            {
                if (_pieces[i].Unwritten != 0)
                {
                    throw new InvalidOperationException("Part of the file was never written; it has no content hash yet.");
                }
            }

            hasher.AppendPieceDigest(_digests.AsSpan(i * 32, 32), (int)_pieces[i].Length);
        }

        return hasher.GetHashHex();
    }

    public void Dispose()
    {
        foreach (var piece in _pieces)
        {
            lock (piece)
            {
                piece.Hash?.Dispose();
                piece.Hash = null;
            }
        }
    }

    private long PieceLength(int piece) => Math.Min(ContentHasher.PieceSize, _length - ((long)piece * ContentHasher.PieceSize));

    private void Add(int index, long at, ReadOnlySpan<byte> bytes)
    {
        var piece = _pieces[index];
        lock (piece)
        {
            piece.Unwritten -= bytes.Length;
            if (at == piece.HashedTo)
            {
                piece.Hash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                piece.Hash.AppendData(bytes);
                piece.HashedTo += bytes.Length;
            }

            if (piece.Unwritten != 0)
            {
                return;
            }

            piece.Hash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            if (piece.HashedTo < piece.Length)
            {
                ReadBack(piece, (long)index * ContentHasher.PieceSize);
            }

            piece.Hash.GetHashAndReset(_digests.AsSpan(index * 32, 32));
            piece.Hash.Dispose();
            piece.Hash = null;
        }
    }

    /// <summary>The rest of a complete piece whose later bytes were written before its earlier ones.</summary>
    private void ReadBack(Piece piece, long pieceStart)
    {
        var length = (int)(piece.Length - piece.HashedTo);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var read = 0;
            while (read < length)
            {
                var n = RandomAccess.Read(_handle, buffer.AsSpan(read, length - read), pieceStart + piece.HashedTo + read);
                if (n == 0)
                {
                    throw new IOException("The file being downloaded ended early.");
                }

                read += n;
            }

            piece.Hash!.AppendData(buffer.AsSpan(0, length));
            piece.HashedTo = piece.Length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>One piece's progress; guarded by locking the instance.</summary>
    private sealed class Piece(long length)
    {
        public long Length { get; } = length;

        /// <summary>Bytes of the piece not written yet.</summary>
        public long Unwritten { get; set; } = length;

        /// <summary>How far from the piece's start the bytes have been hashed, in order.</summary>
        public long HashedTo { get; set; }

        public IncrementalHash? Hash { get; set; }
    }
}
