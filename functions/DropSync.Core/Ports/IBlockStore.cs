using DropSync.Core.Content;

namespace DropSync.Core.Ports;

/// <summary>
/// Where block bytes live (embedded: encrypted files on local disk; AWS: S3). Blocks are immutable and named by the
/// SHA-256 of their plaintext.
/// Contract:
/// <list type="bullet">
/// <item><see cref="PutAsync"/> verifies that the bytes hash to the name and throws <c>block_hash_mismatch</c> otherwise, storing nothing;
/// putting a block that exists is a no-op; a reader never sees a partly written block.</item>
/// <item><see cref="ReadAsync"/> returns the exact plaintext, verified against its name; throws <c>block_not_found</c>
/// for an unknown block and <c>block_corrupt</c> if the stored bytes fail verification.</item>
/// <item><see cref="DeleteAsync"/> of an absent block is a no-op.</item>
/// <item>A put of a whole pooled <see cref="BlockBuffer"/>'s block may seal it in place (the embedded store does): after
/// the put, successful or not, the buffer's bytes are undefined, so the caller reads them before.</item>
/// </list>
/// </summary>
public interface IBlockStore
{
    Task PutAsync(BlockHash hash, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken);

    /// <summary>
    /// Stores a block the server itself named from these very bytes a moment ago (a media upload hashes each block as it
    /// arrives), so a store may skip hashing them a second time; otherwise as <see cref="PutAsync"/>, which is what a store
    /// that does not override this does.
    /// </summary>
    Task PutHashedAsync(BlockHash hash, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken) =>
        PutAsync(hash, plaintext, cancellationToken);

    /// <summary>
    /// <see cref="PutHashedAsync"/> in two steps: the returned task completes once <paramref name="plaintext"/> is no longer
    /// read (the caller may refill its buffer), with a task that completes when the block is durable or fails. The caller
    /// must await that second task before anything refers to the block. A store that does not override this finishes
    /// both at once.
    /// </summary>
    async Task<Task> BeginPutHashedAsync(BlockHash hash, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        await PutHashedAsync(hash, plaintext, cancellationToken);
        return Task.CompletedTask;
    }

    Task<bool> ExistsAsync(BlockHash hash, CancellationToken cancellationToken);

    /// <summary>Reads a whole block into a new buffer (blocks are at most 4 MiB).</summary>
    Task<byte[]> ReadAsync(BlockHash hash, CancellationToken cancellationToken);

    /// <summary>
    /// Reads a whole block into <paramref name="destination"/> (which must have room for it: 4 MiB always does) and returns
    /// its length, with the same checks as <see cref="ReadAsync(BlockHash, CancellationToken)"/>: for callers that reuse one
    /// buffer for block after block. A store that does not override this reads a new array and copies it.
    /// </summary>
    async Task<int> ReadIntoAsync(BlockHash hash, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var bytes = await ReadAsync(hash, cancellationToken);
        if (bytes.Length > destination.Length)
        {
            throw new ArgumentException($"The destination has room for {destination.Length} bytes; block {hash} is {bytes.Length}.", nameof(destination));
        }

        bytes.CopyTo(destination);
        return bytes.Length;
    }

    /// <summary>
    /// Reads many whole blocks, each with the checks of <see cref="ReadAsync(BlockHash, CancellationToken)"/>, keyed by
    /// name: for a batch download of many small files. A store may read them in a few queries (the embedded store's small
    /// blocks, from one snapshot); a store that does not override this reads them eight at a time.
    /// </summary>
    async Task<IReadOnlyDictionary<BlockHash, byte[]>> ReadManyAsync(IReadOnlyCollection<BlockHash> hashes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        var blocks = new System.Collections.Concurrent.ConcurrentDictionary<BlockHash, byte[]>();
        await Parallel.ForEachAsync(
            hashes.Distinct(),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (hash, ct) => blocks[hash] = await ReadAsync(hash, ct));
        return blocks;
    }

    Task DeleteAsync(BlockHash hash, CancellationToken cancellationToken);

    /// <summary>Every stored block with when it was written; used to sweep blocks the index never heard of.</summary>
    IAsyncEnumerable<(BlockHash Hash, DateTimeOffset WrittenAt)> ListAsync(CancellationToken cancellationToken);
}
