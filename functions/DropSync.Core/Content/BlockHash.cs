using System.Security.Cryptography;

namespace DropSync.Core.Content;

/// <summary>The name of a block: the SHA-256 of its plaintext bytes, written as 64 lowercase hex digits.</summary>
public readonly record struct BlockHash
{
    private readonly string _hex;

    private BlockHash(string hex) => _hex = hex;

    public string Hex => _hex ?? throw new InvalidOperationException("default BlockHash");

    public static BlockHash Of(ReadOnlySpan<byte> data) => new(Convert.ToHexStringLower(SHA256.HashData(data)));

    public static BlockHash FromDigest(ReadOnlySpan<byte> digest) =>
        digest.Length == 32 ? new(Convert.ToHexStringLower(digest)) : throw new ArgumentException("SHA-256 digests are 32 bytes", nameof(digest));

    public static bool TryParse(string? text, out BlockHash hash)
    {
        hash = default;
        if (text is null || text.Length != 64)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        hash = new BlockHash(text.ToLowerInvariant());
        return true;
    }

    public static BlockHash Parse(string? text) =>
        TryParse(text, out var hash)
            ? hash
            : throw Errors.Errors.BadRequest(Errors.ErrorCodes.MalformedBlockHash, "Block hashes are the SHA-256 of the block's bytes as 64 hex digits.");

    public byte[] ToBytes() => Convert.FromHexString(Hex);

    /// <summary>Writes the 32-byte digest into the first 32 bytes of <paramref name="into"/> (binary keys, headers, hash inputs).</summary>
    public void WriteDigest(Span<byte> into)
    {
        if (Convert.FromHexString(Hex, into[..32], out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
        {
            throw new InvalidOperationException("A block name is 64 hex digits.");
        }
    }

    public override string ToString() => Hex;
}
