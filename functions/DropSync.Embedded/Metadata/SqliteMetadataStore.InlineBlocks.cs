using System.Runtime.CompilerServices;
using DropSync.Core.Content;
using DropSync.Core.Ports;

namespace DropSync.Embedded.Metadata;

/// <summary>
/// Small blocks kept in the database (<c>inline_blocks</c>), already sealed by the block store: this class only stores
/// and returns the sealed bytes; <see cref="Blocks.TieredBlockStore"/> encrypts and verifies them.
/// </summary>
public sealed partial class SqliteMetadataStore
{
    /// <summary>Rows per page when listing inline blocks, so a sweep never holds them all.</summary>
    private const int InlineBlocksPerPage = 1000;

    /// <summary>
    /// Stores a sealed block unless one with its name is stored already and, when <paramref name="recordFor"/> is given,
    /// records the block for that user as <see cref="RecordAsync"/> does: both in one write, durable when this returns.
    /// </summary>
    public Task PutInlineBlockAsync(
        BlockHash hash, byte[] sealedBytes, DateTimeOffset writtenAt, (string UserId, int Size)? recordFor, CancellationToken cancellationToken) =>
        WriteAsync(
            async (transaction, ct) =>
            {
                using (var put = transaction.Command(
                    "INSERT INTO inline_blocks (hash, sealed, written_at) VALUES ($hash, $sealed, $at) ON CONFLICT (hash) DO NOTHING;",
                    ("$hash", hash.ToBytes()), ("$sealed", sealedBytes), ("$at", writtenAt.ToUnixMs())))
                {
                    await put.ExecuteNonQueryAsync(ct);
                }

                if (recordFor is { } record)
                {
                    await RecordBlockAsync(transaction, record.UserId, hash, record.Size, writtenAt, ct);
                }

                return 0;
            },
            cancellationToken);

