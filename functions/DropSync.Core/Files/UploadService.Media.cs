using System.Buffers;
using System.Security.Cryptography;
using DropSync.Core.Accounts;
using DropSync.Core.Blocks;
using DropSync.Core.Content;
using DropSync.Core.Diagnostics;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using DropSync.Core.Paths;

namespace DropSync.Core.Files;

/// <summary>The media upload: a whole file in one request body.</summary>
public sealed partial class UploadService
{
    /// <summary>
    /// Streams a request body into fixed 4 MiB blocks (so the content hash needs no second pass) and commits it. When the
    /// upload is the only transfer holding block buffers it takes a spare after its first block
    /// (<see cref="BlockBuffers.TryRentSpareForSoleTransfer"/>) and becomes a two-stage pipeline on the cores: the
    /// request's thread only receives block n+1 while one work item hashes block n, names it and seals and writes it
    /// (<see cref="HashAndBeginStoreAsync"/>). One hand-off per block: the hash used to follow the receive in 256 KiB
    /// pieces, sixteen thread-pool hand-offs and wake-ups per block (docs/performance/server-history.md, "Round 8:
    /// upload CPU, hand-offs and pinned pages"). Flushing a written block (fsync of the file and its folder, the index
    /// record) waits on the disk, not the CPU, and needs no buffer: it runs behind the receive
    /// (<see cref="BlockService.BeginStoreHashedAsync"/>), and the commit waits for every block's flush, so the answer
    /// still comes only once all of it is durable. Without a spare (several uploads at once keep the cores busy anyway)
    /// each piece is hashed on the receiving thread while it is in the CPU's cache, and each block is sealed and
    /// written before the next is read. One or two pooled buffers per upload, whatever its size.
    /// </summary>
    public async Task<FileMetadata> UploadMediaAsync(Caller caller, string? rawPath, WriteMode mode, string? rev, Stream body, CancellationToken ct, long? declaredSize = null)
    {
        var path = DropPath.Parse(rawPath, allowRoot: false);
        CheckMode(mode, rev);
        var at = (await resolver.ViewAsync(caller, ct)).Resolve(path);
        at.RequireWrite();

        // A declared size (Content-Length) past the quota is refused before a block is stored; the commit checks again.
        await quota.RequireRoomAsync(at.NamespaceId, declaredSize ?? 0, ct);
        var refs = new List<BlockRef>();
        using var hasher = new ContentHasher();
        using var blockHasher = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // A body declared shorter than a block is one block: a small pooled buffer for it, not a 4 MiB one (with many
        // small uploads at once, 4 MiB buffers past the pool's few were allocated and zeroed per request). With a spare
        // buffer, block n is stored while n+1 is read from the network; without one (another transfer is running, or
        // the body is one block), each block is stored before the next is read, in the one buffer.
        var smallCapacity = declaredSize is >= 0 and < Limits.MaxBlockSize ? (int)declaredSize.Value + 1 : 0;
        var reading = RentBlockBuffer(smallCapacity);
        BlockBuffer? spare = null;
        var mayPipeline = smallCapacity == 0 && declaredSize is not <= Limits.MaxBlockSize;
        var digest = new byte[32];
        CarriedBlock? carried = null;
        Task<HashedBlock>? pendingStore = null;
        var flushing = new FlushingBlocks();
        long total = 0;

        void Named(ReadOnlySpan<byte> blockDigest, int length)
        {
            refs.Add(new BlockRef(BlockHash.FromDigest(blockDigest), length));
            hasher.AppendPieceDigest(blockDigest, length);
        }

        try
        {
            while (true)
            {
                var destination = reading.Memory[..(smallCapacity > 0 ? smallCapacity : Limits.MaxBlockSize)];
                var n = spare is null
                    ? await ReadBlockHashingAsync(body, destination, blockHasher, ct)
                    : await BlockService.ReadUpToAsync(body, destination, ct);
                if (smallCapacity > 0 && n == smallCapacity)
                {
                    throw Errors.Errors.BadRequest(ErrorCodes.InvalidSize, "The body is longer than its declared Content-Length.");
                }

                total += n;
                if (total > Limits.MaxFileSize)
                {
                    throw FileTooLarge();
                }

                if (pendingStore is not null)
                {
                    // The block before this one: named and written by now (its buffer is free again), listed in order.
                    var previous = await pendingStore;
                    pendingStore = null;
                    Named(previous.Digest, previous.Length);
                    await flushing.AddAsync(previous.Durable);
                }

                if (n == 0)
                {
                    break;
                }

                if (spare is null)
                {
                    blockHasher.GetHashAndReset(digest);
                    var hash = BlockHash.FromDigest(digest);
                    Named(digest, n);
                    if (mayPipeline && n == Limits.MaxBlockSize)
                    {
                        // Taken after the first block rather than at the start: by then the uploads of a batch that started
                        // together all hold their buffers, so none takes the spare only to give it back (a fifth 4 MiB array).
                        spare = BlockBuffers.TryRentSpareForSoleTransfer();
                    }

                    if (smallCapacity > 0)
                    {
                        // The whole body is this one small block: sealed now, stored by the commit's own write where the store can.
                        carried = await blocks.TryCarryHashedAsync(caller.UserId, hash, reading.Memory[..n], ct);
                        if (carried is null)
                        {
                            await blocks.StoreHashedAsync(caller.UserId, hash, reading.Memory[..n], ct);
                        }
                    }
                    else
                    {
                        await flushing.AddAsync(await blocks.BeginStoreHashedAsync(caller.UserId, hash, reading.Memory[..n], ct));
                    }
                }
                else if (BlockBuffers.SpareWanted)
                {
                    // Another transfer started: give the spare back and go on without pipelining (see SpareWanted).
                    BlockBuffers.ReturnSpare(spare);
                    spare = null;
                    SHA256.HashData(reading.Memory.Span[..n], digest);
                    Named(digest, n);
                    await flushing.AddAsync(await blocks.BeginStoreHashedAsync(caller.UserId, BlockHash.FromDigest(digest), reading.Memory[..n], ct));
                }
                else
                {
                    // Only a pooled buffer pipelines (a small body is one block): the two swap.
                    (reading, spare) = (spare, (BlockBuffer)reading);
                    var received = spare.Memory[..n];
                    var userId = caller.UserId;
                    pendingStore = Task.Run(() => HashAndBeginStoreAsync(userId, received, ct), CancellationToken.None);
                }

                if (n < Limits.MaxBlockSize)
                {
                    break;
                }
            }

            if (pendingStore is not null)
            {
                var last = await pendingStore;
                pendingStore = null;
                Named(last.Digest, last.Length);
                flushing.Add(last.Durable);
            }

            // Durable before the commit can refer to them, as ever: every block flushed, renamed and in the index.
            await flushing.AllDurableAsync();
        }
        catch
        {
            carried?.Dispose();
            throw;
        }
        finally
        {
            // Nothing of this upload still runs when it answers, not even the flushes of a failed one.
            if (pendingStore is not null)
            {
                await pendingStore.ContinueWith(
                    step =>
                    {
                        if (step.IsCompletedSuccessfully)
                        {
                            flushing.Add(step.Result.Durable);
                        }
                    },
                    TaskScheduler.Default);
            }

            await flushing.SettledAsync();
            ReturnBlockBuffer(reading);
            if (spare is not null)
            {
                BlockBuffers.ReturnSpare(spare);
            }
        }

        RequestStages.Mark("body read, block sealed");
        using (carried)
        {
            var entry = await committer.CommitAsync(caller, at, new NewContent(refs, total, hasher.GetHashHex()), mode, rev, null, carried, ct);
            return FileMetadata.From(entry, at);
        }
    }

