using System.Security.Cryptography;
using DropSync.Core.Blocks;
using DropSync.Core.Content;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using DropSync.Embedded.Blocks;
using DropSync.Embedded.Metadata;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Embedded.Tests;

/// <summary>
/// A batch upload's small blocks carried by its commits (<see cref="IRecordingBlockStore.PutRecordAndApplyEachAsync"/>,
/// <see cref="CarriedBlocks"/>): every block, its record and every commit are one write transaction; each commit is still
/// first-wins on its path; a block is kept whatever becomes of the commits; blocks are locked once each, in order.
/// </summary>
public sealed class TieredBlockStoreBatchCommitTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly TempTieredBlockStore _tiered = new();

    private SqliteMetadataStore Metadata => _tiered.Metadata;

    private TieredBlockStore Store => _tiered.Store;

    [Fact]
    public async Task Many_blocks_and_many_commits_are_one_write_transaction_and_a_lost_race_fails_alone()
    {
        var ns = NewNamespace();
        var taken = File(ns, "/taken.txt");
        await Metadata.MustApplyAsync(CreateFile(taken));
        var contents = Enumerable.Range(0, 200).Select(i => RandomNumberGenerator.GetBytes(1000 + i)).ToList();
        // Two files of the batch with the same content: one block.
        contents.Add(contents[0]);
        var blocks = contents.Select(c => Store.SealForCommit("u_a", BlockHash.Of(c), c, hashedHere: false, DateTimeOffset.UtcNow)!).ToList();
        var files = contents.Select((c, i) => File(ns, $"/d{i % 9}/f{i}.txt", size: c.Length)).ToList();
        // The last one races the file already there, and loses.
        files.Add(File(ns, "/taken.txt", size: contents[5].Length));
        var batches = files.Select((f, i) => (IReadOnlyList<MetadataWrite>)CreateFile(f, new BlockRef(BlockHash.Of(contents[i % contents.Count]), contents[i % contents.Count].Length))).ToList();
        var before = Metadata.CommittedWriteTransactions;

        var results = await Store.PutRecordAndApplyEachAsync(blocks.DistinctBy(b => b.Hash).ToList(), batches, None);

        Assert.Equal(before + 1, Metadata.CommittedWriteTransactions);
        Assert.All(results.SkipLast(1), r => Assert.True(r.Applied));
        Assert.False(results[^1].Applied);
        Assert.Equal(taken.Rev, (await Metadata.GetEntryAsync(ns, taken.PathKey, None))!.Rev);
        Assert.Equal(Enumerable.Range(2, contents.Count).Select(i => (long)i), results.SkipLast(1).Select(r => r.Changes.Single().Sequence));
        var held = await Metadata.FindHeldAsync("u_a", contents.Select(c => BlockHash.Of(c)).ToList(), None);
        Assert.Equal(200, held.Count);
        foreach (var c in new[] { contents[0], contents[100], contents[199] })
        {
            Assert.Equal(c, await Store.ReadAsync(BlockHash.Of(c), None));
        }
    }

    [Fact]
    public async Task Carried_blocks_are_stored_once_even_when_no_commit_goes_with_them()
    {
        var data = RandomNumberGenerator.GetBytes(3000);
        var block = Store.SealForCommit("u_b", BlockHash.Of(data), data, hashedHere: true, DateTimeOffset.UtcNow)!;
        var carried = new BlockService(Store, Metadata, new BlockLocks(), TimeProvider.System).CarryAll([block, block])!;
        Assert.Equal(1, carried.Count);

        await carried.StoreAloneAsync(None);
        await carried.StoreAloneAsync(None);

        Assert.True(carried.IsStored);
        Assert.Equal(data, await Store.ReadAsync(BlockHash.Of(data), None));
        Assert.Equal(data.Length, (await Metadata.FindHeldAsync("u_b", [BlockHash.Of(data)], None))[BlockHash.Of(data)]);
        await Assert.ThrowsAsync<InvalidOperationException>(() => carried.ApplyEachWithAsync([], None));
    }

    [Fact]
    public async Task Batches_lock_each_stripe_once_in_order_so_overlapping_batches_never_deadlock_and_a_held_block_waits()
    {
        var locks = new BlockLocks();
        var hashes = Enumerable.Range(0, 600).Select(i => BlockHash.Of(BitConverter.GetBytes(i))).ToList();
        var reversed = Enumerable.Reverse(hashes).Concat(hashes.Take(10)).ToList();

        // Many overlapping batches, their blocks in opposite orders and repeated: every one gets all its locks in turn.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
        {
            using (await locks.AcquireAllAsync(i % 2 == 0 ? hashes : reversed, None))
            {
                await Task.Yield();
            }
        }))).WaitAsync(TimeSpan.FromSeconds(30));

        var all = await locks.AcquireAllAsync(hashes.Take(3), None);
        var single = locks.AcquireAsync(hashes[1], None);
        await Task.Delay(50);
        Assert.False(single.IsCompleted);
        all.Dispose();
        (await single.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
    }

    public void Dispose() => _tiered.Dispose();
}
