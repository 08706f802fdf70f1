using System.Security.Cryptography;

namespace DropSync.Core.Content;

/// <summary>
/// Computes a file's <c>content_hash</c> as Dropbox publishes it: split the content into 4 MiB pieces, SHA-256 each
/// piece, and SHA-256 the concatenation of those digests. Incremental, so content of any length streams through it
/// whatever the sizes of the writes (which need not line up with the 4 MiB pieces).
/// </summary>
public sealed class ContentHasher : IDisposable
{
    public const int PieceSize = 4 * 1024 * 1024;

    private readonly IncrementalHash _overall = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _piece = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private int _pieceFill;

    public long Length { get; private set; }

    public void Append(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var take = Math.Min(PieceSize - _pieceFill, data.Length);
            _piece.AppendData(data[..take]);
            _pieceFill += take;
            Length += take;
            data = data[take..];
            if (_pieceFill == PieceSize)
            {
                FlushPiece();
            }
        }
    }

    /// <summary>Appends the digest of a whole 4 MiB-aligned piece without its bytes (for fixed-size blocks already hashed).</summary>
    public void AppendPieceDigest(ReadOnlySpan<byte> sha256OfPiece, int pieceLength)
    {
        if (_pieceFill != 0)
        {
            throw new InvalidOperationException("A piece digest can only follow whole pieces.");
        }

        _overall.AppendData(sha256OfPiece);
        Length += pieceLength;
    }

    /// <summary>
    /// Whether every block but the last is exactly one 4 MiB piece: then each block's name (the SHA-256 of its bytes) is
    /// its piece's digest, and the content hash follows from the names alone.
    /// </summary>
    public static bool IsPieceAligned(IReadOnlyList<BlockRef> blocks)
    {
        for (var i = 0; i < blocks.Count - 1; i++)
        {
            if (blocks[i].Size != PieceSize)
            {
                return false;
            }
        }

        return blocks.Count == 0 || blocks[^1].Size is > 0 and <= PieceSize;
    }

    /// <summary>The content hash of piece-aligned blocks (<see cref="IsPieceAligned"/>) from their names, without their bytes.</summary>
    public static string FromAlignedBlocks(IReadOnlyList<BlockRef> blocks)
    {
        using var hasher = new ContentHasher();
        Span<byte> digest = stackalloc byte[32];
        foreach (var block in blocks)
        {
            block.Hash.WriteDigest(digest);
            hasher.AppendPieceDigest(digest, block.Size);
        }

        return hasher.GetHashHex();
    }

    public string GetHashHex()
    {
        if (_pieceFill > 0)
        {
            FlushPiece();
        }

        return Convert.ToHexStringLower(_overall.GetHashAndReset());
    }

    private void FlushPiece()
    {
        Span<byte> digest = stackalloc byte[32];
        _piece.GetHashAndReset(digest);
        _overall.AppendData(digest);
        _pieceFill = 0;
    }

    public void Dispose()
    {
        _overall.Dispose();
        _piece.Dispose();
    }

    public static string Compute(ReadOnlySpan<byte> content)
    {
        using var hasher = new ContentHasher();
        hasher.Append(content);
        return hasher.GetHashHex();
    }
}
