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
}
