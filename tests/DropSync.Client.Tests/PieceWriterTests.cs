using DropSync.Client.Tests.Infrastructure;
using DropSync.Client.Transfer;
using DropSync.Core.Content;

namespace DropSync.Client.Tests;

public sealed class PieceWriterTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dropsync-piece-writer-").FullName;

    [Theory]
    [InlineData(0, true, true)]
    [InlineData(1, true, true)]
    [InlineData((3 * ContentHasher.PieceSize) + 4321, true, true)]
    [InlineData(2 * ContentHasher.PieceSize, true, true)]
    [InlineData((3 * ContentHasher.PieceSize) + 4321, false, true)]
    [InlineData((3 * ContentHasher.PieceSize) + 4321, true, false)]
    public void Blocks_given_in_any_order_make_the_file_and_its_content_hash(int length, bool shuffled, bool tryDirect)
    {
        var data = TestData.RandomBytes(length, length);
        var path = Path.Combine(_folder, "file");
        string hash;
        using (var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(handle, length);
            using var pieces = new PieceWriter(path, handle, length, tryDirect);
            if (!tryDirect)
            {
                Assert.False(pieces.UsesDirectIo);
            }

            // Blocks of uneven sizes (some straddle pieces), given in file order or shuffled.
            foreach (var (offset, size) in Blocks(length, shuffled))
            {
                pieces.Written(offset, data.AsSpan(offset, size));
            }

            hash = pieces.ContentHash();
        }

        Assert.Equal(ContentHasher.Compute(data), hash);
        Assert.Equal(data, File.ReadAllBytes(path));
    }

    [Fact]
    public void A_file_with_bytes_never_given_has_no_content_hash()
    {
        var path = Path.Combine(_folder, "partial");
        const int Length = ContentHasher.PieceSize + 10;
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);
        RandomAccess.SetLength(handle, Length);
        using var pieces = new PieceWriter(path, handle, Length);
        pieces.Written(0, new byte[ContentHasher.PieceSize]);

        Assert.Throws<InvalidOperationException>(pieces.ContentHash);
    }

    [Fact]
    public void Bytes_given_twice_are_refused()
    {
        var path = Path.Combine(_folder, "twice");
        const int Length = (2 * ContentHasher.PieceSize) + 10;
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);
        RandomAccess.SetLength(handle, Length);
        using var pieces = new PieceWriter(path, handle, Length);
        pieces.Written(0, new byte[100]);

        Assert.Throws<InvalidOperationException>(() => pieces.Written(50, new byte[ContentHasher.PieceSize]));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_download_stopped_early_keeps_every_block_that_came(bool tryDirect)
    {
        const int Length = (3 * ContentHasher.PieceSize) + 777;
        var data = TestData.RandomBytes(Length, 7);
        var path = Path.Combine(_folder, "stopped");
        var blocks = Blocks(Length, shuffled: true);
        var given = blocks.Take(blocks.Count / 2).ToList();
        using (var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(handle, Length);
            using var pieces = new PieceWriter(path, handle, Length, tryDirect);
            foreach (var (offset, size) in given)
            {
                pieces.Written(offset, data.AsSpan(offset, size));
            }
        }

        // Complete pieces were written as they completed, the rest when the writer was disposed.
        var file = File.ReadAllBytes(path);
        Assert.Equal(Length, file.Length);
        foreach (var (offset, size) in given)
        {
            Assert.True(file.AsSpan(offset, size).SequenceEqual(data.AsSpan(offset, size)), $"the block at {offset} was not kept");
        }
    }

    [Fact]
    public void Downloads_one_after_another_reuse_the_pass_buffers_and_none_carries_bytes_of_another()
    {
        const int Length = (3 * ContentHasher.PieceSize) + 4321;
        using var buffers = new PieceBuffers();
        var first = TestData.RandomBytes(Length, 1);
        var firstPath = Path.Combine(_folder, "first");
        using (var handle = File.OpenHandle(firstPath, FileMode.Create, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(handle, Length);
            using var pieces = new PieceWriter(firstPath, handle, Length, buffers: buffers);
            foreach (var (offset, size) in Blocks(Length, shuffled: true))
            {
                pieces.Written(offset, first.AsSpan(offset, size));
            }

            Assert.Equal(ContentHasher.Compute(first), pieces.ContentHash());
        }

        var made = buffers.Made;
        Assert.InRange(made, 1, PieceBuffers.Kept);

        // The second download stops half way: what it never received stays zero in its file, though its buffers held
        // the first file's bytes.
        var second = TestData.RandomBytes(Length, 2);
        var secondPath = Path.Combine(_folder, "second");
        var given = Blocks(Length, shuffled: true).Take(5).ToList();
        using (var handle = File.OpenHandle(secondPath, FileMode.Create, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(handle, Length);
            using var pieces = new PieceWriter(secondPath, handle, Length, buffers: buffers);
            foreach (var (offset, size) in given)
            {
                pieces.Written(offset, second.AsSpan(offset, size));
            }
        }

        var expected = new byte[Length];
        foreach (var (offset, size) in given)
        {
            second.AsSpan(offset, size).CopyTo(expected.AsSpan(offset));
        }

        Assert.Equal(expected, File.ReadAllBytes(secondPath));
        Assert.Equal(first, File.ReadAllBytes(firstPath));
        Assert.Equal(made, buffers.Made);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static List<(int Offset, int Size)> Blocks(int length, bool shuffled)
    {
        var random = new Random(length);
        var blocks = new List<(int Offset, int Size)>();
        for (var at = 0; at < length;)
        {
            var size = Math.Min(length - at, random.Next(1, 3 * 1024 * 1024));
            blocks.Add((at, size));
            at += size;
        }

        return shuffled ? blocks.OrderBy(_ => random.Next()).ToList() : blocks;
    }
}
