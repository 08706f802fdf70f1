using DropSync.Client.Tests.Infrastructure;
using DropSync.Client.Transfer;
using DropSync.Core.Content;

namespace DropSync.Client.Tests;

public sealed class PieceHashesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dropsync-piece-hashes-").FullName;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData((3 * ContentHasher.PieceSize) + 4321)]
    [InlineData(2 * ContentHasher.PieceSize)]
    public async Task Blocks_written_in_any_order_give_the_content_hash_of_the_whole_file(int length)
    {
        var data = TestData.RandomBytes(length, length);
        var path = Path.Combine(_folder, "file");
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);
        RandomAccess.SetLength(handle, length);
        using var pieces = new PieceHashes(handle, length, default);

        // Blocks of uneven sizes (some straddle pieces), written in a shuffled order.
        var random = new Random(length);
        var blocks = new List<(int Offset, int Size)>();
        for (var at = 0; at < length;)
        {
            var size = Math.Min(length - at, random.Next(1, 3 * 1024 * 1024));
            blocks.Add((at, size));
            at += size;
        }

        foreach (var (offset, size) in blocks.OrderBy(_ => random.Next()))
        {
            RandomAccess.Write(handle, data.AsSpan(offset, size), offset);
            pieces.Written(offset, size);
        }

        Assert.Equal(ContentHasher.Compute(data), await pieces.ContentHashAsync());
    }

    [Fact]
    public async Task A_file_with_bytes_never_written_has_no_content_hash()
    {
        var path = Path.Combine(_folder, "partial");
        const int Length = ContentHasher.PieceSize + 10;
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);
        RandomAccess.SetLength(handle, Length);
        using var pieces = new PieceHashes(handle, Length, default);
        pieces.Written(0, ContentHasher.PieceSize);

        await Assert.ThrowsAsync<InvalidOperationException>(pieces.ContentHashAsync);
        await pieces.DrainAsync();
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
