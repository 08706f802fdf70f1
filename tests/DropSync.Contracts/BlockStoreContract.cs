using System.Security.Cryptography;
using System.Text;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Ports;
using Xunit;

namespace DropSync.Contracts;

/// <summary>
/// The behaviour every <see cref="IBlockStore"/> adapter must have. An adapter's test project subclasses this with a fixture
/// that makes a fresh, empty store and knows how to damage a stored block's bytes.
/// </summary>
public abstract class BlockStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>A new, empty store, isolated from every other test's.</summary>
    protected abstract Task<IBlockStore> CreateStoreAsync();

    /// <summary>Alters the stored bytes of a block that the store of this test holds (for example flips one byte of it).</summary>
    protected abstract Task CorruptAsync(BlockHash hash);

    public static TheoryData<int> Sizes => new() { 1, 2, 17, 4095, 65_537, 1_000_003, Limits.MaxBlockSize - 1, Limits.MaxBlockSize };

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Random_blocks_of_any_size_round_trip(int size)
    {
        var store = await CreateStoreAsync();
        var data = RandomBytes(size);
        var hash = BlockHash.Of(data);

        await store.PutAsync(hash, data, None);

        Assert.True(await store.ExistsAsync(hash, None));
        AssertSameBytes(data, await store.ReadAsync(hash, None));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Compressible_blocks_of_any_size_round_trip(int size)
    {
        var store = await CreateStoreAsync();
        var data = CompressibleBytes(size);
        var hash = BlockHash.Of(data);

        await store.PutAsync(hash, data, None);

        AssertSameBytes(data, await store.ReadAsync(hash, None));
    }

    [Fact]
    public async Task Zero_filled_4_MiB_block_round_trips()
    {
        var store = await CreateStoreAsync();
        var data = new byte[Limits.MaxBlockSize];
        var hash = BlockHash.Of(data);

        await store.PutAsync(hash, data, None);

        AssertSameBytes(data, await store.ReadAsync(hash, None));
    }

    [Fact]
    public async Task Empty_block_round_trips()
    {
        var store = await CreateStoreAsync();
        var hash = BlockHash.Of([]);

        await store.PutAsync(hash, ReadOnlyMemory<byte>.Empty, None);

        Assert.Empty(await store.ReadAsync(hash, None));
    }

    [Fact]
    public async Task A_block_whose_bytes_do_not_hash_to_its_name_is_rejected_and_nothing_is_stored()
    {
        var store = await CreateStoreAsync();
        var data = RandomBytes(10_000);
        var otherHash = BlockHash.Of(RandomBytes(10_000));

        var error = await Assert.ThrowsAsync<DropSyncException>(() => store.PutAsync(otherHash, data, None));

        Assert.Equal("block_hash_mismatch", error.Code);
        Assert.Equal(ErrorKind.BadRequest, error.Kind);
        Assert.False(await store.ExistsAsync(otherHash, None));
        Assert.False(await store.ExistsAsync(BlockHash.Of(data), None));
        await AssertNotFoundAsync(store, otherHash);
        Assert.Empty(await ListAsync(store));
    }

    [Fact]
    public async Task Putting_a_block_twice_is_fine()
    {
        var store = await CreateStoreAsync();
        var data = CompressibleBytes(300_000);
        var hash = BlockHash.Of(data);

        await store.PutAsync(hash, data, None);
        await store.PutAsync(hash, data, None);

        AssertSameBytes(data, await store.ReadAsync(hash, None));
        Assert.Single(await ListAsync(store));
    }

    [Fact]
    public async Task An_unknown_block_is_not_found()
    {
        var store = await CreateStoreAsync();
        var hash = BlockHash.Of(RandomBytes(100));

        Assert.False(await store.ExistsAsync(hash, None));
        await AssertNotFoundAsync(store, hash);
    }

    [Fact]
    public async Task Many_blocks_read_at_once_come_back_each_under_its_name()
    {
        var store = await CreateStoreAsync();
        // Sizes on both sides of a store's tiers (the embedded store keeps blocks up to 64 KiB in its database).
        var blocks = new[] { 1, 17, 4095, 65_536, 65_537, 1_000_003 }.Select(RandomBytes).ToList();
        var hashes = blocks.Select(b => BlockHash.Of(b)).ToList();
        for (var i = 0; i < blocks.Count; i++)
        {
            await store.PutAsync(hashes[i], blocks[i], None);
        }

        var read = await store.ReadManyAsync([.. hashes, hashes[0]], None);

        Assert.Equal(blocks.Count, read.Count);
        for (var i = 0; i < blocks.Count; i++)
        {
            AssertSameBytes(blocks[i], read[hashes[i]]);
        }
    }

    [Fact]
    public async Task Many_blocks_read_at_once_with_an_unknown_one_among_them_are_not_found()
    {
        var store = await CreateStoreAsync();
        var known = RandomBytes(100);
        await store.PutAsync(BlockHash.Of(known), known, None);

        var e = await Assert.ThrowsAsync<DropSyncException>(() => store.ReadManyAsync([BlockHash.Of(known), BlockHash.Of(RandomBytes(100))], None));
        Assert.Equal(ErrorCodes.BlockNotFound, e.Code);
    }

    [Fact]
    public async Task A_deleted_block_is_gone()
    {
        var store = await CreateStoreAsync();
        var data = RandomBytes(5_000);
        var hash = BlockHash.Of(data);
        var kept = RandomBytes(5_000);
        var keptHash = BlockHash.Of(kept);
        await store.PutAsync(hash, data, None);
        await store.PutAsync(keptHash, kept, None);

        await store.DeleteAsync(hash, None);

        Assert.False(await store.ExistsAsync(hash, None));
        await AssertNotFoundAsync(store, hash);
        Assert.Equal([keptHash], (await ListAsync(store)).Select(b => b.Hash));
        AssertSameBytes(kept, await store.ReadAsync(keptHash, None));
    }

    [Fact]
    public async Task Deleting_an_absent_block_is_fine()
    {
        var store = await CreateStoreAsync();
        var hash = BlockHash.Of(RandomBytes(100));

        await store.DeleteAsync(hash, None);
        await store.DeleteAsync(hash, None);

        Assert.False(await store.ExistsAsync(hash, None));
    }

    [Fact]
    public async Task A_deleted_block_can_be_put_again()
    {
        var store = await CreateStoreAsync();
        var data = RandomBytes(5_000);
        var hash = BlockHash.Of(data);
        await store.PutAsync(hash, data, None);
        await store.DeleteAsync(hash, None);

        await store.PutAsync(hash, data, None);

        AssertSameBytes(data, await store.ReadAsync(hash, None));
    }

    [Fact]
    public async Task List_returns_every_stored_block_with_when_it_was_written()
    {
        var store = await CreateStoreAsync();
        Assert.Empty(await ListAsync(store));
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);
        var expected = new HashSet<BlockHash>();
        for (var i = 0; i < 20; i++)
        {
            var data = RandomBytes(1 + (i * 97));
            var hash = BlockHash.Of(data);
            await store.PutAsync(hash, data, None);
            expected.Add(hash);
        }

        var listed = await ListAsync(store);

        Assert.Equal(expected.Count, listed.Count);
        Assert.True(expected.SetEquals(listed.Select(b => b.Hash)));
        Assert.All(listed, b => Assert.InRange(b.WrittenAt, before, DateTimeOffset.UtcNow.AddMinutes(1)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1_000)]
    [InlineData(Limits.MaxBlockSize)]
    public async Task Damaged_random_bytes_are_reported_as_corrupt_never_returned(int size)
    {
        var store = await CreateStoreAsync();
        var data = RandomBytes(size);
        var hash = BlockHash.Of(data);
        await store.PutAsync(hash, data, None);

        await CorruptAsync(hash);

        var error = await Assert.ThrowsAsync<DropSyncException>(() => store.ReadAsync(hash, None));
        Assert.Equal("block_corrupt", error.Code);
    }

    [Fact]
    public async Task Damaged_compressible_bytes_are_reported_as_corrupt_never_returned()
    {
        var store = await CreateStoreAsync();
        var data = CompressibleBytes(2_000_000);
        var hash = BlockHash.Of(data);
        await store.PutAsync(hash, data, None);

        await CorruptAsync(hash);

        var error = await Assert.ThrowsAsync<DropSyncException>(() => store.ReadAsync(hash, None));
        Assert.Equal("block_corrupt", error.Code);
    }

    [Fact]
    public async Task Parallel_puts_of_the_same_block_all_succeed()
    {
        var store = await CreateStoreAsync();
        var data = RandomBytes(1_500_000);
        var hash = BlockHash.Of(data);

        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => store.PutAsync(hash, data, None))));

        AssertSameBytes(data, await store.ReadAsync(hash, None));
        Assert.Equal([hash], (await ListAsync(store)).Select(b => b.Hash));
    }

    [Fact]
    public async Task Parallel_puts_and_reads_of_different_blocks_all_succeed()
    {
        var store = await CreateStoreAsync();
        var blocks = Enumerable.Range(0, 16).Select(i => i % 2 == 0 ? RandomBytes(700_000 + i) : CompressibleBytes(700_000 + i)).ToArray();

        await Task.WhenAll(blocks.Select(b => Task.Run(() => store.PutAsync(BlockHash.Of(b), b, None))));
        var read = await Task.WhenAll(blocks.Select(b => Task.Run(() => store.ReadAsync(BlockHash.Of(b), None))));

        for (var i = 0; i < blocks.Length; i++)
        {
            AssertSameBytes(blocks[i], read[i]);
        }

        Assert.Equal(blocks.Length, (await ListAsync(store)).Count);
    }

    [Fact]
    public async Task Reads_during_a_put_of_the_same_block_see_nothing_or_all_of_it()
    {
        var store = await CreateStoreAsync();
        var data = RandomBytes(Limits.MaxBlockSize);
        var hash = BlockHash.Of(data);

        var put = Task.Run(() => store.PutAsync(hash, data, None));
        var reads = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!put.IsCompleted)
            {
                try
                {
                    AssertSameBytes(data, await store.ReadAsync(hash, None));
                }
                catch (DropSyncException e) when (e.Code == "block_not_found")
                {
                    // Not there yet: fine. Anything else (a partial block) fails the test.
                }
            }
        }));
        await Task.WhenAll(reads.Append(put));

        AssertSameBytes(data, await store.ReadAsync(hash, None));
    }

    protected static byte[] RandomBytes(int size) => RandomNumberGenerator.GetBytes(size);

    /// <summary>Text-like bytes that compress well but are not trivially repetitive (a few random words, repeated in varying order).</summary>
    protected static byte[] CompressibleBytes(int size)
    {
        var words = Enumerable.Range(0, 64).Select(_ => Convert.ToHexString(RandomNumberGenerator.GetBytes(RandomNumberGenerator.GetInt32(2, 8)))).ToArray();
        var text = new StringBuilder(size + 32);
        while (text.Length < size)
        {
            text.Append(words[RandomNumberGenerator.GetInt32(words.Length)]).Append(' ');
        }

        return Encoding.ASCII.GetBytes(text.ToString(0, size));
    }

    protected static async Task<List<(BlockHash Hash, DateTimeOffset WrittenAt)>> ListAsync(IBlockStore store)
    {
        var list = new List<(BlockHash, DateTimeOffset)>();
        await foreach (var block in store.ListAsync(None))
        {
            list.Add(block);
        }

        return list;
    }

    /// <summary>Byte-for-byte equality, without a multi-megabyte diff on failure.</summary>
    protected static void AssertSameBytes(byte[] expected, byte[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        Assert.True(expected.AsSpan().SequenceEqual(actual), "The bytes read back differ from the bytes stored.");
    }

    private static async Task AssertNotFoundAsync(IBlockStore store, BlockHash hash)
    {
        var error = await Assert.ThrowsAsync<DropSyncException>(() => store.ReadAsync(hash, None));
        Assert.Equal("block_not_found", error.Code);
        Assert.Equal(ErrorKind.NotFound, error.Kind);
    }
}
