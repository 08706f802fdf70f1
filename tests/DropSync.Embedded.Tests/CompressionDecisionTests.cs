using System.Security.Cryptography;
using System.Text;
using DropSync.Embedded.Blocks;
using ZstdSharp;

namespace DropSync.Embedded.Tests;

public sealed class CompressionDecisionTests : IDisposable
{
    private const int BlockSize = 256 * 1024;

    private readonly Compressor _probe = new(1);

    public static TheoryData<string, byte[]> CompressedFormats => new()
    {
        { "zip", [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00] },
        { "jpeg", [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46] },
        { "png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] },
        { "mp4", [0x00, 0x00, 0x00, 0x20, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6F, 0x6D] },
        { "gzip", [0x1F, 0x8B, 0x08, 0x00] },
        { "zstd", [0x28, 0xB5, 0x2F, 0xFD] },
        { "xz", [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00] },
        { "7z", [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C] },
        { "webm", [0x1A, 0x45, 0xDF, 0xA3] },
        { "webp", [.. "RIFF"u8, 0x24, 0x00, 0x00, 0x00, .. "WEBP"u8] },
    };

    /// <summary>A known format is skipped on its signature alone, even when the bytes after it would compress well.</summary>
    [Theory]
    [MemberData(nameof(CompressedFormats))]
    public void Known_compressed_formats_are_skipped_by_their_signature(string format, byte[] signature)
    {
        var block = Text(BlockSize);
        signature.CopyTo(block, 0);

        Assert.True(CompressionDecision.StartsWithCompressedFormat(block), format);
        Assert.Equal(CompressionVerdict.SkipKnownFormat, CompressionDecision.Decide(block, _probe));
    }

    [Theory]
    [InlineData(CompressionDecision.MinCompressibleSize)]
    [InlineData(2 * CompressionDecision.ProbeSize - 1)]
    [InlineData(2 * CompressionDecision.ProbeSize)]
    [InlineData(4 * 1024 * 1024)]
    public void Text_is_compressed(int size) =>
        Assert.Equal(CompressionVerdict.Compress, CompressionDecision.Decide(Text(size), _probe));

    [Theory]
    [InlineData(2 * CompressionDecision.ProbeSize)]
    [InlineData(4 * 1024 * 1024)]
    public void Random_bytes_are_judged_by_the_probe_and_skipped(int size) =>
        Assert.Equal(CompressionVerdict.SkipIncompressible, CompressionDecision.Decide(RandomNumberGenerator.GetBytes(size), _probe));

    /// <summary>Below twice the probe a block is simply tried whole (the store keeps it raw if that saves too little).</summary>
    [Fact]
    public void Small_random_blocks_are_left_to_the_whole_block_attempt() =>
        Assert.Equal(CompressionVerdict.Compress, CompressionDecision.Decide(RandomNumberGenerator.GetBytes(2 * CompressionDecision.ProbeSize - 1), _probe));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(CompressionDecision.MinCompressibleSize - 1)]
    public void Tiny_blocks_are_not_worth_a_frame(int size) =>
        Assert.Equal(CompressionVerdict.SkipTooSmall, CompressionDecision.Decide(new byte[size], _probe));

    /// <summary>Only the start is probed: random bytes followed by zeros are stored raw (the price of a cheap decision).</summary>
    [Fact]
    public void A_block_whose_start_is_random_is_skipped_even_if_its_rest_compresses()
    {
        var block = new byte[BlockSize];
        RandomNumberGenerator.Fill(block.AsSpan(0, CompressionDecision.ProbeSize));

        Assert.Equal(CompressionVerdict.SkipIncompressible, CompressionDecision.Decide(block, _probe));
    }

    [Theory]
    [InlineData(new byte[] { 0x50, 0x4B })]
    [InlineData(new byte[] { 0xFF, 0xD8 })]
    [InlineData(new byte[] { 0x00, 0x00, 0x00, 0x20, 0x66, 0x74, 0x79, 0x70 })]
    public void A_truncated_signature_is_not_a_known_format(byte[] start) =>
        Assert.False(CompressionDecision.StartsWithCompressedFormat(start));

    public void Dispose() => _probe.Dispose();

    private static byte[] Text(int size)
    {
        var line = Encoding.UTF8.GetBytes("The quick brown fox jumps over the lazy dog; DropSync stores blocks. ");
        var block = new byte[size];
        for (var i = 0; i < size; i++)
        {
            block[i] = line[i % line.Length];
        }

        return block;
    }
}
