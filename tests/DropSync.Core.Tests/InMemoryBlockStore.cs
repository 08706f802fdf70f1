using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Ports;

namespace DropSync.Core.Tests;

/// <summary>
/// A dictionary of blocks for unit tests of code that reads them. Unlike a real store it does not verify what it
/// returns, so tests can plant bad bytes under a block's name.
/// </summary>
internal sealed class InMemoryBlockStore : IBlockStore
{
    private readonly Dictionary<BlockHash, byte[]> _blocks = [];

    public int Reads { get; private set; }

    /// <summary>Stores <paramref name="bytes"/> under <paramref name="hash"/> whether or not they match it.</summary>
    public void Plant(BlockHash hash, byte[] bytes) => _blocks[hash] = (byte[])bytes.Clone();

    public Task PutAsync(BlockHash hash, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        if (BlockHash.Of(plaintext.Span) != hash)
        {
            throw Errors.Errors.BadRequest("block_hash_mismatch", "The bytes do not hash to the block's name.");
        }

        _blocks.TryAdd(hash, plaintext.ToArray());
        return Task.CompletedTask;
    }

    public Task<bool> ExistsAsync(BlockHash hash, CancellationToken cancellationToken) => Task.FromResult(_blocks.ContainsKey(hash));

    public Task<byte[]> ReadAsync(BlockHash hash, CancellationToken cancellationToken)
    {
        Reads++;
        return _blocks.TryGetValue(hash, out var bytes)
            ? Task.FromResult((byte[])bytes.Clone())
            : throw Errors.Errors.NotFound("block_not_found", $"No block {hash}.");
    }

    /// <summary>The largest destination <see cref="ReadIntoAsync"/> was given: how big the reader's buffer was.</summary>
    public int LargestDestination { get; private set; }

    public async Task<int> ReadIntoAsync(BlockHash hash, Memory<byte> destination, CancellationToken cancellationToken)
    {
        LargestDestination = Math.Max(LargestDestination, destination.Length);
        var bytes = await ReadAsync(hash, cancellationToken);
        if (bytes.Length > destination.Length)
        {
            throw new ArgumentException($"The destination has room for {destination.Length} bytes; block {hash} is {bytes.Length}.", nameof(destination));
        }

        bytes.CopyTo(destination);
        return bytes.Length;
    }

    public Task DeleteAsync(BlockHash hash, CancellationToken cancellationToken)
    {
        _blocks.Remove(hash);
        return Task.CompletedTask;
    }

    public IAsyncEnumerable<(BlockHash Hash, DateTimeOffset WrittenAt)> ListAsync(CancellationToken cancellationToken) =>
        throw new NotSupportedException("Not needed by these tests.");
}
