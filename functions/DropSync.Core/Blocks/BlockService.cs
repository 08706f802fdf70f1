using System.Buffers;
using System.Security.Cryptography;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Ports;

namespace DropSync.Core.Blocks;

/// <summary>Stores and reads single blocks for a user: size limit, hash verification, then store and index, in that order.</summary>
public sealed class BlockService(IBlockStore store, IBlockIndex index, BlockLocks locks, TimeProvider clock)
{
    /// <summary>Stores bytes already in memory. The block store verifies the hash (its contract), so it is not hashed here again.</summary>
    public Task StoreAsync(string userId, BlockHash hash, ReadOnlyMemory<byte> data, CancellationToken ct) =>
        StoreAsync(userId, hash, data, hashedHere: false, ct);

    /// <summary>Stores bytes this server has just named by hashing them itself (see <see cref="IBlockStore.PutHashedAsync"/>).</summary>
    public Task StoreHashedAsync(string userId, BlockHash hash, ReadOnlyMemory<byte> data, CancellationToken ct) =>
        StoreAsync(userId, hash, data, hashedHere: true, ct);

    /// <summary>
    /// <see cref="StoreHashedAsync"/> in two steps: the returned task completes once <paramref name="data"/> is no longer
    /// read, with a task that completes when the block is durable and recorded in the index. The caller must await that
    /// one before committing anything that refers to the block; the block's lock is held until then.
    /// </summary>
    public async Task<Task> BeginStoreHashedAsync(string userId, BlockHash hash, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        if (data.Length > Limits.MaxBlockSize)
        {
            throw BlockTooLarge();
        }

        if (store is IRecordingBlockStore recording && recording.StoresWithRecord(data.Length))
        {
            await StoreHashedAsync(userId, hash, data, ct);
            return Task.CompletedTask;
        }

        var blockLock = await locks.AcquireAsync(hash, ct);
        Task durable;
        try
        {
            durable = await store.BeginPutHashedAsync(hash, data, ct);
        }
        catch
        {
            blockLock.Dispose();
            throw;
        }

        return RecordWhenDurableAsync(userId, hash, data.Length, durable, blockLock, ct);
    }

    /// <summary>Reads one block from a request body (at most 4 MiB), verifies it and stores it.</summary>
    /// <param name="stored">
    /// Called with the block's bytes once they are verified, before they are stored: the store may seal them in place in
    /// their <see cref="BlockBuffer"/>. If the store then fails, the request fails and the client sends the block again.
    /// </param>
    public async Task<int> StoreFromStreamAsync(string userId, BlockHash hash, Stream body, CancellationToken ct, Action<ReadOnlyMemory<byte>>? stored = null)
    {
        var buffer = BlockBuffers.Rent();
        try
        {
            var data = buffer.Memory;
            var length = await ReadUpToAsync(body, data, ct);
            if (length == Limits.MaxBlockSize && await HasMoreAsync(body, ct))
            {
                throw BlockTooLarge();
            }

            await StoreReadAsync(userId, hash, data[..length], stored, ct);
            return length;
        }
        finally
        {
            BlockBuffers.Return(buffer);
        }
    }

    /// <summary>
    /// Reads the next block of a run's body (exactly <paramref name="block"/>'s size) into a pooled block buffer, verifies
    /// it against its name and writes it as <see cref="BeginStoreHashedAsync"/> does; null, with nothing stored, when the
    /// body ends first. Returns once the buffer is free again, with the task of the block's flush (fsync of the file and
    /// its folder, the index record): the run reads its next block meanwhile, and must await every block's flush before
    /// it answers (round 14: each block's flush held up the receive of the next, about 7 ms of disk waits per block).
    /// </summary>
    /// <param name="stored">Called with the block's bytes once they are verified, before they are sealed in place.</param>
    public async Task<Task?> BeginStoreNextOfRunAsync(string userId, BlockRef block, Stream body, CancellationToken ct, Action<ReadOnlyMemory<byte>>? stored = null)
    {
        ArgumentNullException.ThrowIfNull(block);
        if (block.Size is < 1 or > Limits.MaxBlockSize)
        {
            throw BlockTooLarge();
        }

        var buffer = BlockBuffers.Rent();
        try
        {
            var data = buffer.Memory[..block.Size];
            if (await ReadUpToAsync(body, data, ct) != block.Size)
            {
                return null;
            }

            RequireHash(block.Hash, data.Span);
            stored?.Invoke(data);
            return await BeginStoreHashedAsync(userId, block.Hash, data, ct);
        }
        finally
        {
            BlockBuffers.Return(buffer);
        }
    }

    private async Task StoreReadAsync(string userId, BlockHash hash, ReadOnlyMemory<byte> data, Action<ReadOnlyMemory<byte>>? stored, CancellationToken ct)
    {
        if (stored is null)
        {
            await StoreAsync(userId, hash, data, ct);
            return;
        }

        // Hashed here instead of by the store, so that the callback reads verified bytes before the seal.
        RequireHash(hash, data.Span);
        stored(data);
        await StoreHashedAsync(userId, hash, data, ct);
    }

