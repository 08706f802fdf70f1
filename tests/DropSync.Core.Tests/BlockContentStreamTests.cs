using DropSync.Core.Content;
using DropSync.Core.Files;

namespace DropSync.Core.Tests;

[Collection(BlockBuffersTests.Collection)]
public class BlockContentStreamTests
{
    // Uneven, content-defined-like block sizes, including a 1-byte block.
    private static readonly int[] Sizes = [1000, 1, 4096, 777, 3000, 64];

    private readonly InMemoryBlockStore _store = new();

    private BlockContentStream Open(List<BlockRef> blocks, byte[] content) =>
        new(_store, blocks, ReferenceContentHash.Of(content));

    private static byte[] ReadToEnd(Stream stream, int bufferSize)
    {
        var buffer = new byte[bufferSize];
        using var output = new MemoryStream();
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            output.Write(buffer, 0, n);
        }

        return output.ToArray();
    }

    private static async Task<byte[]> ReadToEndAsync(Stream stream, int bufferSize)
    {
        var buffer = new byte[bufferSize];
        using var output = new MemoryStream();
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            output.Write(buffer, 0, n);
        }

        return output.ToArray();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(999)]
    [InlineData(1000)]
    [InlineData(1001)]
    [InlineData(4096)]
    [InlineData(1 << 20)]
    public void A_full_sequential_read_returns_the_exact_bytes(int bufferSize)
    {
        var (content, blocks) = _store.StoreFile(Sizes, seed: bufferSize);
        using var stream = Open(blocks, content);

        Assert.Equal(content, ReadToEnd(stream, bufferSize));
        Assert.Equal(content.Length, stream.Position);
    }

    [Theory]
    [InlineData(13)]
    [InlineData(8192)]
    public async Task A_full_asynchronous_read_returns_the_exact_bytes(int bufferSize)
    {
        var (content, blocks) = _store.StoreFile(Sizes, seed: 42);
        await using var stream = Open(blocks, content);

        Assert.Equal(content, await ReadToEndAsync(stream, bufferSize));
    }

    [Fact]
    public void CopyTo_returns_the_exact_bytes_and_fetches_each_block_once()
    {
        var (content, blocks) = _store.StoreFile(Sizes, seed: 1);
        using var stream = Open(blocks, content);
        using var copy = new MemoryStream();

        stream.CopyTo(copy);

        Assert.Equal(content, copy.ToArray());
        Assert.Equal(Sizes.Length, _store.Reads);
    }

    [Fact]
    public void Length_is_the_sum_of_the_block_sizes()
    {
        var (content, blocks) = _store.StoreFile(Sizes, seed: 2);
        using var stream = Open(blocks, content);

        Assert.Equal(Sizes.Sum(), stream.Length);
        Assert.Equal(content.Length, stream.Length);
        Assert.True(stream.CanRead);
        Assert.True(stream.CanSeek);
        Assert.False(stream.CanWrite);
        Assert.Equal(0, stream.Position);
    }

    [Fact]
    public void An_empty_file_reads_as_nothing()
    {
        using var stream = new BlockContentStream(_store, [], ContentHasher.Compute([]));

        Assert.Equal(0, stream.Length);
        Assert.Empty(ReadToEnd(stream, 16));
    }

    [Fact]
    public void An_empty_file_with_a_wrong_recorded_hash_fails()
    {
        using var stream = new BlockContentStream(_store, [], ContentHasher.Compute([1]));

        Assert.Throws<InvalidDataException>(() => stream.Read(new byte[16], 0, 16));
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(995, 10)]
    [InlineData(1000, 1)]
    [InlineData(999, 3)]
    [InlineData(1001, 4096)]
    [InlineData(500, 5000)]
    [InlineData(8937, 1)]
    [InlineData(0, 8938)]
    public void Seek_then_partial_read_returns_the_range(long start, int count)
    {
        var (content, blocks) = _store.StoreFile(Sizes, seed: 3);
        Assert.Equal(8938, content.Length);
        using var stream = Open(blocks, content);

        Assert.Equal(start, stream.Seek(start, SeekOrigin.Begin));
        var buffer = new byte[count];
        stream.ReadExactly(buffer);

        Assert.Equal(content.AsSpan((int)start, count).ToArray(), buffer);
        Assert.Equal(start + count, stream.Position);
    }

    [Fact]
    public void Setting_Position_then_reading_returns_the_bytes_there()
    {
        var (content, blocks) = _store.StoreFile(Sizes, seed: 4);
        using var stream = Open(blocks, content);

        stream.Position = 5000;
        var buffer = new byte[100];
        stream.ReadExactly(buffer);
        Assert.Equal(content[5000..5100], buffer);

        // Backwards, into an earlier block.
        stream.Position = 10;
        stream.ReadExactly(buffer);
        Assert.Equal(content[10..110], buffer);
    }

    [Fact]
    public void Seek_from_current_and_from_end()
    {
        var (content, blocks) = _store.StoreFile(Sizes, seed: 5);
        using var stream = Open(blocks, content);
        var buffer = new byte[20];

        Assert.Equal(content.Length - 20, stream.Seek(-20, SeekOrigin.End));
        stream.ReadExactly(buffer);
        Assert.Equal(content[^20..], buffer);

        stream.Position = 100;
        Assert.Equal(1100, stream.Seek(1000, SeekOrigin.Current));
        stream.ReadExactly(buffer);
        Assert.Equal(content[1100..1120], buffer);
    }

    [Fact]
    public void Reading_at_or_past_the_end_returns_nothing()
    {
        var (content, blocks) = _store.StoreFile(Sizes, seed: 6);
        using var stream = Open(blocks, content);

        stream.Position = content.Length;
        Assert.Equal(0, stream.Read(new byte[10], 0, 10));
        stream.Position = content.Length + 100;
        Assert.Equal(0, stream.Read(new byte[10], 0, 10));
    }

    [Fact]
    public void A_negative_position_is_refused()
    {
        var (content, blocks) = _store.StoreFile(Sizes, seed: 7);
        using var stream = Open(blocks, content);

        Assert.Throws<ArgumentOutOfRangeException>(() => stream.Position = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.Seek(-1, SeekOrigin.Begin));
    }

    [Fact]
    public void The_stream_is_read_only()
    {
        var (content, blocks) = _store.StoreFile(Sizes, seed: 8);
        using var stream = Open(blocks, content);

        Assert.Throws<NotSupportedException>(() => stream.Write([1], 0, 1));
        Assert.Throws<NotSupportedException>(() => stream.SetLength(1));
    }

    private List<BlockRef> StoreWithSwappedBlock(out byte[] content, int swappedIndex)
    {
        (content, var blocks) = _store.StoreFile(Sizes, seed: 9);
        var other = ReferenceContentHash.RandomBytes(blocks[swappedIndex].Size, seed: 999);
        _store.Plant(blocks[swappedIndex].Hash, other);
        return blocks;
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(2, 64)]
    [InlineData(5, 4096)]
    [InlineData(3, 1 << 20)]
    public void A_full_read_of_swapped_bytes_fails_the_content_hash(int swappedIndex, int bufferSize)
    {
        var blocks = StoreWithSwappedBlock(out var content, swappedIndex);
        using var stream = Open(blocks, content);

        Assert.Throws<InvalidDataException>(() => ReadToEnd(stream, bufferSize));
    }

    [Fact]
    public async Task A_full_asynchronous_read_of_swapped_bytes_fails_the_content_hash()
    {
        var blocks = StoreWithSwappedBlock(out var content, swappedIndex: 4);
        await using var stream = Open(blocks, content);

        await Assert.ThrowsAsync<InvalidDataException>(() => ReadToEndAsync(stream, 333));
    }

    [Fact]
    public void CopyTo_of_swapped_bytes_fails_the_content_hash()
    {
        var blocks = StoreWithSwappedBlock(out var content, swappedIndex: 1);
        using var stream = Open(blocks, content);
        using var copy = new MemoryStream();

        Assert.Throws<InvalidDataException>(() => stream.CopyTo(copy));
    }

    [Fact]
    public void A_full_read_with_a_wrong_recorded_content_hash_fails()
    {
        var (content, blocks) = _store.StoreFile(Sizes, seed: 10);
        var wrong = ReferenceContentHash.Of([.. content, 0]);
        using var stream = new BlockContentStream(_store, blocks, wrong);

        Assert.Throws<InvalidDataException>(() => ReadToEnd(stream, 4096));
    }

    [Fact]
    public void A_range_read_does_not_check_the_whole_file_hash()
    {
        // Range reads cannot check the content hash; they return the bytes the (verifying) store gave.
        var (content, blocks) = _store.StoreFile(Sizes, seed: 11);
        var wrong = ReferenceContentHash.Of([.. content, 0]);
        using var stream = new BlockContentStream(_store, blocks, wrong);

        stream.Position = 1;
        Assert.Equal(content[1..], ReadToEnd(stream, 4096));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    public void A_block_whose_stored_length_differs_from_the_recorded_size_fails(int delta)
    {
        var (content, blocks) = _store.StoreFile(Sizes, seed: 12);
        var index = 2;
        _store.Plant(blocks[index].Hash, ReferenceContentHash.RandomBytes(blocks[index].Size + delta, seed: 5));
        using var stream = Open(blocks, content);

        Assert.Throws<InvalidDataException>(() => ReadToEnd(stream, 100_000));
    }

    [Fact]
    public void A_range_read_into_a_block_of_the_wrong_length_fails()
    {
        var (content, blocks) = _store.StoreFile(Sizes, seed: 13);
        _store.Plant(blocks[4].Hash, new byte[10]);
        using var stream = Open(blocks, content);

        stream.Position = 1000 + 1 + 4096 + 777 + 5;
        Assert.Throws<InvalidDataException>(() => stream.ReadExactly(new byte[10]));
    }

    [Fact]
    public void Full_size_blocks_over_a_4_MiB_piece_boundary_read_and_verify()
    {
        const int MiB = 1024 * 1024;
        var (content, blocks) = _store.StoreFile([4 * MiB, 4 * MiB, 123], seed: 14);
        using var stream = Open(blocks, content);

        Assert.Equal(content, ReadToEnd(stream, 1_000_003));
    }
}
