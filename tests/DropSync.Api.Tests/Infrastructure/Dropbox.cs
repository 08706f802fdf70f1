using System.Security.Cryptography;

namespace DropSync.Api.Tests.Infrastructure;

/// <summary>Dropbox's published content hash, written out plainly here so tests check the server against it independently.</summary>
public static class Dropbox
{
    public static string ContentHash(byte[] content)
    {
        using var all = new MemoryStream();
        for (var offset = 0; offset < content.Length; offset += 4 * 1024 * 1024)
        {
            all.Write(SHA256.HashData(content.AsSpan(offset, Math.Min(4 * 1024 * 1024, content.Length - offset))));
        }

        return Convert.ToHexStringLower(SHA256.HashData(all.ToArray()));
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static string Sha256Hex(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));
}
