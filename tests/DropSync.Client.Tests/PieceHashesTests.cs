using DropSync.Client.Tests.Infrastructure;
using DropSync.Client.Transfer;
using DropSync.Core.Content;

namespace DropSync.Client.Tests;

public sealed class PieceHashesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dropsync-piece-hashes-").FullName;

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData((3 * ContentHasher.PieceSize) + 4321, true)]
    [InlineData(2 * ContentHasher.PieceSize, true)]
    [InlineData((3 * ContentHasher.PieceSize) + 4321, false)]
    public void Blocks_written_in_any_order_give_the_content_hash_of_the_whole_file(int length, bool shuffled)
    {
        var data = TestData.RandomBytes(length, length);
        var path = Path.Combine(_folder, "file");
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);
        RandomAccess.SetLength(handle, length);
        using var pieces = new PieceHashes(handle, length);

        // Blocks of uneven sizes (some straddle pieces), written in a shuffled order.
        var random = new Random(length);
        var blocks = new List<(int Offset, int Size)>();
        for (var at = 0; at < length;)
        {
            var size = Math.Min(length - at, random.Next(1, 3 * 1024 * 1024));
            blocks.Add((at, size));
            at += size;
        }

        // In order, every byte is hashed from memory; shuffled, most pieces have a part read back from the file.
        foreach (var (offset, size) in shuffled ? blocks.OrderBy(_ => random.Next()).ToList() : blocks)
        {
            RandomAccess.Write(handle, data.AsSpan(offset, size), offset);
            pieces.Written(offset, data.AsSpan(offset, size));
        }

        Assert.Equal(ContentHasher.Compute(data), pieces.ContentHash());
    }

    [Fact]
    public void A_file_with_bytes_never_written_has_no_content_hash()
    {
        var path = Path.Combine(_folder, "partial");
        const int Length = ContentHasher.PieceSize + 10;
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);
        RandomAccess.SetLength(handle, Length);
        using var pieces = new PieceHashes(handle, Length);
        pieces.Written(0, new byte[ContentHasher.PieceSize]);

        Assert.Throws<InvalidOperationException>(pieces.ContentHash);
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
}
