using System.Security.Cryptography;

namespace DropSync.Benchmarks;

/// <summary>
/// Dropbox's content hash, computed here independently of the server's code: SHA-256 of the concatenated SHA-256
/// digests of the content's 4 MiB pieces (the last piece may be shorter), as lowercase hex.
/// </summary>
internal sealed class ContentHash : IDisposable
{
    private const int PieceSize = PseudoRandomBlock.BlockSize;

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

    public string Finish()
    {
        if (_pieceFill > 0)
        {
            FlushPiece();
        }

        return Convert.ToHexStringLower(_overall.GetHashAndReset());
    }

    /// <summary>The content hash of a file made of whole 4 MiB pieces (the last may be shorter) whose digests are known.</summary>
    public static string FromPieceDigests(IEnumerable<byte[]> digests)
    {
        using var overall = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var digest in digests)
        {
            overall.AppendData(digest);
        }

        return Convert.ToHexStringLower(overall.GetHashAndReset());
    }

    public void Dispose()
    {
        _overall.Dispose();
        _piece.Dispose();
    }

    private void FlushPiece()
    {
        Span<byte> digest = stackalloc byte[32];
        _piece.GetHashAndReset(digest);
        _overall.AppendData(digest);
        _pieceFill = 0;
    }
}
