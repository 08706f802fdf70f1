using System.Buffers.Binary;
using System.Security.Cryptography;

namespace DropSync.Core.Content;

/// <summary>The two kinds of <c>content_hash</c> a revision may carry.</summary>
public enum ContentHashKind
{
    /// <summary>Dropbox's: SHA-256 over the SHA-256 of each 4 MiB piece (<see cref="ContentHasher"/>); written as bare 64 hex digits.</summary>
    Pieces,

    /// <summary>
    /// Derived from the block list: SHA-256 over, for each block in file order, its 32-byte name followed by its length as
    /// an 8-byte little-endian integer (40 bytes a block; an empty file hashes the empty input). Written <c>b1:</c> + 64
    /// hex digits. The server gets it from names it has already verified, with no pass over the bytes; the same bytes cut
    /// into other blocks give another value, so two values of this kind that differ say nothing about the bytes.
    /// </summary>
    BlockList,
}

/// <summary>
/// A content hash with its kind: the one place that parses, computes and compares them. Stored and sent as text
/// (<see cref="ToString"/>), so a revision's record needs no new field: bare hex is <see cref="ContentHashKind.Pieces"/>,
/// <c>b1:</c>-prefixed hex is <see cref="ContentHashKind.BlockList"/>.
/// </summary>
public readonly record struct ContentHash
{
    public const string BlockListPrefix = "b1:";

    /// <summary>What the API calls the block-list kind (the tag without its colon).</summary>
    public const string BlockListKindName = "b1";

    private const int BytesPerBlock = 32 + 8;

    private readonly string _hex;

    private ContentHash(ContentHashKind kind, string hex)
    {
        Kind = kind;
        _hex = hex;
    }

    public ContentHashKind Kind { get; }

    /// <summary>The 64 lowercase hex digits, without the kind's tag.</summary>
    public string Hex => _hex ?? throw new InvalidOperationException("default ContentHash");

    public static bool TryParse(string? text, out ContentHash hash)
    {
        hash = default;
        if (text is null)
        {
            return false;
        }

        var kind = ContentHashKind.Pieces;
        if (text.StartsWith(BlockListPrefix, StringComparison.Ordinal))
        {
            kind = ContentHashKind.BlockList;
            text = text[BlockListPrefix.Length..];
        }

        if (!BlockHash.TryParse(text, out var digits))
        {
            return false;
        }

        hash = new ContentHash(kind, digits.Hex);
        return true;
    }

    /// <summary>Whether <paramref name="text"/> is a hash of the block-list kind (a cheap prefix test, no validation).</summary>
    public static bool IsBlockList(string? text) => text is not null && text.StartsWith(BlockListPrefix, StringComparison.Ordinal);

    /// <summary>The kind <paramref name="text"/> is written in (bare hex, or anything not tagged, is the pieces kind).</summary>
    public static ContentHashKind KindOf(string? text) => IsBlockList(text) ? ContentHashKind.BlockList : ContentHashKind.Pieces;

    /// <summary>The block-list hash of <paramref name="blocks"/> (see <see cref="ContentHashKind.BlockList"/>): names only, no bytes.</summary>
    public static ContentHash OfBlockList(IReadOnlyList<BlockRef> blocks)
    {
        using var hasher = new BlockListHasher();
        foreach (var block in blocks)
        {
            hasher.Append(block.Hash, block.Size);
        }

        return hasher.GetHash();
    }

    /// <summary>
    /// The content hash of <paramref name="recordedKind"/> that <paramref name="blocks"/> make, from their names alone
    /// (each verified against its bytes by the store): always for the block-list kind, and for the pieces kind when the
    /// blocks are 4 MiB-aligned; null when the bytes must be hashed.
    /// </summary>
    public static string? FromNames(IReadOnlyList<BlockRef> blocks, ContentHashKind recordedKind) => recordedKind switch
    {
        ContentHashKind.BlockList => OfBlockList(blocks).ToString(),
        _ when ContentHasher.IsPieceAligned(blocks) => ContentHasher.FromAlignedBlocks(blocks),
        _ => null,
    };

    /// <summary>
    /// Whether two content hashes (as text) stand for the same bytes: compared only within a kind; null (unknown: fall
    /// back to the bytes) when either is missing or they are of different kinds. Two block-list values differ for the same
    /// bytes cut into other blocks, so "false" there means "not known to be equal" — callers take the path that is safe
    /// for different bytes (download, upload), never one that loses either side.
    /// </summary>
    public static bool? SameContent(string? a, string? b) =>
        a is null || b is null || KindOf(a) != KindOf(b) ? null : string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    public override string ToString() => Kind == ContentHashKind.BlockList ? BlockListPrefix + Hex : Hex;

    /// <summary>Builds a <see cref="ContentHashKind.BlockList"/> hash block by block, in file order.</summary>
    private sealed class BlockListHasher : IDisposable
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public void Append(BlockHash name, int length)
        {
            Span<byte> entry = stackalloc byte[BytesPerBlock];
            name.WriteDigest(entry[..32]);
            BinaryPrimitives.WriteInt64LittleEndian(entry[32..], length);
            _hash.AppendData(entry);
        }

        public ContentHash GetHash()
        {
            Span<byte> digest = stackalloc byte[32];
            _hash.GetHashAndReset(digest);
            return new ContentHash(ContentHashKind.BlockList, Convert.ToHexStringLower(digest));
        }

        public void Dispose() => _hash.Dispose();
    }
}
