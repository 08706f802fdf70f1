using System.Security.Cryptography;
using DropSync.Core.Files;

namespace DropSync.Core.Tests;

/// <summary>A block received while its hash is computed behind the receive, on another thread, hashes as if read whole.</summary>
public class BlockHashPipelineTests
{
    private const int Block = 4 * 1024 * 1024;

    /// <summary>Hands out at most a few odd-sized pieces per read, as a socket does, and can fail after some bytes.</summary>
    private sealed class TrickleStream(byte[] content, int[] readSizes, long failAfter = long.MaxValue) : Stream
    {
        private int _position;
        private int _reads;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => content.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadCore(buffer.AsSpan(offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            // Now and then a read completes later, as a socket's does when the bytes have not arrived yet.
            if (_reads % 7 == 3)
            {
                await Task.Yield();
            }

            return ReadCore(buffer.Span);
        }

        private int ReadCore(Span<byte> buffer)
        {
            if (_position >= failAfter)
            {
                throw new IOException("The connection was reset.");
            }

            var n = Math.Min(Math.Min(buffer.Length, readSizes[_reads++ % readSizes.Length]), content.Length - _position);
            content.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(BlockHashPipeline.PieceSize - 1)]
    [InlineData(BlockHashPipeline.PieceSize)]
    [InlineData((3 * BlockHashPipeline.PieceSize) + 12_345)]
    [InlineData(Block)]
    public async Task Each_block_hashes_to_the_SHA_256_of_its_bytes(int length)
    {
        var content = ReferenceContentHash.RandomBytes(length, seed: length);
        var buffer = new byte[Block];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        var n = await BlockHashPipeline.ReadBlockHashingBehindAsync(new TrickleStream(content, [65_536, 1, 300_000, 4096, 131_071]), buffer, hash, CancellationToken.None);

        Assert.Equal(length, n);
        Assert.Equal(content, buffer[..n]);
        Assert.Equal(SHA256.HashData(content), hash.GetHashAndReset());
    }

    [Fact]
    public async Task A_body_longer_than_a_block_fills_the_block_and_the_next_call_goes_on_from_there()
    {
        var content = ReferenceContentHash.RandomBytes(Block + 777_777, seed: 3);
        var source = new TrickleStream(content, [65_536, 200_000, 17]);
        var buffer = new byte[Block];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        var first = await BlockHashPipeline.ReadBlockHashingBehindAsync(source, buffer, hash, CancellationToken.None);
        Assert.Equal(Block, first);
        Assert.Equal(SHA256.HashData(content.AsSpan(0, Block)), hash.GetHashAndReset());

        var second = await BlockHashPipeline.ReadBlockHashingBehindAsync(source, buffer, hash, CancellationToken.None);
        Assert.Equal(777_777, second);
        Assert.Equal(SHA256.HashData(content.AsSpan(Block)), hash.GetHashAndReset());
    }

    [Fact]
    public async Task A_body_that_fails_part_way_reports_the_failure_after_the_hashing_has_stopped()
    {
        var content = ReferenceContentHash.RandomBytes(Block, seed: 4);
        var buffer = new byte[Block];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        await Assert.ThrowsAsync<IOException>(() =>
            BlockHashPipeline.ReadBlockHashingBehindAsync(new TrickleStream(content, [100_000], failAfter: 2_000_000), buffer, hash, CancellationToken.None));

        // Reads of 100,000 bytes are handed on in pieces of 300,000 (the first multiple past PieceSize): six pieces made it
        // before the failure at 2,000,000, and all six were hashed, and nothing more, by the time the failure is reported.
        Array.Clear(buffer);
        Assert.Equal(SHA256.HashData(content.AsSpan(0, 1_800_000)), hash.GetHashAndReset());
    }
}
