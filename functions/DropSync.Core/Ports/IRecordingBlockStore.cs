using DropSync.Core.Content;

namespace DropSync.Core.Ports;

/// <summary>
/// A block store that keeps some blocks (the small ones) in the same database as the block index, so storing such a block
/// and recording it in the index is one durable write instead of two. <see cref="Blocks.BlockService"/> uses it where a
/// store offers it; the bytes are verified and encrypted exactly as <see cref="IBlockStore.PutAsync"/> would.
/// </summary>
public interface IRecordingBlockStore
{
    /// <summary>Whether a block of <paramref name="length"/> bytes is stored and recorded together by <see cref="PutAndRecordAsync"/>.</summary>
    bool StoresWithRecord(int length);

    /// <summary>
    /// Stores the block (as <see cref="IBlockStore.PutAsync"/>, or without hashing again when <paramref name="hashedHere"/>:
    /// see <see cref="IBlockStore.PutHashedAsync"/>) and records it for <paramref name="userId"/> as
    /// <see cref="IBlockIndex.RecordAsync"/> would; answers once both are durable, and neither is kept without the other.
    /// </summary>
    Task PutAndRecordAsync(string userId, BlockHash hash, ReadOnlyMemory<byte> plaintext, bool hashedHere, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Verifies (unless <paramref name="hashedHere"/>) and seals a block for <see cref="PutRecordAndApplyAsync"/>, so that a
    /// small upload's block and the file commit that references it are one durable write; null when this block cannot go
    /// that way (too large, or already stored outside the database), and is then stored with <see cref="PutAndRecordAsync"/>
    /// or <see cref="IBlockStore.PutAsync"/>. Nothing is stored yet.
    /// </summary>
    SealedBlock? SealForCommit(string userId, BlockHash hash, ReadOnlyMemory<byte> plaintext, bool hashedHere, DateTimeOffset at) => null;

    /// <summary>
    /// In one durable write: stores and records the sealed block (kept whatever becomes of the batch), then applies
    /// <paramref name="writes"/> exactly as <see cref="IFileMetadataStore.ApplyAsync"/> would (all-or-nothing, its
    /// expectations checked). An empty batch stores the block alone.
    /// </summary>
    Task<BatchResult> PutRecordAndApplyAsync(SealedBlock block, IReadOnlyList<MetadataWrite> writes, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This block store seals no blocks for commits.");

    /// <summary>
    /// In one durable write: stores and records every sealed block (kept whatever becomes of the batches: other uploads may
    /// reference them), then applies each of <paramref name="batches"/> as <see cref="IFileMetadataStore.ApplyEachAsync"/>
    /// would (each all-or-nothing, its expectations checked, in order). All of it is durable when this returns; if it
    /// throws, none of it is. A batch upload of many small files thus costs one write, not one per block.
    /// </summary>
    Task<IReadOnlyList<BatchResult>> PutRecordAndApplyEachAsync(
        IReadOnlyList<SealedBlock> blocks, IReadOnlyList<IReadOnlyList<MetadataWrite>> batches, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This block store seals no blocks for commits.");
}

/// <summary>
/// A block sealed by its store (verified, compressed where it pays, encrypted: opaque bytes here), not yet stored, with
/// the index record to write beside it: <paramref name="UserId"/> stored <paramref name="Size"/> plaintext bytes at <paramref name="At"/>.
/// </summary>
public sealed record SealedBlock(BlockHash Hash, int Size, byte[] Sealed, string UserId, DateTimeOffset At);
