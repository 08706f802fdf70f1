using DropSync.Core.Content;
using DropSync.Core.Files;

namespace DropSync.Core.Tests;

/// <summary>A download's block buffer is sized to the file's largest block: a small file does not hold a 4 MiB buffer.</summary>
[Collection(BlockBuffersTests.Collection)]
public class BlockContentStreamBufferTests
{
    private readonly InMemoryBlockStore _store = new();

    [Theory]
    [InlineData(new[] { 1 })]
    [InlineData(new[] { 5000 })]
    [InlineData(new[] { 700, 90_000, 12 })]
    public async Task A_small_file_is_read_through_a_buffer_sized_to_its_largest_block(int[] sizes)
    {
        var (content, blocks) = _store.StoreFile(sizes, seed: 21);
        using var output = new MemoryStream();
        using (var stream = new BlockContentStream(_store, blocks, ReferenceContentHash.Of(content)))
        {
            await stream.CopyToAsync(output, content.Length, CancellationToken.None);
        }

        Assert.Equal(content, output.ToArray());
        Assert.InRange(_store.LargestDestination, sizes.Max(), BlockBuffers.SmallBlockLimit - 1);
    }

    [Fact]
    public async Task A_file_with_a_full_size_block_is_read_through_a_block_sized_buffer()
    {
        var (content, blocks) = _store.StoreFile([Limits.MaxBlockSize, 10], seed: 22);
        using var output = new MemoryStream();
        using (var stream = new BlockContentStream(_store, blocks, ReferenceContentHash.Of(content)))
        {
            await stream.CopyToAsync(output, content.Length, CancellationToken.None);
        }

        Assert.Equal(content, output.ToArray());
        Assert.True(_store.LargestDestination >= Limits.MaxBlockSize);
    }

    [Fact]
    public void A_stored_block_larger_than_every_recorded_block_fails_as_invalid_data()
    {
        var (content, blocks) = _store.StoreFile([300, 200], seed: 23);
        _store.Plant(blocks[0].Hash, ReferenceContentHash.RandomBytes(70_000, seed: 24));
        using var stream = new BlockContentStream(_store, blocks, ReferenceContentHash.Of(content));

        Assert.Throws<InvalidDataException>(() => stream.ReadExactly(new byte[10]));
    }
}
