using System.Security.Cryptography;
using DropSync.Core.Content;

namespace DropSync.Core.Tests;

public class ContentHasherTests
{
    private const int MiB = 1024 * 1024;
    private const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    public static TheoryData<int> Lengths() => new()
    {
        0,
        1,
        (4 * MiB) - 1,
        4 * MiB,
        (4 * MiB) + 1,
        (9 * MiB) + 123,
    };

    [Fact]
    public void The_piece_size_is_4_MiB() => Assert.Equal(4 * MiB, ContentHasher.PieceSize);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Compute_matches_the_reference_definition(int length)
    {
        var content = ReferenceContentHash.RandomBytes(length, seed: length);

        Assert.Equal(ReferenceContentHash.Of(content), ContentHasher.Compute(content));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Random_sized_writes_that_straddle_pieces_give_the_reference_hash(int length)
    {
        var content = ReferenceContentHash.RandomBytes(length, seed: length + 1);
        var random = new Random(length);
        using var hasher = new ContentHasher();
        var writes = 0;
        var offset = 0;
        while (offset < content.Length)
        {
            // Mostly odd sizes well below a piece, sometimes bigger than one, sometimes empty.
            var size = random.Next(8) switch
            {
                0 => 0,
                1 => random.Next(1, 10),
                2 => random.Next(5 * MiB, 6 * MiB),
                _ => random.Next(1, (3 * MiB) + 7),
            };
            size = Math.Min(size, content.Length - offset);
            hasher.Append(content.AsSpan(offset, size));
            offset += size;
            writes++;
        }

        Assert.Equal(length, hasher.Length);
        Assert.Equal(ReferenceContentHash.Of(content), hasher.GetHashHex());
        if (length > 4 * MiB)
        {
            Assert.True(writes > 1);
        }
    }

    [Fact]
    public void Writes_of_one_byte_at_a_time_across_a_piece_boundary_give_the_reference_hash()
    {
        var content = ReferenceContentHash.RandomBytes((4 * MiB) + 3, seed: 7);
        using var hasher = new ContentHasher();
        hasher.Append(content.AsSpan(0, (4 * MiB) - 3));
        for (var i = (4 * MiB) - 3; i < content.Length; i++)
        {
            hasher.Append(content.AsSpan(i, 1));
        }

        Assert.Equal(ReferenceContentHash.Of(content), hasher.GetHashHex());
    }

    [Fact]
    public void The_empty_content_hashes_to_the_SHA256_of_nothing()
    {
        Assert.Equal(EmptySha256, ContentHasher.Compute([]));
        Assert.Equal(EmptySha256, Convert.ToHexStringLower(SHA256.HashData([])));

        using var hasher = new ContentHasher();
        hasher.Append([]);
        Assert.Equal(0, hasher.Length);
        Assert.Equal(EmptySha256, hasher.GetHashHex());
    }

    [Fact]
    public void Content_under_one_piece_is_the_SHA256_of_its_SHA256()
    {
        var content = "hello world"u8.ToArray();

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(SHA256.HashData(content))), ContentHasher.Compute(content));
    }

    [Fact]
    public void The_hash_is_64_lowercase_hex_digits() =>
        Assert.Matches("^[0-9a-f]{64}$", ContentHasher.Compute(ReferenceContentHash.RandomBytes(1000, seed: 3)));

    [Theory]
    [InlineData(4 * MiB)]
    [InlineData((8 * MiB) + 1)]
    [InlineData((9 * MiB) + 123)]
    [InlineData(12 * MiB)]
    public void AppendPieceDigest_gives_the_same_result_as_appending_the_bytes(int length)
    {
        var content = ReferenceContentHash.RandomBytes(length, seed: length + 2);
        using var hasher = new ContentHasher();
        for (var offset = 0; offset < content.Length; offset += ContentHasher.PieceSize)
        {
            var piece = content.AsSpan(offset, Math.Min(ContentHasher.PieceSize, content.Length - offset));
            hasher.AppendPieceDigest(SHA256.HashData(piece), piece.Length);
        }

        Assert.Equal(length, hasher.Length);
        Assert.Equal(ContentHasher.Compute(content), hasher.GetHashHex());
        Assert.Equal(ReferenceContentHash.Of(content), ContentHasher.Compute(content));
    }

    [Fact]
    public void Bytes_and_piece_digests_can_be_mixed_on_piece_boundaries()
    {
        var content = ReferenceContentHash.RandomBytes((9 * MiB) + 123, seed: 11);
        using var hasher = new ContentHasher();

        // First piece as bytes in two writes, second as a digest, the rest as bytes.
        hasher.Append(content.AsSpan(0, MiB + 5));
        hasher.Append(content.AsSpan(MiB + 5, (3 * MiB) - 5));
        hasher.AppendPieceDigest(SHA256.HashData(content.AsSpan(4 * MiB, 4 * MiB)), 4 * MiB);
        hasher.Append(content.AsSpan(8 * MiB));

        Assert.Equal(content.Length, hasher.Length);
        Assert.Equal(ReferenceContentHash.Of(content), hasher.GetHashHex());
    }

    [Fact]
    public void AppendPieceDigest_after_a_partial_piece_throws()
    {
        using var hasher = new ContentHasher();
        hasher.Append(new byte[10]);

        Assert.Throws<InvalidOperationException>(() => hasher.AppendPieceDigest(SHA256.HashData(new byte[4 * MiB]), 4 * MiB));
    }

    [Fact]
    public void Different_content_gives_different_hashes()
    {
        var content = ReferenceContentHash.RandomBytes((4 * MiB) + 1, seed: 5);
        var changed = (byte[])content.Clone();
        changed[^1] ^= 1;

        Assert.NotEqual(ContentHasher.Compute(content), ContentHasher.Compute(changed));
    }
}
