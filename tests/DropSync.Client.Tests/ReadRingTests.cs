using System.Buffers;
using DropSync.Client.Chunking;
using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

/// <summary>
/// The scan hashes blocks where they were read, in a ring of read buffers: the blocks and names must be exactly those of
/// the in-memory chunker whatever the buffers' size, and no buffer may be refilled or pooled while a block in it is hashed.
/// </summary>
public class ReadRingTests
{
    private const long Seed = 0x5EED;

    // Small blocks (64 B min, 256 B average, 1 KiB max) and slabs of one to a few maximum blocks, so a few hundred KiB
    // cross hundreds of slab edges; a run of zeros makes blocks end exactly at the maximum.
    private static readonly ChunkerOptions Small = new(64, 256, 1024);

    private static List<Chunk> Expected(byte[] data, ChunkerOptions options) =>
        [.. FastCdc.Chunk(data, options).Select(c => c with { Fast = KnownBlocks.Digest(data.AsSpan((int)c.Offset, c.Size), Seed) })];

    private static Task<IReadOnlyList<Chunk>> RingScanAsync(Stream data, ChunkerOptions options, int slabs, int slabSize, ArrayPool<byte>? pool = null, KnownBlocks? known = null, Action<Chunk>? onChunk = null) =>
        FastCdc.ChunkAsync(data, options, onChunk, Seed, known, slabs, slabSize, pool, CancellationToken.None);

    [Fact]
    public async Task Blocks_and_names_match_the_in_memory_chunker_for_many_sizes_and_slab_shapes()
    {
        var random = new Random(15);
        foreach (var slabSize in new[] { 1024, 1025, 1500, 2048, 4099 })
        {
            foreach (var slabs in new[] { 2, 3 })
            {
                for (var file = 0; file < 6; file++)
                {
                    var data = TestData.RandomBytes(random.Next(0, 200_000), file);
                    if (file % 2 == 1)
                    {
                        data = [.. data, .. new byte[random.Next(1, 9000)], .. TestData.RandomBytes(random.Next(1, 5000), 100 + file)];
                    }

                    var emitted = new List<Chunk>();
                    var chunks = await RingScanAsync(new TrickleStream(data, random.Next(1, 3000)), Small, slabs, slabSize, onChunk: emitted.Add);
                    var expected = Expected(data, Small);
                    Assert.Equal(expected, chunks);
                    Assert.Equal(expected, emitted); // in stream order, each once
                }
            }
        }
    }

    [Fact]
    public async Task The_default_sizes_across_8_MiB_slabs_match_the_in_memory_chunker()
    {
        var data = TestData.RandomBytes(40 * 1024 * 1024 + 12345, 7);
        var chunks = await FastCdc.ChunkAsync(new MemoryStream(data), ChunkerOptions.Default, fastSeed: Seed);
        Assert.Equal(Expected(data, ChunkerOptions.Default), chunks);
    }

    [Fact]
    public async Task A_rescan_that_names_known_blocks_across_slab_edges_matches_a_full_scan()
    {
        var data = TestData.RandomBytes(150_000, 8);
        var before = Expected(data, Small);
        byte[] edited = [.. data.AsSpan(0, 70_000), 1, 2, 3, .. data.AsSpan(70_000)];
        var known = KnownBlocks.For(KnownBlocks.Encode(before), Seed, edited.Length, Small);
        var chunks = await RingScanAsync(new MemoryStream(edited), Small, 2, 1500, known: known);
        Assert.Equal(Expected(edited, Small), chunks);
        Assert.True(known!.Reused > 100);
    }

    [Fact]
    public async Task Slabs_go_to_the_pool_only_after_the_scan_and_are_not_reused_while_held()
    {
        // The pool scribbles over what it is given back: a slab pooled while a block in it was being hashed would
        // change that block's name. Two slabs of one maximum block each make the scan wait on the hashers constantly.
        var pool = new ScribblingPool();
        var data = TestData.RandomBytes(300_000, 9);
        var chunks = await RingScanAsync(new MemoryStream(data), Small, 2, 1024, pool);
        Assert.Equal(Expected(data, Small), chunks);
        Assert.Equal(2, pool.Rented);
        Assert.Equal(2, pool.Returned);
    }

    [Fact]
    public async Task A_slab_comes_back_only_when_its_last_hold_is_released()
    {
        var pool = new ScribblingPool();
        using (var ring = new ReadRing(2, 100, pool))
        {
            var first = await ring.TakeAsync(CancellationToken.None);
            var second = await ring.TakeAsync(CancellationToken.None);
            first.Hold(); // a block queued from it
            first.Release(); // the scan moved on
            var third = ring.TakeAsync(CancellationToken.None).AsTask();
            await Task.Delay(50);
            Assert.False(third.IsCompleted);

            first.Release(); // the block is hashed
            Assert.Same(first, await third.WaitAsync(TimeSpan.FromSeconds(10)));
            second.Release();
            Assert.Throws<InvalidOperationException>(second.Release);
        }

        Assert.Equal(0, pool.Returned);
    }

    [Fact]
    public async Task Disposing_the_ring_pools_only_the_slabs_nobody_holds()
    {
        var pool = new ScribblingPool();
        var ring = new ReadRing(2, 100, pool);
        var held = await ring.TakeAsync(CancellationToken.None);
        var free = await ring.TakeAsync(CancellationToken.None);
        free.Release();
        held.Bytes[0] = 42;
        ring.Dispose();
        Assert.Equal(1, pool.Returned);
        Assert.Equal(42, held.Bytes[0]);
        Assert.Equal(0xFF, free.Bytes[0]);
    }

    [Fact]
    public async Task A_failing_progress_callback_stops_the_scan_instead_of_hanging_it()
    {
        var data = TestData.RandomBytes(200_000, 10);
        var scan = RingScanAsync(new MemoryStream(data), Small, 2, 1024, onChunk: _ => throw new InvalidOperationException("callback failed"));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => scan.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("callback failed", e.Message);
    }

    private sealed class ScribblingPool : ArrayPool<byte>
    {
        private int _rented;
        private int _returned;

        public int Rented => _rented;

        public int Returned => _returned;

        public override byte[] Rent(int minimumLength)
        {
            Interlocked.Increment(ref _rented);
            return new byte[minimumLength];
        }

        public override void Return(byte[] array, bool clearArray = false)
        {
            Interlocked.Increment(ref _returned);
            array.AsSpan().Fill(0xFF);
        }
    }

    private sealed class TrickleStream(byte[] data, int piece) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, piece)], cancellationToken);
    }
}
