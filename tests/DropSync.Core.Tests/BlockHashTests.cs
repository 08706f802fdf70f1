using System.Security.Cryptography;
using DropSync.Core.Content;
using DropSync.Core.Errors;

namespace DropSync.Core.Tests;

public class BlockHashTests
{
    private const string Lower = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    [Fact]
    public void Parse_accepts_lower_case_hex()
    {
        var hash = BlockHash.Parse(Lower);

        Assert.Equal(Lower, hash.Hex);
        Assert.Equal(Lower, hash.ToString());
    }

    [Fact]
    public void Parse_accepts_upper_and_mixed_case_and_normalises_to_lower()
    {
        var upper = BlockHash.Parse(Lower.ToUpperInvariant());
        var mixed = BlockHash.Parse("E3b0C44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852B855");

        Assert.Equal(Lower, upper.Hex);
        Assert.Equal(Lower, mixed.Hex);
        Assert.Equal(BlockHash.Parse(Lower), upper);
        Assert.Equal(upper, mixed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("e3b0")]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85")]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8550")]
    [InlineData("g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85 ")]
    [InlineData(" e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85")]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8-")]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8５")]
    [InlineData("../../../../../../../../../../../../../../../../../../etc/passwd")]
    [InlineData(null)]
    public void Parse_rejects_wrong_length_or_non_hex(string? text)
    {
        var ex = Assert.Throws<DropSyncException>(() => BlockHash.Parse(text));

        Assert.Equal(ErrorKind.BadRequest, ex.Kind);
        Assert.Equal("malformed_block_hash", ex.Code);
        Assert.False(BlockHash.TryParse(text, out _));
    }

    [Fact]
    public void TryParse_answers_the_hash()
    {
        Assert.True(BlockHash.TryParse(Lower.ToUpperInvariant(), out var hash));
        Assert.Equal(Lower, hash.Hex);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4096)]
    [InlineData(4 * 1024 * 1024)]
    public void Of_is_the_SHA256_of_the_bytes(int length)
    {
        var data = ReferenceContentHash.RandomBytes(length, seed: length);

        var hash = BlockHash.Of(data);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), hash.Hex);
        Assert.Equal(SHA256.HashData(data), hash.ToBytes());
        Assert.Equal(hash, BlockHash.Parse(hash.Hex.ToUpperInvariant()));
    }

    [Fact]
    public void FromDigest_takes_32_bytes_only()
    {
        var digest = SHA256.HashData("abc"u8);

        Assert.Equal(BlockHash.Of("abc"u8), BlockHash.FromDigest(digest));
        Assert.Throws<ArgumentException>(() => BlockHash.FromDigest(new byte[31]));
        Assert.Throws<ArgumentException>(() => BlockHash.FromDigest(new byte[33]));
    }

    [Fact]
    public void A_default_hash_has_no_hex()
    {
        var hash = default(BlockHash);

        Assert.Throws<InvalidOperationException>(() => hash.Hex);
    }
}
