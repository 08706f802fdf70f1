using DropSync.Core.Content;
using DropSync.Core.Model;

namespace DropSync.Core.Ports;

/// <summary>
/// Which blocks are stored, which users have proved they hold them, and which can be collected.
/// Contract:
/// <list type="bullet">
/// <item>A user is only told a block is present (and so may skip uploading it) once that user uploaded it: dedup never
/// lets one user reach another's content by naming its hash.</item>
/// <item>A block referenced by any revision, or by an upload session that has not expired, is never a collection candidate.</item>
/// <item><see cref="TryForgetAsync"/> re-checks that rule atomically, so a block referenced meanwhile is kept.</item>
/// </list>
/// </summary>
public interface IBlockIndex
{
    /// <summary>Records that <paramref name="userId"/> stored this block (after its bytes are durably in the block store).</summary>
    Task RecordAsync(string userId, BlockHash hash, int size, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>The subset of <paramref name="hashes"/> this user holds, with their stored sizes.</summary>
    Task<IReadOnlyDictionary<BlockHash, int>> FindHeldAsync(string userId, IReadOnlyCollection<BlockHash> hashes, CancellationToken cancellationToken);

    /// <summary>Stored blocks recorded before <paramref name="storedBefore"/> that nothing references now.</summary>
    Task<IReadOnlyList<StoredBlock>> ListUnreferencedAsync(DateTimeOffset storedBefore, DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>Whether any block index record exists for the hash (for sweeping block-store files the index never recorded).</summary>
    Task<bool> IsKnownAsync(BlockHash hash, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the block's records if it is still unreferenced and was last recorded before <paramref name="now"/> (the
    /// time the caller took before listing candidates, so a block re-uploaded since is kept for the commit that will
    /// reference it); true if removed, and the caller then deletes the bytes.
    /// </summary>
    Task<bool> TryForgetAsync(BlockHash hash, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Called after the bytes of a block <see cref="TryForgetAsync"/> gave up are deleted: an index that keeps a
    /// tombstone while the bytes go (so no upload of the same block can land between the index forgetting it and the
    /// bytes being deleted) removes it now. By default there is none.
    /// </summary>
    Task CompleteForgetAsync(BlockHash hash, CancellationToken cancellationToken) => Task.CompletedTask;
}