    /// <summary>
    /// One write: stores the sealed block and records it for its user (kept whatever becomes of the batch: another upload
    /// may reference it), then applies <paramref name="writes"/> as <see cref="ApplyAsync"/> would, in a savepoint of its
    /// own so that a failed expectation undoes the batch alone. Durable, block and batch, when this returns.
    /// </summary>
    public Task<BatchResult> PutInlineBlockAndApplyAsync(
        BlockHash hash, byte[] sealedBytes, (string UserId, int Size, DateTimeOffset At) record, IReadOnlyList<MetadataWrite> writes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writes);
        var write = WriteAsync<BatchResult>(
            async (transaction, ct) =>
            {
                var batch = WriterBatch(transaction);
                await batch.PutInlineBlockAsync(hash, sealedBytes, record.At, ct);
                await batch.RecordBlockAsync(record.UserId, hash, record.Size, record.At, ct);
                if (writes.Count == 0)
                {
                    return (new BatchResult(true, -1, []), true);
                }

                // Checked up front, the batch needs no savepoint of its own (one savepoint journal fewer per commit).
                var failedAt = await FirstFailedExpectationAsync(batch, writes, ct);
                if (failedAt == -1)
                {
                    var applied = await ApplyInTransactionAsync(transaction, batch, writes, ct, expectationsChecked: true);
                    return applied.Applied
                        ? (applied, true)
                        : throw new InvalidOperationException("A batch whose expectations held up front failed one while applying.");
                }

                if (failedAt is { } index)
                {
                    return (BatchResult.Failed(index), true);
                }

                transaction.Save(BatchSavepoint);
                var result = await ApplyInTransactionAsync(transaction, batch, writes, ct);
                if (!result.Applied)
                {
                    transaction.Rollback(BatchSavepoint);
                }

                transaction.Release(BatchSavepoint);
                return (result, true);
            },
            cancellationToken,
            isMetadataBatch: true,
            ownSavepoint: false);
        return ChangesSharing(writes) ? ForgettingMembershipsAfter(write) : write;
    }

    /// <summary>
    /// One write for a whole batch upload: stores and records every sealed block (kept whatever becomes of the batches),
    /// then applies each batch in its own savepoint, as <see cref="ApplyEachAsync"/> does. Durable, blocks and batches,
    /// when this returns: one group-commit write instead of one per block.
    /// </summary>
    public Task<IReadOnlyList<BatchResult>> PutInlineBlocksAndApplyEachAsync(
        IReadOnlyList<(BlockHash Hash, byte[] Sealed, (string UserId, int Size, DateTimeOffset At) Record)> blocks,
        IReadOnlyList<IReadOnlyList<MetadataWrite>> batches,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(batches);
        var write = WriteAsync<IReadOnlyList<BatchResult>>(
            async (transaction, ct) =>
            {
                var batch = WriterBatch(transaction);
                (_writerTables ??= new BatchTables()).PutBlocks(transaction, blocks);
                var results = await ApplyEachInSavepointsAsync(transaction, batch, batches, ct);
                return (results, true);
            },
            cancellationToken,
            isMetadataBatch: true,
            ownSavepoint: false);
        return batches.Any(ChangesSharing) ? ForgettingMembershipsAfter(write) : write;
    }

    /// <summary>The sealed bytes of an inline block, or null if none is stored under this name.</summary>
    public Task<byte[]?> ReadInlineBlockAsync(BlockHash hash, CancellationToken cancellationToken) =>
        ReadAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command("SELECT sealed FROM inline_blocks WHERE hash = $hash;", ("$hash", hash.ToBytes()));
                return await command.ExecuteScalarAsync(ct) as byte[];
            },
            cancellationToken);

    /// <summary>The sealed bytes of many inline blocks, keyed by name, from one snapshot; names not stored inline are left out.</summary>
    public Task<IReadOnlyDictionary<BlockHash, byte[]>> ReadInlineBlocksAsync(IReadOnlyCollection<BlockHash> hashes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        if (hashes.Count == 0)
        {
            return Task.FromResult<IReadOnlyDictionary<BlockHash, byte[]>>(new Dictionary<BlockHash, byte[]>());
        }

        return ReadAsync<IReadOnlyDictionary<BlockHash, byte[]>>(
            async (transaction, ct) =>
            {
                var found = new Dictionary<BlockHash, byte[]>(hashes.Count);
                foreach (var chunk in hashes.Distinct().Chunk(HashesPerQuery))
                {
                    using var command = transaction.Command(
                        "SELECT hash, sealed FROM inline_blocks WHERE hash IN (" + string.Join(", ", Enumerable.Range(0, chunk.Length).Select(HashParameter)) + ");");
                    for (var i = 0; i < chunk.Length; i++)
                    {
                        command.Parameters.AddWithValue(HashParameter(i), chunk[i].ToBytes());
                    }

                    foreach (var (digest, sealedBytes) in await command.ReadAllAsync(reader => (reader.GetFieldValue<byte[]>(0), reader.GetFieldValue<byte[]>(1)), ct))
                    {
                        found[BlockHash.FromDigest(digest)] = sealedBytes;
                    }
                }

                return found;
            },
            cancellationToken);
    }

    public Task<bool> InlineBlockExistsAsync(BlockHash hash, CancellationToken cancellationToken) =>
        ReadAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command("SELECT EXISTS (SELECT 1 FROM inline_blocks WHERE hash = $hash);", ("$hash", hash.ToBytes()));
                return (long)(await command.ExecuteScalarAsync(ct))! != 0;
            },
            cancellationToken);

    /// <summary>Deletes an inline block; true if there was one.</summary>
    public Task<bool> DeleteInlineBlockAsync(BlockHash hash, CancellationToken cancellationToken) =>
        WriteAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command("DELETE FROM inline_blocks WHERE hash = $hash;", ("$hash", hash.ToBytes()));
                return await command.ExecuteNonQueryAsync(ct) > 0;
            },
            cancellationToken);

    /// <summary>Every inline block with when it was written, a page at a time in name order.</summary>
    public async IAsyncEnumerable<(BlockHash Hash, DateTimeOffset WrittenAt)> ListInlineBlocksAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var after = Array.Empty<byte>();
        while (true)
        {
            var page = await ReadAsync(
                async (transaction, ct) =>
                {
                    using var command = transaction.Command(
                        "SELECT hash, written_at FROM inline_blocks WHERE hash > $after ORDER BY hash LIMIT $limit;",
                        ("$after", after), ("$limit", InlineBlocksPerPage));
                    return await command.ReadAllAsync(reader => (Digest: reader.GetFieldValue<byte[]>(0), WrittenAt: reader.GetUnixMs(1)), ct);
                },
                cancellationToken);
            foreach (var (digest, writtenAt) in page)
            {
                yield return (BlockHash.FromDigest(digest), writtenAt);
            }

            if (page.Count < InlineBlocksPerPage)
            {
                yield break;
            }

            after = page[^1].Digest;
        }
    }
}
