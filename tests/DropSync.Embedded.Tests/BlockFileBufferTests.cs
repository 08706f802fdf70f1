using System.Security.Cryptography;
using System.Text;
using DropSync.Contracts;
using DropSync.Core.Content;
using DropSync.Core.Ports;
using DropSync.Embedded.Blocks;
using DropSync.Embedded.Keys;

namespace DropSync.Embedded.Tests;

/// <summary>The store's reused block-file buffers and direct I/O: edge cases of sizes, reuse and destinations.</summary>
public sealed class BlockFileBufferTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>What the store pads direct-I/O writes to.</summary>
    private const int DirectIoAlignment = 4096;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "dropsync-tests", Guid.NewGuid().ToString("N"));
    private readonly MasterKey _key = MasterKey.Generate();

    public static TheoryData<bool> IoModes => new() { true, false };

    /// <summary>One buffer for everything: each file must hold exactly its own block, never a previous block's tail.</summary>
    [Theory]
    [MemberData(nameof(IoModes))]
    public async Task One_reused_buffer_writes_files_of_exactly_their_length_and_reads_every_block_back(bool directIo)
    {
        using var store = new EncryptedDiskBlockStore(Path.Combine(_root, "blocks"), _key, maxConcurrency: 1, directIo);
        var blocks = new List<(byte[] Data, bool Raw)>
        {
            (RandomNumberGenerator.GetBytes(Limits.MaxBlockSize), true),
            (RandomNumberGenerator.GetBytes(17), true),
            (Text(Limits.MaxBlockSize - 1), false),
            (RandomNumberGenerator.GetBytes(DirectIoAlignment - EncryptedDiskBlockStore.HeaderSize), true),
            (RandomNumberGenerator.GetBytes(DirectIoAlignment - EncryptedDiskBlockStore.HeaderSize + 1), true),
            ([], true),
        };

        foreach (var (data, _) in blocks)
        {
            await store.PutAsync(BlockHash.Of(data), data, None);
        }

        foreach (var (data, raw) in blocks)
        {
            var hash = BlockHash.Of(data);
            var fileLength = new FileInfo(store.PathOf(hash)).Length;
            if (raw)
            {
                Assert.Equal(EncryptedDiskBlockStore.HeaderSize + data.Length, fileLength);
            }
            else
            {
                Assert.True(fileLength < data.Length / 2, $"a compressible block took {fileLength} bytes");
            }

            var read = await store.ReadAsync(hash, None);
            Assert.True(data.AsSpan().SequenceEqual(read));
        }
    }

    [Fact]
    public async Task ReadInto_fills_only_the_blocks_length_of_a_larger_destination()
    {
        using var store = new EncryptedDiskBlockStore(Path.Combine(_root, "blocks"), _key);
        var data = RandomNumberGenerator.GetBytes(100_000);
        await store.PutAsync(BlockHash.Of(data), data, None);
        var destination = new byte[Limits.MaxBlockSize];
        destination.AsSpan().Fill(0xAB);

        var length = await store.ReadIntoAsync(BlockHash.Of(data), destination, None);

        Assert.Equal(data.Length, length);
        Assert.True(data.AsSpan().SequenceEqual(destination.AsSpan(0, length)));
        Assert.All(destination[length..(length + 1000)], b => Assert.Equal(0xAB, b));
    }

    [Fact]
    public async Task ReadInto_a_destination_too_small_for_the_block_is_refused()
    {
        using var store = new EncryptedDiskBlockStore(Path.Combine(_root, "blocks"), _key);
        var data = RandomNumberGenerator.GetBytes(5000);
        await store.PutAsync(BlockHash.Of(data), data, None);

        await Assert.ThrowsAsync<ArgumentException>(() => store.ReadIntoAsync(BlockHash.Of(data), new byte[4999], None));
        Assert.Equal(data.Length, await store.ReadIntoAsync(BlockHash.Of(data), new byte[5000], None));
    }

    /// <summary>The media upload's path: the name was computed by the server, so the store does not hash again, and the block still verifies on read.</summary>
    [Fact]
    public async Task A_block_put_as_already_hashed_reads_back_verified()
    {
        using var store = new EncryptedDiskBlockStore(Path.Combine(_root, "blocks"), _key);
        var data = RandomNumberGenerator.GetBytes(300_000);
        var hash = BlockHash.Of(data);

        await ((IBlockStore)store).PutHashedAsync(hash, data, None);

        var read = await store.ReadAsync(hash, None);
        Assert.True(data.AsSpan().SequenceEqual(read));
    }

    public void Dispose()
    {
        _key.Dispose();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static byte[] Text(int size)
    {
        var line = Encoding.UTF8.GetBytes("Buffered or direct, every block file is exactly as long as its block. ");
        var block = new byte[size];
        for (var i = 0; i < size; i++)
        {
            block[i] = line[i % line.Length];
        }

        return block;
    }
}

/// <summary>The whole block-store contract again with buffered I/O, the path used where a file system refuses O_DIRECT.</summary>
public sealed class BufferedIoEncryptedDiskBlockStoreTests : BlockStoreContract, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "dropsync-tests", Guid.NewGuid().ToString("N"));
    private readonly MasterKey _key = MasterKey.Generate();
    private readonly List<EncryptedDiskBlockStore> _owned = [];

    protected override Task<IBlockStore> CreateStoreAsync() => Task.FromResult<IBlockStore>(Open());

    protected override async Task CorruptAsync(BlockHash hash)
    {
        var path = Open().PathOf(hash);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[EncryptedDiskBlockStore.HeaderSize + ((bytes.Length - EncryptedDiskBlockStore.HeaderSize) / 2)] ^= 0x10;
        await File.WriteAllBytesAsync(path, bytes);
    }

    public void Dispose()
    {
        foreach (var store in _owned)
        {
            store.Dispose();
        }

        _key.Dispose();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private EncryptedDiskBlockStore Open()
    {
        var store = new EncryptedDiskBlockStore(Path.Combine(_root, "blocks"), _key, directIo: false);
        Assert.False(store.UsesDirectIo);
        _owned.Add(store);
        return store;
    }
}
