using System.Security.Cryptography;

namespace DropSync.Core.Tests;

/// <summary>
/// Dropbox's content_hash written out the plain way, independently of the core: SHA-256 each 4 MiB piece,
/// concatenate the digests, SHA-256 the concatenation.
/// </summary>
internal static class ReferenceContentHash
{
    private const int Piece = 4 * 1024 * 1024;

    public static string Of(byte[] content)
    {
        var concatenated = new List<byte>();
        for (var offset = 0; offset < content.Length; offset += Piece)
        {
            var length = Math.Min(Piece, content.Length - offset);
            concatenated.AddRange(SHA256.HashData(content.AsSpan(offset, length)));
        }

        return Convert.ToHexStringLower(SHA256.HashData(concatenated.ToArray()));
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
