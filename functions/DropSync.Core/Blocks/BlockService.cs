using System.Buffers;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Ports;

namespace DropSync.Core.Blocks;

/// <summary>Stores and reads single blocks for a user: size limit, hash verification, then store and index, in that order.</summary>
public sealed class BlockService(IBlockStore store, IBlockIndex index, BlockLocks locks, TimeProvider clock)
{
    /// <summary>Stores bytes already in memory. The block store verifies the hash (its contract), so it is not hashed here again.</summary>
    public async Task StoreAsync(string userId, BlockHash hash, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        if (data.Length > Limits.MaxBlockSize)
        {
            throw BlockTooLarge();
        }

        using (await locks.AcquireAsync(hash, ct))
        {
            await store.PutAsync(hash, data, ct);
            await index.RecordAsync(userId, hash, data.Length, clock.GetUtcNow(), ct);
        }
    }

    /// <summary>Reads one block from a request body (at most 4 MiB), verifies it and stores it.</summary>
    public async Task<int> StoreFromStreamAsync(string userId, BlockHash hash, Stream body, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Limits.MaxBlockSize + 1);
        try
        {
            var length = await ReadUpToAsync(body, buffer.AsMemory(0, Limits.MaxBlockSize + 1), ct);
            if (length > Limits.MaxBlockSize)
            {
                throw BlockTooLarge();
            }

            await StoreAsync(userId, hash, buffer.AsMemory(0, length), ct);
            return length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public Task<byte[]> ReadAsync(BlockHash hash, CancellationToken ct) => store.ReadAsync(hash, ct);

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="source"/> until it is full or the stream ends.</summary>
    public static async Task<int> ReadUpToAsync(Stream source, Memory<byte> buffer, CancellationToken ct)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await source.ReadAsync(buffer[total..], ct);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    private static DropSyncException BlockTooLarge() =>
        Errors.Errors.TooLarge(ErrorCodes.BlockTooLarge, $"A block is at most {Limits.MaxBlockSize} bytes (4 MiB); split the file into smaller blocks.");
}
