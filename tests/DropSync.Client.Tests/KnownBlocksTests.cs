using DropSync.Client.Chunking;
using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

/// <summary>A re-scan that names unchanged blocks from the previous scan's digests gives exactly a full scan's blocks.</summary>
public class KnownBlocksTests
{
    private const long Seed = 0x5EED;

    // Small blocks (256 B min, 1 KiB average, 4 KiB max) so a file of a few hundred KiB has hundreds of blocks and the
    // edge cases (cuts forced at the maximum in runs of zeros, short last blocks, edits at either end) come up often.
    private static readonly ChunkerOptions Small = new(256, 1024, 4096);

    private static Task<IReadOnlyList<Chunk>> FullScanAsync(byte[] data, ChunkerOptions options) =>
        FastCdc.ChunkAsync(new MemoryStream(data), options, fastSeed: Seed);

    private static async Task<(IReadOnlyList<Chunk> Chunks, int Reused)> RescanAsync(IReadOnlyList<Chunk> before, byte[] data, ChunkerOptions options)
    {
        var known = KnownBlocks.For(KnownBlocks.Encode(before), Seed, data.Length, options);
        var chunks = await FastCdc.ChunkAsync(new MemoryStream(data), options, fastSeed: Seed, known: known);
        return (chunks, known?.Reused ?? 0);
    }

    private static byte[] Edit(byte[] data, Random random)
    {
        var at = random.Next(data.Length + 1);
        var length = random.Next(1, random.Next(2) == 0 ? 8 : 5000);
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return random.Next(6) switch
        {
            0 => [.. data.AsSpan(0, at), .. bytes, .. data.AsSpan(at)], // insert
            1 => [.. data.AsSpan(0, at), .. data.AsSpan(Math.Min(data.Length, at + length))], // delete
            2 => [.. data.AsSpan(0, at), .. bytes.AsSpan(0, Math.Min(length, data.Length - at)), .. data.AsSpan(Math.Min(data.Length, at + length))], // overwrite
            3 => [.. data, .. bytes], // append
            4 => data[..random.Next(data.Length + 1)], // truncate
            _ => [.. data.AsSpan(0, at), .. new byte[length * 3], .. data.AsSpan(at)], // a run of zeros: cuts at the maximum
        };
    }

    [Fact]
    public async Task A_rescan_after_random_edits_names_the_same_blocks_as_a_full_scan()
    {
        var random = new Random(20261207);
        var reused = 0;
        var blocks = 0;
        for (var file = 0; file < 12; file++)
        {
            var data = TestData.RandomBytes(random.Next(0, 300_000), file);
            if (file % 3 == 0)
            {
                data = [.. data, .. new byte[20_000], .. TestData.RandomBytes(30_000, 100 + file)];
            }

            var previous = await FullScanAsync(data, Small);
            for (var version = 0; version < 8; version++)
            {
                data = Edit(data, random);
                if (random.Next(4) == 0)
                {
                    data = Edit(data, random); // two edits at once: two shifts
                }

                var full = await FullScanAsync(data, Small);
                var (rescan, taken) = await RescanAsync(previous, data, Small);
                Assert.Equal(full, rescan);
                Assert.Equal(data.Length, rescan.Sum(c => (long)c.Size));
                (reused, blocks, previous) = (reused + taken, blocks + full.Count, rescan);
            }
        }

        // Most blocks of a version survive a small edit: most were named from the previous scan.
        Assert.True(reused > blocks / 2, $"{reused} of {blocks} blocks reused");
    }

    [Fact]
    public async Task A_one_byte_insert_in_a_large_file_hashes_only_the_blocks_around_it()
    {
        var data = TestData.RandomBytes(300 * 1024 * 1024 / 16, 5);
        var options = ChunkerOptions.Default;
        var before = await FullScanAsync(data, options);
        byte[] edited = [.. data.AsSpan(0, data.Length / 2), 42, .. data.AsSpan(data.Length / 2)];

        var (after, reused) = await RescanAsync(before, edited, options);

        Assert.Equal(await FullScanAsync(edited, options), after);
        Assert.InRange(after.Count - reused, 1, 2);
    }

    [Fact]
    public async Task A_block_whose_digest_differs_is_cut_and_hashed_afresh()
    {
        var data = TestData.RandomBytes(200_000, 9);
        var before = await FullScanAsync(data, Small);
        var wrong = before.Select((c, i) => i == 3 ? c with { Fast = c.Fast + 1 } : c).ToList();

        var (after, reused) = await RescanAsync(wrong, data, Small);

        Assert.Equal(before, after);
        Assert.Equal(before.Count - 1, reused);
    }

    [Fact]
    public void Digests_made_with_another_seed_or_cut_with_other_sizes_are_not_used()
    {
        var encoded = KnownBlocks.Encode([new Chunk(0, 300 * 1024 * 1024 / 256, DropSync.Core.Content.BlockHash.Of([1]), 7)]);
        Assert.Null(KnownBlocks.For(encoded.AsSpan(0, 10), Seed, 100));
        var known = KnownBlocks.For(encoded, Seed, 2_000_000);
        Assert.NotNull(known);
        Assert.False(known.CutWith(ChunkerOptions.Large));

        // A file that grew past 256 MiB is cut with the large sizes: the small-size list is of no use.
        Assert.Null(KnownBlocks.For(encoded, Seed, ChunkerOptions.LargeFileThreshold));
    }

    [Fact]
    public async Task A_stored_row_gives_each_block_name_with_the_digest_of_its_bytes()
    {
        var data = TestData.RandomBytes(200_000, 77);
        var chunks = await FullScanAsync(data, Small);

        var digests = KnownBlocks.DigestsByName(KnownBlocks.Encode(chunks));

        Assert.NotNull(digests);
        Assert.Equal(chunks.Select(c => c.Hash.Hex).Distinct().Count(), digests.Count);
        foreach (var c in chunks)
        {
            Assert.Equal(KnownBlocks.Digest(data.AsSpan((int)c.Offset, c.Size), Seed), digests[c.Hash.Hex]);
        }

        Assert.Null(KnownBlocks.DigestsByName([]));
        Assert.Null(KnownBlocks.DigestsByName(new byte[51]));
    }
}
