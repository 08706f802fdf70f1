using DropSync.Core.Content;
using DropSync.Core.Files;

namespace DropSync.Core.Tests;

[Collection(BlockBuffersTests.Collection)]
public sealed class UploadPieceHashingTests
{
    private const int Piece = ContentHasher.PieceSize;

    [Fact]
    public async Task BlocksArrivingOutOfOrderLeaveTheFinishNothingToRead()
    {
        var content = ReferenceContentHash.RandomBytes((5 * Piece) + 4_321, seed: 11);
        var blocks = Cut(content, seed: 12);
        var hashing = new UploadPieceHashing();
        hashing.Begin("up_order", "user-1", blocks.Select(b => b.Ref).ToList());

        // As parallel PUTs arrive: pairs swapped, so every other block comes before the one it follows.
        var order = Enumerable.Range(0, blocks.Count).Select(i => i % 2 == 0 && i + 1 < blocks.Count ? i + 1 : i % 2 == 1 ? i - 1 : i).ToList();
        foreach (var i in order)
        {
            hashing.Stored("user-1", blocks[i].Ref.Hash, blocks[i].Bytes);
        }

        var store = new InMemoryBlockStore();
        var (hash, hashed) = await BlockListContentHash.ComputeCountingAsync(blocks.Select(b => b.Ref).ToList(), store, default);

        Assert.Equal(ReferenceContentHash.Of(content), hash);
        Assert.Equal(0, hashed);
        Assert.Equal(0, store.Reads);
        Assert.Equal(6, hashing.PiecesHashed);
    }

    [Fact]
    public async Task AListGivenInPartsIsHashedAcrossThePartsAndLeavesTheFinishNothingToRead()
    {
        var content = ReferenceContentHash.RandomBytes((5 * Piece) + 4_321, seed: 16);
        var blocks = Cut(content, seed: 17);
        var refs = blocks.Select(b => b.Ref).ToList();
        var hashing = new UploadPieceHashing();
        hashing.Begin("up_parts", "user-5", refs[..2], content.Length);

        // Each part's blocks arrive (out of order within the part) before the next part is added; a piece that a part
        // leaves unfinished is completed by the next one's blocks.
        var cuts = new[] { 2, 3, refs.Count - 1, refs.Count };
        var from = 0;
        foreach (var to in cuts)
        {
            if (from > 0)
            {
                hashing.Extend("up_parts", refs[..to]);
            }

            foreach (var i in Enumerable.Range(from, to - from).Reverse())
            {
                hashing.Stored("user-5", blocks[i].Ref.Hash, blocks[i].Bytes);
            }

            from = to;
        }

        var store = new InMemoryBlockStore();
        var (hash, hashed) = await BlockListContentHash.ComputeCountingAsync(refs, store, default);

        Assert.Equal(ReferenceContentHash.Of(content), hash);
        Assert.Equal(0, hashed);
        Assert.Equal(0, store.Reads);
        Assert.Equal(6, hashing.PiecesHashed);
    }

    [Fact]
    public async Task AnotherUsersBlocksAndAGapLeaveThePiecesToTheFinish()
    {
        var content = ReferenceContentHash.RandomBytes((4 * Piece) + 99, seed: 13);
        var blocks = Cut(content, seed: 14);
        var hashing = new UploadPieceHashing();
        hashing.Begin("up_gap", "user-2", blocks.Select(b => b.Ref).ToList());

        // Someone else's PUT of the same bytes does not feed this user's upload; then every block but the first comes.
        hashing.Stored("user-3", blocks[0].Ref.Hash, blocks[0].Bytes);
        foreach (var b in blocks.Skip(1))
        {
            hashing.Stored("user-2", b.Ref.Hash, b.Bytes);
        }

        var store = new InMemoryBlockStore();
        foreach (var b in blocks)
        {
            store.Plant(b.Ref.Hash, b.Bytes);
        }

        var (hash, hashed) = await BlockListContentHash.ComputeCountingAsync(blocks.Select(b => b.Ref).ToList(), store, default);

        Assert.Equal(ReferenceContentHash.Of(content), hash);
        Assert.Equal(5, hashed);
        Assert.Equal(0, hashing.PiecesHashed);
    }

    [Fact]
    public async Task ARunOfEqualBlocksIsHashedFromOneArrival()
    {
        var zeros = new byte[(Piece / 2) + 7];
        var tail = ReferenceContentHash.RandomBytes(Piece + 3, seed: 15);
        var content = zeros.Concat(zeros).Concat(zeros).Concat(tail).ToArray();
        var refs = new List<BlockRef> { Ref(zeros), Ref(zeros), Ref(zeros), Ref(tail) };
        var hashing = new UploadPieceHashing();
        hashing.Begin("up_equal", "user-4", refs);

        // The client sends each distinct block once; the tail first.
        hashing.Stored("user-4", refs[3].Hash, tail);
        hashing.Stored("user-4", refs[0].Hash, zeros);

        var store = new InMemoryBlockStore();
        var (hash, hashed) = await BlockListContentHash.ComputeCountingAsync(refs, store, default);

        Assert.Equal(ReferenceContentHash.Of(content), hash);
        Assert.Equal(0, hashed);
        Assert.Equal(0, store.Reads);
    }

    private static BlockRef Ref(byte[] bytes) => new(BlockHash.Of(bytes), bytes.Length);

    /// <summary>The content cut into blocks of random sizes (64 KiB to 3 MiB, so most pieces span several blocks).</summary>
    private static List<(BlockRef Ref, byte[] Bytes)> Cut(byte[] content, int seed)
    {
        var blocks = new List<(BlockRef, byte[])>();
        var random = new Random(seed);
        for (var at = 0; at < content.Length;)
        {
            var size = Math.Min(content.Length - at, random.Next(64 * 1024, 3 * 1024 * 1024));
            var block = content.AsSpan(at, size).ToArray();
            blocks.Add((Ref(block), block));
            at += size;
        }

        return blocks;
    }
}
