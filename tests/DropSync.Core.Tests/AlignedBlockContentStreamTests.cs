using DropSync.Core.Content;
using DropSync.Core.Files;

namespace DropSync.Core.Tests;

/// <summary>
/// Files of whole 4 MiB blocks (and a shorter last one), the shape media uploads produce: the content hash is checked
/// from the verified blocks' names before any byte is delivered, and the stream copies straight from its one pooled
/// block buffer.
/// </summary>
[Collection(BlockBuffersTests.Collection)]
public class AlignedBlockContentStreamTests
{
    private const int Piece = ContentHasher.PieceSize;

    private readonly InMemoryBlockStore _store = new();

    private (byte[] Content, List<BlockRef> Blocks) StoreFile(int length, int seed)
    {
        var content = ReferenceContentHash.RandomBytes(length, seed);
        var blocks = new List<BlockRef>();
        for (var offset = 0; offset < length; offset += Piece)
        {
            var block = content[offset..Math.Min(length, offset + Piece)];
            var hash = BlockHash.Of(block);
            _store.PutAsync(hash, block, CancellationToken.None).GetAwaiter().GetResult();
            blocks.Add(new BlockRef(hash, block.Length));
        }

        return (content, blocks);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(Piece)]
    [InlineData((2 * Piece) + 12_345)]
    public async Task A_full_read_returns_the_exact_bytes_and_fetches_each_block_once(int length)
    {
        var (content, blocks) = StoreFile(length, seed: 1);
        await using var stream = new BlockContentStream(_store, blocks, ReferenceContentHash.Of(content));
        using var copy = new MemoryStream();

        await stream.CopyToAsync(copy, length, CancellationToken.None);

        Assert.Equal(content, copy.ToArray());
        Assert.Equal(blocks.Count, _store.Reads);
    }

    [Fact]
    public async Task A_wrong_recorded_content_hash_fails_before_any_byte_is_delivered()
    {
        var (_, blocks) = StoreFile((2 * Piece) + 10, seed: 2);
        await using var stream = new BlockContentStream(_store, blocks, new string('0', 64));
        var buffer = new byte[100];

        await Assert.ThrowsAsync<InvalidDataException>(async () => await stream.ReadExactlyAsync(buffer));
        Assert.All(buffer, b => Assert.Equal(0, b));
        Assert.Equal(0, _store.Reads);
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(Piece - 5, 10)]
    [InlineData(Piece, Piece)]
    [InlineData(1, (2 * Piece) + 99)]
    public async Task A_range_copied_from_a_position_crosses_block_boundaries(int start, int count)
    {
        var (content, blocks) = StoreFile((2 * Piece) + 100, seed: 3);
        await using var stream = new BlockContentStream(_store, blocks, ReferenceContentHash.Of(content));
        using var copy = new MemoryStream();

        stream.Position = start;
        await stream.CopyToAsync(copy, count, CancellationToken.None);

        Assert.Equal(content.AsSpan(start, count).ToArray(), copy.ToArray());
        Assert.Equal(start + count, stream.Position);
    }

    [Fact]
    public async Task Copying_past_the_end_fails_rather_than_sending_short()
    {
        var (content, blocks) = StoreFile(Piece + 10, seed: 4);
        await using var stream = new BlockContentStream(_store, blocks, ReferenceContentHash.Of(content));
        using var copy = new MemoryStream();

        await Assert.ThrowsAsync<InvalidDataException>(() => stream.CopyToAsync(copy, Piece + 11, CancellationToken.None));
    }

    [Fact]
    public async Task Reads_in_small_pieces_and_rereads_after_seeking_back_use_the_same_buffer()
    {
        var (content, blocks) = StoreFile(Piece + 3000, seed: 5);
        await using var stream = new BlockContentStream(_store, blocks, ReferenceContentHash.Of(content));
        var first = new byte[4000];
        var again = new byte[4000];

        stream.Position = Piece - 1000;
        await stream.ReadExactlyAsync(first);
        stream.Position = Piece - 1000;
        await stream.ReadExactlyAsync(again);

        Assert.Equal(content.AsSpan(Piece - 1000, 4000).ToArray(), first);
        Assert.Equal(first, again);
    }
}
