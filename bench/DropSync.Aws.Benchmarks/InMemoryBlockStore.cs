using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Ports;

namespace DropSync.Aws.Benchmarks;

/// <summary>
/// Block bytes in memory, standing in for S3: the benchmark measures DynamoDB, and a block PUT to S3 costs the same
/// whatever the metadata design. Verifies names like the real stores.
/// </summary>
internal sealed class InMemoryBlockStore : IBlockStore
{
    private readonly ConcurrentDictionary<BlockHash, (byte[] Bytes, DateTimeOffset WrittenAt)> _blocks = new();

    public Task PutAsync(BlockHash hash, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        if (BlockHash.Of(plaintext.Span) != hash)
        {
            throw new DropSyncException(ErrorKind.BadRequest, "block_hash_mismatch", $"The bytes do not hash to {hash}.");
        }

        _blocks.TryAdd(hash, (plaintext.ToArray(), DateTimeOffset.UtcNow));
        return Task.CompletedTask;
    }

    public Task<bool> ExistsAsync(BlockHash hash, CancellationToken cancellationToken) => Task.FromResult(_blocks.ContainsKey(hash));

    public Task<byte[]> ReadAsync(BlockHash hash, CancellationToken cancellationToken) =>
        _blocks.TryGetValue(hash, out var block)
            ? Task.FromResult(block.Bytes.ToArray())
            : throw new DropSyncException(ErrorKind.NotFound, "block_not_found", $"Block {hash} is not stored.");

    public Task DeleteAsync(BlockHash hash, CancellationToken cancellationToken)
    {
        _blocks.TryRemove(hash, out _);
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<(BlockHash Hash, DateTimeOffset WrittenAt)> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var (hash, block) in _blocks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return (hash, block.WrittenAt);
        }

        await Task.CompletedTask;
    }
}
