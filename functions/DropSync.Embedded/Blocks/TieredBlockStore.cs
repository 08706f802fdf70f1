using System.Runtime.CompilerServices;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Ports;
using DropSync.Embedded.Metadata;

namespace DropSync.Embedded.Blocks;

/// <summary>
/// The embedded server's block store: small blocks (at most <see cref="MaxInlineSize"/> bytes) are sealed exactly as a
/// block file would be (<see cref="EncryptedDiskBlockStore"/>'s format: AES-256-GCM under a wrapped per-block key,
/// verified against the name on every read) and kept in the metadata database, written through its group commit; larger
/// blocks are files. A small block costs no file fsync and no folder fsync: it shares the WAL fsync of its group, and
/// <see cref="PutAndRecordAsync"/> records it in the block index in the same write, so a small-file upload waits for one
/// group commit for its block instead of two file fsyncs and a group commit. Blocks stored as files before this store
/// existed keep being read, deduplicated and deleted as files.
/// </summary>
public sealed class TieredBlockStore(EncryptedDiskBlockStore files, SqliteMetadataStore database, TimeProvider clock) : IBlockStore, IRecordingBlockStore, IDisposable
{
    /// <summary>
    /// 64 KiB: below it, two file fsyncs (≈ 1–2 ms each on the disks measured) cost far more than writing the block to the
    /// WAL and later checkpointing it (two sequential writes of ≤ 64 KiB, tens of microseconds); above it the doubled
    /// write volume starts to weigh on large transfers, and a 4 MiB block in a row would hold the one writer for the copy.
    /// Most files people sync by count (documents, source, configuration) are under it.
    /// </summary>
    public const int MaxInlineSize = 64 * 1024;

    public EncryptedDiskBlockStore Files => files;

    public bool StoresWithRecord(int length) => length <= MaxInlineSize;

    public Task PutAsync(BlockHash hash, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken) =>
        StoresWithRecord(plaintext.Length) ? PutInlineAsync(null, hash, plaintext, hashedHere: false, cancellationToken) : files.PutAsync(hash, plaintext, cancellationToken);

    public Task PutHashedAsync(BlockHash hash, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken) =>
        StoresWithRecord(plaintext.Length) ? PutInlineAsync(null, hash, plaintext, hashedHere: true, cancellationToken) : files.PutHashedAsync(hash, plaintext, cancellationToken);

    public async Task<Task> BeginPutHashedAsync(BlockHash hash, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        if (StoresWithRecord(plaintext.Length))
        {
            await PutInlineAsync(null, hash, plaintext, hashedHere: true, cancellationToken);
            return Task.CompletedTask;
        }

        return await files.BeginPutHashedAsync(hash, plaintext, cancellationToken);
    }

    public Task PutAndRecordAsync(string userId, BlockHash hash, ReadOnlyMemory<byte> plaintext, bool hashedHere, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(plaintext.Length, MaxInlineSize);
        return PutInlineAsync((userId, at), hash, plaintext, hashedHere, cancellationToken);
    }

    public SealedBlock? SealForCommit(string userId, BlockHash hash, ReadOnlyMemory<byte> plaintext, bool hashedHere, DateTimeOffset at)
    {
        if (!StoresWithRecord(plaintext.Length) || files.HasFile(hash))
        {
            // Too large for a row, or stored as a file by an earlier server (only its record is new): the usual ways.
            return null;
        }

        if (!hashedHere)
        {
            EncryptedDiskBlockStore.RequireHash(hash, plaintext.Span);
        }

        return new SealedBlock(hash, plaintext.Length, files.SealToArray(hash, plaintext.Span), userId, at);
    }

    public Task<BatchResult> PutRecordAndApplyAsync(SealedBlock block, IReadOnlyList<MetadataWrite> writes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(block);
        return database.PutInlineBlockAndApplyAsync(block.Hash, block.Sealed, (block.UserId, block.Size, block.At), writes, cancellationToken);
    }

    public Task<IReadOnlyList<BatchResult>> PutRecordAndApplyEachAsync(
        IReadOnlyList<SealedBlock> blocks, IReadOnlyList<IReadOnlyList<MetadataWrite>> batches, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        return database.PutInlineBlocksAndApplyEachAsync(blocks.Select(b => (b.Hash, b.Sealed, (b.UserId, b.Size, b.At))).ToList(), batches, cancellationToken);
    }

    public async Task<bool> ExistsAsync(BlockHash hash, CancellationToken cancellationToken) =>
        await files.ExistsAsync(hash, cancellationToken) || await database.InlineBlockExistsAsync(hash, cancellationToken);