    /// <summary>
    /// Seals a block this server has just named by hashing it, for the file commit that references it to store it
    /// (<see cref="CarriedBlock"/>: one durable write for both); null when the store cannot, and the caller then stores
    /// it with <see cref="StoreHashedAsync"/>. The block's lock is held by the answer until it is disposed.
    /// </summary>
    public async Task<CarriedBlock?> TryCarryHashedAsync(string userId, BlockHash hash, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        if (data.Length > Limits.MaxBlockSize)
        {
            throw BlockTooLarge();
        }

        if (store is not IRecordingBlockStore recording || !recording.StoresWithRecord(data.Length))
        {
            return null;
        }

        IDisposable? blockLock = await locks.AcquireAsync(hash, ct);
        try
        {
            var block = recording.SealForCommit(userId, hash, data, hashedHere: true, clock.GetUtcNow());
            if (block is null)
            {
                return null;
            }

            var carried = new CarriedBlock(recording, block, blockLock);
            blockLock = null;
            return carried;
        }
        finally
        {
            // Released here unless the carried block took it.
            blockLock?.Dispose();
        }
    }

    /// <summary>
    /// Seals a small block this server has just named by hashing it, for a batch's commits to store it with them
    /// (<see cref="CarryAll"/>); null when the store cannot (too large for the database, or already a file), and the caller
    /// then stores it with <see cref="StoreHashedAsync"/>. Unlocked: nothing is stored yet, and a block small enough to be
    /// sealed is never stored as a file by anyone, so what this decides holds until the write.
    /// </summary>
    public SealedBlock? TrySealHashed(string userId, BlockHash hash, ReadOnlyMemory<byte> data)
    {
        if (data.Length > Limits.MaxBlockSize)
        {
            throw BlockTooLarge();
        }

        return store is IRecordingBlockStore recording && recording.StoresWithRecord(data.Length)
            ? recording.SealForCommit(userId, hash, data, hashedHere: true, clock.GetUtcNow())
            : null;
    }

    /// <summary>The sealed blocks of a batch, to be stored in one write with the batch's commits; null when the store cannot take them that way.</summary>
    public CarriedBlocks? CarryAll(IEnumerable<SealedBlock> blocks) =>
        store is IRecordingBlockStore recording ? new CarriedBlocks(recording, locks, blocks) : null;

    public Task<byte[]> ReadAsync(BlockHash hash, CancellationToken ct) => store.ReadAsync(hash, ct);

    /// <summary>Reads a verified block into <paramref name="destination"/> (a <see cref="BlockBuffers"/> buffer always has room); returns its length.</summary>
    public Task<int> ReadIntoAsync(BlockHash hash, Memory<byte> destination, CancellationToken ct) => store.ReadIntoAsync(hash, destination, ct);

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="source"/> until it is full or the stream ends.</summary>
    public static ValueTask<int> ReadUpToAsync(Stream source, Memory<byte> buffer, CancellationToken ct) =>
        source.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct);

    /// <summary>Whether <paramref name="source"/> has another byte: a full block's buffer need not be one byte larger (and so twice the size in the pool) just to see that a body is too long.</summary>
    public static async Task<bool> HasMoreAsync(Stream source, CancellationToken ct)
    {
        var probe = ArrayPool<byte>.Shared.Rent(1);
        try
        {
            return await source.ReadAsync(probe.AsMemory(0, 1), ct) > 0;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(probe);
        }
    }

    private async Task StoreAsync(string userId, BlockHash hash, ReadOnlyMemory<byte> data, bool hashedHere, CancellationToken ct)
    {
        if (data.Length > Limits.MaxBlockSize)
        {
            throw BlockTooLarge();
        }

        using (await locks.AcquireAsync(hash, ct))
        {
            if (store is IRecordingBlockStore recording && recording.StoresWithRecord(data.Length))
            {
                // One durable write for the bytes and the index record (embedded: small blocks inline in SQLite).
                await recording.PutAndRecordAsync(userId, hash, data, hashedHere, clock.GetUtcNow(), ct);
                return;
            }

            await (hashedHere ? store.PutHashedAsync(hash, data, ct) : store.PutAsync(hash, data, ct));
            await index.RecordAsync(userId, hash, data.Length, clock.GetUtcNow(), ct);
        }
    }

    private async Task RecordWhenDurableAsync(string userId, BlockHash hash, int length, Task durable, IDisposable blockLock, CancellationToken ct)
    {
        using (blockLock)
        {
            await durable;
            await index.RecordAsync(userId, hash, length, clock.GetUtcNow(), ct);
        }
    }

    private static void RequireHash(BlockHash hash, ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(data, digest);
        if (!BlockHash.FromDigest(digest).Equals(hash))
        {
            throw Errors.Errors.BadRequest(ErrorCodes.BlockHashMismatch, $"The bytes sent do not hash to {hash}; nothing was stored. Re-read the block and send it again.");
        }
    }

    private static DropSyncException BlockTooLarge() =>
        Errors.Errors.TooLarge(ErrorCodes.BlockTooLarge, $"A block is at most {Limits.MaxBlockSize} bytes (4 MiB); split the file into smaller blocks.");
}
