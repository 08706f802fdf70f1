using DropSync.Core.Content;
using DropSync.Core.Files;

namespace DropSync.Core.Tests;

[Collection(BlockBuffersTests.Collection)]
public sealed class BlockListContentHashTests
{
    private const int Piece = ContentHasher.PieceSize;

    [Fact]
    public async Task ContentDefinedBlocksHashLikeTheWholeContent()
    {
        var content = ReferenceContentHash.RandomBytes((5 * Piece) + 12_345, seed: 1);
        var (store, refs) = Store(content, seed: 2);

        var (hash, hashed) = await BlockListContentHash.ComputeCountingAsync(refs, store, default);

        Assert.Equal(ReferenceContentHash.Of(content), hash);
        Assert.Equal(6, hashed);
    }

    [Fact]
    public async Task AnEditAtTheEndRehashesOnlyThePiecesItsBlockTouches()
    {
        var content = ReferenceContentHash.RandomBytes((6 * Piece) + 777, seed: 3);
        var (store, refs) = Store(content, seed: 4);
        await BlockListContentHash.ComputeCountingAsync(refs, store, default);

        // The same sizes, new bytes in the last block only.
        var lastStart = content.Length - refs[^1].Size;
        content[^1] ^= 0xFF;
        var last = content.AsSpan(lastStart).ToArray();
        store.Plant(BlockHash.Of(last), last);
        var edited = refs.Take(refs.Count - 1).Append(new BlockRef(BlockHash.Of(last), last.Length)).ToList();

        var (hash, hashed) = await BlockListContentHash.ComputeCountingAsync(edited, store, default);

        Assert.Equal(ReferenceContentHash.Of(content), hash);
        var touched = ((content.Length - 1) / Piece) - (lastStart / Piece) + 1;
        Assert.Equal(touched, hashed);
    }

    [Fact]
    public async Task AnInsertRehashesThePiecesFromItsPieceOn()
    {
        var content = ReferenceContentHash.RandomBytes(8 * Piece, seed: 5);
        var (store, refs) = Store(content, seed: 6);
        await BlockListContentHash.ComputeCountingAsync(refs, store, default);

        // One byte inserted into the block that starts the sixth piece's region: the blocks before it are unchanged.
        var at = 0;
        var index = 0;
        while (at + refs[index].Size <= 5 * Piece)
        {
            at += refs[index++].Size;
        }

        var inserted = content[..(at + 10)].Append((byte)0x42).Concat(content[(at + 10)..]).ToArray();
        var edited = refs.Take(index).Concat(Cut(store, inserted, at, seed: 8)).ToList();

        var (hash, hashed) = await BlockListContentHash.ComputeCountingAsync(edited, store, default);

        Assert.Equal(ReferenceContentHash.Of(inserted), hash);
        Assert.Equal(((inserted.Length - 1) / Piece) - (at / Piece) + 1, hashed);
    }

    [Fact]
    public async Task PieceAlignedBlocksNeedNoReads()
    {
        var content = ReferenceContentHash.RandomBytes((2 * Piece) + 5, seed: 7);
        var store = new InMemoryBlockStore();
        var refs = new List<BlockRef>();
        for (var at = 0; at < content.Length; at += Piece)
        {
            var block = content.AsSpan(at, Math.Min(Piece, content.Length - at)).ToArray();
            refs.Add(new BlockRef(BlockHash.Of(block), block.Length));
        }

        var (hash, hashed) = await BlockListContentHash.ComputeCountingAsync(refs, store, default);

        Assert.Equal(ReferenceContentHash.Of(content), hash);
        Assert.Equal(0, hashed);
        Assert.Equal(0, store.Reads);
    }

    /// <summary>The content cut into blocks of random sizes (64 KiB to 3 MiB, so some straddle pieces), all stored.</summary>
    private static (InMemoryBlockStore Store, List<BlockRef> Refs) Store(byte[] content, int seed)
    {
        var store = new InMemoryBlockStore();
        return (store, Cut(store, content, 0, seed));
    }

    /// <summary>The content from <paramref name="from"/> on, cut into blocks of random sizes and stored.</summary>
    private static List<BlockRef> Cut(InMemoryBlockStore store, byte[] content, int from, int seed)
    {
        var refs = new List<BlockRef>();
        var random = new Random(seed);
        for (var at = from; at < content.Length;)
        {
            var size = Math.Min(content.Length - at, random.Next(64 * 1024, 3 * 1024 * 1024));
            var block = content.AsSpan(at, size).ToArray();
            var hash = BlockHash.Of(block);
            store.Plant(hash, block);
            refs.Add(new BlockRef(hash, size));
            at += size;
        }

        return refs;
    }
}