    public async Task<byte[]> ReadAsync(BlockHash hash, CancellationToken cancellationToken)
    {
        if (files.HasFile(hash))
        {
            return await files.ReadAsync(hash, cancellationToken);
        }

        byte[]? plaintext = null;
        await ReadInlineAsync(hash, length => plaintext = new byte[length], cancellationToken);
        return plaintext!;
    }

    public async Task<int> ReadIntoAsync(BlockHash hash, Memory<byte> destination, CancellationToken cancellationToken)
    {
        // A stat first: a large block (the common case by bytes) costs no database read.
        if (files.HasFile(hash))
        {
            return await files.ReadIntoAsync(hash, destination, cancellationToken);
        }

        return await ReadInlineAsync(
            hash,
            length => length <= destination.Length
                ? destination[..length]
                : throw new ArgumentException($"The destination has room for {destination.Length} bytes; block {hash} is {length}.", nameof(destination)),
            cancellationToken);
    }

    /// <summary>
    /// The small blocks from the database in a few queries from one snapshot, then the rest as files one by one. The
    /// database is asked first: a batch download's blocks are nearly all small, and looking for each one's file first
    /// cost two <c>lstat</c>s per block that is not there (both layouts' paths; 1.8 % of the server's samples in a first
    /// download of 100,000 small files). A block is in one place only: never sealed into a row when it is a file
    /// (<see cref="SealForCommit"/>, <see cref="PutInlineAsync"/>), and a file only when larger or older than the rows.
    /// </summary>
    public async Task<IReadOnlyDictionary<BlockHash, byte[]>> ReadManyAsync(IReadOnlyCollection<BlockHash> hashes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        var distinct = hashes.Distinct().ToList();
        var sealedBlocks = await database.ReadInlineBlocksAsync(distinct, cancellationToken);
        var blocks = new Dictionary<BlockHash, byte[]>(distinct.Count);
        foreach (var hash in distinct)
        {
            if (sealedBlocks.TryGetValue(hash, out var sealedBlock))
            {
                byte[]? plaintext = null;
                files.OpenSealed(hash, sealedBlock, length => plaintext = new byte[length]);
                blocks[hash] = plaintext!;
            }
            else
            {
                // Not a row: a file, or no such block (block_not_found).
                blocks[hash] = await files.ReadAsync(hash, cancellationToken);
            }
        }

        return blocks;
    }

    public async Task DeleteAsync(BlockHash hash, CancellationToken cancellationToken)
    {
        if (files.HasFile(hash))
        {
            await files.DeleteAsync(hash, cancellationToken);
            return;
        }

        await database.DeleteInlineBlockAsync(hash, cancellationToken);
    }

    public async IAsyncEnumerable<(BlockHash Hash, DateTimeOffset WrittenAt)> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var block in files.ListAsync(cancellationToken))
        {
            yield return block;
        }

        await foreach (var block in database.ListInlineBlocksAsync(cancellationToken))
        {
            yield return block;
        }
    }

    /// <summary>Disposes the file store; the database is the host's.</summary>
    public void Dispose() => files.Dispose();

    private async Task PutInlineAsync((string UserId, DateTimeOffset At)? record, BlockHash hash, ReadOnlyMemory<byte> plaintext, bool hashedHere, CancellationToken cancellationToken)
    {
        if (!hashedHere)
        {
            EncryptedDiskBlockStore.RequireHash(hash, plaintext.Span);
        }

        // Stored as a file by an earlier server: the bytes are durable already, only the record is new.
        if (files.HasFile(hash))
        {
            if (record is { } fileRecord)
            {
                await database.RecordAsync(fileRecord.UserId, hash, plaintext.Length, fileRecord.At, cancellationToken);
            }

            return;
        }

        var sealedBlock = files.SealToArray(hash, plaintext.Span);
        var writtenAt = record?.At ?? clock.GetUtcNow();
        await database.PutInlineBlockAsync(hash, sealedBlock, writtenAt, record is { } r ? (r.UserId, plaintext.Length) : null, cancellationToken);
    }

    private async Task<int> ReadInlineAsync(BlockHash hash, Func<int, Memory<byte>> destinationFor, CancellationToken cancellationToken)
    {
        var sealedBlock = await database.ReadInlineBlockAsync(hash, cancellationToken)
            ?? throw Errors.NotFound(ErrorCodes.BlockNotFound, $"No block {hash} is stored. Upload it first.");
        return files.OpenSealed(hash, sealedBlock, destinationFor);
    }
}
