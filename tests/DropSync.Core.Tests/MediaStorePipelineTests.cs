using System.Collections.Concurrent;
using DropSync.Core.Content;
using DropSync.Core.Files;
using DropSync.Testing;

namespace DropSync.Core.Tests;

/// <summary>The media upload's stores off the receiving thread: order, buffer reuse and the spares given back.</summary>
[Collection(BlockBuffersTests.Collection)]
public class MediaStorePipelineTests
{
    /// <summary>
    /// Stores that finish out of order are still listed in the order their blocks arrived, no buffer is handed back for
    /// receiving while its store runs, and with every spare busy the receive waits for the oldest block.
    /// </summary>
    [Fact]
    public async Task Blocks_are_listed_in_arrival_order_and_a_buffer_is_received_into_only_after_its_store()
    {
        var stores = new Stores();
        var listed = new List<byte>();
        var pipeline = new MediaStorePipeline(stores.Store, block =>
        {
            listed.Add(block.Digest[0]);
            return Task.CompletedTask;
        });
        var receiving = BlockBuffers.Rent();
        var first = receiving;
        const int spares = MediaStorePipeline.MaxSpares;
        try
        {
            pipeline.TakeSpares();
            Assert.True(pipeline.IsPipelining);

            // One block per spare: each hand-over gives a buffer no store is using.
            var inFlight = new List<BlockBuffer>();
            for (byte tag = 1; tag <= spares; tag++)
            {
                receiving.Memory.Span[0] = tag;
                inFlight.Add(receiving);
                receiving = await pipeline.HandOverAsync(receiving, 10);
                Assert.DoesNotContain(receiving, inFlight);
            }

            // Every spare is storing: the next receive needs the first block's buffer, so the hand-over waits for its store,
            // however many of the later ones finish first.
            receiving.Memory.Span[0] = spares + 1;
            var waiting = pipeline.HandOverAsync(receiving, 10);
            await stores.StartedAsync(spares + 1);
            for (byte tag = 2; tag <= spares + 1; tag++)
            {
                stores.Finish(tag);
            }

            await Task.Delay(50);
            Assert.False(waiting.IsCompleted);
            Assert.Empty(listed);
            stores.Finish(1);
            receiving = await waiting;
            Assert.Same(first, receiving);
            Assert.Equal([1], listed);

            await pipeline.DrainAsync();
            Assert.Equal(Enumerable.Range(1, spares + 1).Select(i => (byte)i), listed);
        }
        finally
        {
            pipeline.ReturnSpares(receiving);
            BlockBuffers.Return(receiving);
        }

        AssertEverySpareIsFreeAndNoBufferWasReturnedTwice();
    }

    /// <summary>A failed store fails the upload at the next hand-over; the stores still running are waited for, and every spare goes back.</summary>
    [Fact]
    public async Task A_failed_store_fails_the_hand_over_and_the_settled_pipeline_gives_every_spare_back()
    {
        var stores = new Stores();
        var pipeline = new MediaStorePipeline(stores.Store, _ => Task.CompletedTask);
        var receiving = BlockBuffers.Rent();
        const int spares = MediaStorePipeline.MaxSpares;
        try
        {
            pipeline.TakeSpares();
            for (byte tag = 1; tag <= spares; tag++)
            {
                receiving.Memory.Span[0] = tag;
                receiving = await pipeline.HandOverAsync(receiving, 1);
            }

            receiving.Memory.Span[0] = spares + 1;
            var handOver = pipeline.HandOverAsync(receiving, 1);
            await stores.StartedAsync(spares + 1);
            stores.Fail(1, new IOException("disk gone"));
            await Assert.ThrowsAsync<IOException>(() => handOver);

            // The last block's buffer, still what the caller holds, is in flight: given back once settled, and only once.
            var flushing = new FlushingBlocks();
            var settling = pipeline.SettleAsync(flushing);
            await Task.Delay(50);
            Assert.False(settling.IsCompleted);
            for (byte tag = 2; tag <= spares + 1; tag++)
            {
                stores.Finish(tag);
            }

            await settling;
            await flushing.AllDurableAsync();
        }
        finally
        {
            pipeline.ReturnSpares(receiving);
            BlockBuffers.Return(receiving);
        }

        AssertEverySpareIsFreeAndNoBufferWasReturnedTwice();
    }

    /// <summary>
    /// Every spare can be rented again, and no buffer went back to the pool twice (it would then be handed to two
    /// transfers at once): renting every pooled buffer gives distinct ones.
    /// </summary>
    private static void AssertEverySpareIsFreeAndNoBufferWasReturnedTwice()
    {
        Assert.False(BlockBuffers.SpareWanted);
        var spares = Enumerable.Range(0, BlockBuffers.MaxSpare).Select(_ => BlockBuffers.TryRentSpare()).ToList();
        var pooled = Enumerable.Range(0, BlockBuffers.Kept).Select(_ => BlockBuffers.Rent()).ToList();
        try
        {
            Assert.All(spares, Assert.NotNull);
            var all = spares.OfType<BlockBuffer>().Concat(pooled).ToList();
            Assert.Equal(all.Count, all.Distinct(ReferenceEqualityComparer.Instance).Count());
        }
        finally
        {
            spares.OfType<BlockBuffer>().ToList().ForEach(BlockBuffers.ReturnSpare);
            pooled.ForEach(BlockBuffers.Return);
        }
    }

    /// <summary>Stores that finish when the test says, found by the first byte of their block (stores start in any order on the thread pool).</summary>
    private sealed class Stores
    {
        private readonly ConcurrentDictionary<byte, TaskCompletionSource<HashedBlock>> _started = new();

        public Task<HashedBlock> Store(ReadOnlyMemory<byte> block)
        {
            var done = new TaskCompletionSource<HashedBlock>(TaskCreationOptions.RunContinuationsAsynchronously);
            Assert.True(_started.TryAdd(block.Span[0], done), "a block was stored twice");
            return done.Task;
        }

        public Task StartedAsync(int count) => Eventually.WaitUntilAsync(() => _started.Count >= count, TimeSpan.FromSeconds(10));

        public void Finish(byte tag)
        {
            var digest = new byte[32];
            digest[0] = tag;
            _started[tag].SetResult(new HashedBlock(digest, 10, Task.CompletedTask));
        }

        public void Fail(byte tag, Exception error) => _started[tag].SetException(error);
    }
}