    /// <summary>A block named and written by <see cref="HashAndBeginStoreAsync"/>; <see cref="Durable"/> completes once it is flushed and in the index.</summary>
    private sealed record HashedBlock(byte[] Digest, int Length, Task Durable);

    /// <summary>
    /// Names <paramref name="block"/> by its SHA-256 and seals and writes it under that name, on the calling thread (a
    /// thread-pool worker): the bytes are not written between the hash and the seal (the caller reuses the buffer only
    /// after this completes), so the store may skip hashing them again (<see cref="BlockService.BeginStoreHashedAsync"/>).
    /// </summary>
    private async Task<HashedBlock> HashAndBeginStoreAsync(string userId, ReadOnlyMemory<byte> block, CancellationToken ct)
    {
        var digest = SHA256.HashData(block.Span);
        var durable = await blocks.BeginStoreHashedAsync(userId, BlockHash.FromDigest(digest), block, ct);
        return new HashedBlock(digest, block.Length, durable);
    }

    /// <summary>A block's buffer: sized to a small body, else a pooled <see cref="BlockBuffer"/> (which the store may seal in place once the block is hashed).</summary>
    private static IMemoryOwner<byte> RentBlockBuffer(int smallCapacity) =>
        smallCapacity > 0 ? new BlockBuffers.SharedArrayLease(ArrayPool<byte>.Shared.Rent(smallCapacity)) : BlockBuffers.Rent();

    private static void ReturnBlockBuffer(IMemoryOwner<byte> buffer)
    {
        if (buffer is BlockBuffer pooled)
        {
            BlockBuffers.Return(pooled);
        }
        else
        {
            buffer.Dispose();
        }
    }

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="source"/> until it is full or the stream ends, hashing each piece as it lands.</summary>
    internal static async Task<int> ReadBlockHashingAsync(Stream source, Memory<byte> buffer, IncrementalHash hash, CancellationToken ct)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await source.ReadAsync(buffer[total..], ct);
            if (n == 0)
            {
                break;
            }

            hash.AppendData(buffer.Span.Slice(total, n));
            total += n;
        }

        return total;
    }
}
