using System.Buffers;
using DropSync.Core.Content;

namespace DropSync.Core.Files;

/// <summary>A block named and written off the receiving thread; <see cref="Durable"/> completes once it is flushed and in the index.</summary>
internal sealed record HashedBlock(byte[] Digest, int Length, Task Durable);

/// <summary>
/// The blocks of a media upload hashed, sealed and written on thread-pool workers while the request's thread receives the
/// next: up to <see cref="MaxSpares"/> blocks at once, each in a spare block buffer (<see cref="BlockBuffers.TryRentSpareForSoleTransfer"/>).
/// Blocks complete in the order they were handed over, so the upload lists them in order, and a buffer goes back to
/// receiving only once its store is done with it. Why more than one block in flight: a block's store is SHA-256 and
/// AES-GCM (CPU) and then a direct write of 4 MiB, which waits for the disk (one 4 MiB O_DIRECT write at a time made
/// ~580 MB/s on round 16's VM, two at once 900–1,270); with one block in flight the receive waited for each store.
/// Measured in round 16 (<c>transfer --size 1GiB</c>, alternating, 4 pairs): media upload median 2.27 → 2.0 s with
/// three in flight; two in flight was not measurably better than one. See docs/performance/server-history.md.
/// </summary>
internal sealed class MediaStorePipeline(Func<ReadOnlyMemory<byte>, Task<HashedBlock>> store, Func<HashedBlock, Task> stored)
{
    /// <summary>
    /// Spares one upload takes: while two blocks wait for the disk (the store's gate admits as many as there are cores)
    /// a third is hashed, so the cores keep working. Each is 4 MiB, only while the upload is the server's sole transfer.
    /// </summary>
    public const int MaxSpares = 3;

    private readonly Queue<(Task<HashedBlock> Store, BlockBuffer Buffer)> _inFlight = new();
    private readonly Stack<BlockBuffer> _free = new();
    private int _spares;

    /// <summary>Whether blocks are handed over (spares held) rather than stored by the receiving thread.</summary>
    public bool IsPipelining => _spares > 0;

    /// <summary>Takes up to <see cref="MaxSpares"/> spares while the upload is the only transfer holding block buffers.</summary>
    public void TakeSpares()
    {
        while (_spares < MaxSpares && BlockBuffers.TryRentSpareForSoleTransfer() is { } spare)
        {
            _free.Push(spare);
            _spares++;
        }
    }

    /// <summary>
    /// Starts storing the first <paramref name="length"/> bytes of <paramref name="filled"/> and returns the buffer to
    /// receive the next block into: a free spare, else the oldest block's once it is stored (<c>stored</c> called for it).
    /// </summary>
    public async Task<BlockBuffer> HandOverAsync(BlockBuffer filled, int length)
    {
        var block = filled.Memory[..length];
        _inFlight.Enqueue((Task.Run(() => store(block), CancellationToken.None), filled));
        if (_free.TryPop(out var next))
        {
            return next;
        }

        var (oldest, buffer) = _inFlight.Dequeue();
        try
        {
            await stored(await oldest);
        }
        catch
        {
            // Its store is over either way: the buffer is the pipeline's to give back.
            _free.Push(buffer);
            throw;
        }

        return buffer;
    }

    /// <summary>Waits for every block in flight, in order, calling <c>stored</c> for each.</summary>
    public async Task DrainAsync()
    {
        while (_inFlight.TryDequeue(out var entry))
        {
            _free.Push(entry.Buffer);
            await stored(await entry.Store);
        }
    }

    /// <summary>
    /// Gives the spares back (another transfer wants the memory, or the upload is over); call after <see cref="DrainAsync"/>
    /// or <see cref="SettleAsync"/>. <paramref name="receiving"/> is the buffer the caller goes on with (or gives back
    /// itself): a hand-over that failed leaves it in flight, so once settled it may be among the free ones, and it is not
    /// given back twice. Buffers are alike, so any other free one goes back as a spare.
    /// </summary>
    public void ReturnSpares(IMemoryOwner<byte> receiving)
    {
        var kept = new List<BlockBuffer>();
        while (_spares > 0 && _free.TryPop(out var buffer))
        {
            if (ReferenceEquals(buffer, receiving))
            {
                kept.Add(buffer);
                continue;
            }

            BlockBuffers.ReturnSpare(buffer);
            _spares--;
        }

        kept.ForEach(_free.Push);
    }

    /// <summary>
    /// For an upload that failed: waits until no store of it runs any more (nothing may write into a buffer it gives
    /// back), handing each stored block's flush to <paramref name="flushing"/> so the caller can wait for those too.
    /// </summary>
    public async Task SettleAsync(FlushingBlocks flushing)
    {
        while (_inFlight.TryDequeue(out var entry))
        {
            _free.Push(entry.Buffer);
            await entry.Store.ContinueWith(
                step =>
                {
                    if (step.IsCompletedSuccessfully)
                    {
                        flushing.Add(step.Result.Durable);
                    }
                },
                TaskScheduler.Default);
        }
    }
}
