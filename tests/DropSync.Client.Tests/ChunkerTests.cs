using DropSync.Client.Chunking;
using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

public class ChunkerTests
{
    private static Task<IReadOnlyList<Chunk>> ChunkAsync(byte[] data) => FastCdc.ChunkAsync(new MemoryStream(data));

    [Fact]
    public async Task Identical_data_gives_identical_boundaries_whether_streamed_or_in_memory()
    {
        var data = TestData.RandomBytes(24 * 1024 * 1024, 1);
        var first = await ChunkAsync(data);
        var second = await ChunkAsync(data);
        var inMemory = FastCdc.Chunk(data);
        Assert.Equal(first, second);
        Assert.Equal(first, inMemory);
        Assert.True(first.Count > 5);
        Assert.Equal(data.Length, first.Sum(c => (long)c.Size));
        Assert.Equal(DropSync.Core.Content.BlockHash.Of(data.AsSpan((int)first[2].Offset, first[2].Size)), first[2].Hash);
    }

    [Fact]
    public async Task Inserting_one_byte_in_the_middle_of_64_MiB_changes_only_the_blocks_around_it()
    {
        var data = TestData.RandomBytes(64 * 1024 * 1024, 2);
        var edited = new byte[data.Length + 1];
        var middle = data.Length / 2;
        data.AsSpan(0, middle).CopyTo(edited);
        edited[middle] = 0x5A;
        data.AsSpan(middle).CopyTo(edited.AsSpan(middle + 1));

        var before = (await ChunkAsync(data)).Select(c => c.Hash).ToHashSet();
        var after = await ChunkAsync(edited);
        var changed = after.Where(c => !before.Contains(c.Hash)).ToList();

        Assert.InRange(changed.Count, 1, 2);
        Assert.True(changed.Sum(c => (long)c.Size) <= 2 * 4 * 1024 * 1024);
        Assert.InRange(after.Count, 32, 128); // about 1 MiB on average
    }

    [Fact]
    public async Task Blocks_respect_the_minimum_and_maximum_sizes()
    {
        var random = await ChunkAsync(TestData.RandomBytes(40 * 1024 * 1024, 3));
        Assert.All(random.SkipLast(1), c => Assert.InRange(c.Size, 256 * 1024, 4 * 1024 * 1024));

        // Data with no content-defined cut point (all zeros) is cut at the maximum.
        var zeros = await ChunkAsync(new byte[13 * 1024 * 1024]);
        Assert.All(zeros, c => Assert.InRange(c.Size, 1, 4 * 1024 * 1024));
        Assert.Equal(13 * 1024 * 1024, zeros.Sum(c => c.Size));
        Assert.Equal(4 * 1024 * 1024, zeros[0].Size);
    }

    [Fact]
    public async Task An_empty_stream_has_no_blocks_and_a_tiny_one_has_one()
    {
        Assert.Empty(await ChunkAsync([]));
        var tiny = await ChunkAsync([1, 2, 3]);
        Assert.Single(tiny);
        Assert.Equal(3, tiny[0].Size);
    }

    [Fact]
    public async Task Reads_in_small_pieces_give_the_same_blocks()
    {
        var data = TestData.RandomBytes(9 * 1024 * 1024, 4);
        var expected = FastCdc.Chunk(data);
        var actual = await FastCdc.ChunkAsync(new TrickleStream(data));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Files_from_256_MiB_up_are_cut_into_the_large_sizes()
    {
        Assert.Same(ChunkerOptions.Default, ChunkerOptions.ForLength(0));
        Assert.Same(ChunkerOptions.Default, ChunkerOptions.ForLength(ChunkerOptions.LargeFileThreshold - 1));
        Assert.Same(ChunkerOptions.Large, ChunkerOptions.ForLength(ChunkerOptions.LargeFileThreshold));
        Assert.Same(ChunkerOptions.Large, ChunkerOptions.ForLength(DropSync.Core.Content.Limits.MaxFileSize));
    }

    [Fact]
    public async Task A_seekable_stream_is_cut_by_its_length_and_large_blocks_are_about_twice_the_default()
    {
        var data = TestData.RandomBytes(48 * 1024 * 1024, 5);
        var large = FastCdc.Chunk(data, ChunkerOptions.Large);
        var standard = FastCdc.Chunk(data, ChunkerOptions.Default);

        // The stream claims 256 MiB, so it is cut as a large file is; a stream that cannot seek keeps the default.
        Assert.Equal(large, await FastCdc.ChunkAsync(new ClaimedLengthStream(data, ChunkerOptions.LargeFileThreshold)));
        Assert.Equal(standard, await FastCdc.ChunkAsync(new UnseekableStream(data)));
        Assert.All(large.SkipLast(1), c => Assert.InRange(c.Size, 512 * 1024, 4 * 1024 * 1024));
        Assert.InRange(large.Count, standard.Count * 0.35, standard.Count * 0.65);
    }

    [Fact]
    public void Inserting_one_byte_into_large_blocks_changes_only_the_blocks_around_it()
    {
        var data = TestData.RandomBytes(64 * 1024 * 1024, 6);
        var edited = new byte[data.Length + 1];
        var middle = data.Length / 2;
        data.AsSpan(0, middle).CopyTo(edited);
        edited[middle] = 0x5A;
        data.AsSpan(middle).CopyTo(edited.AsSpan(middle + 1));

        var before = FastCdc.Chunk(data, ChunkerOptions.Large).Select(c => c.Hash).ToHashSet();
        var changed = FastCdc.Chunk(edited, ChunkerOptions.Large).Where(c => !before.Contains(c.Hash)).ToList();

        Assert.InRange(changed.Count, 1, 2);
    }

    private sealed class ClaimedLengthStream(byte[] data, long claimed) : MemoryStream(data)
    {
        public override long Length => claimed;
    }

    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }

    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 7777)], cancellationToken);
    }
}
