using System.Security.Cryptography;
using System.Text;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Ports;
using DropSync.Embedded.Blocks;
using DropSync.Embedded.Keys;

namespace DropSync.Embedded.Tests;

/// <summary>
/// Blocks sealed and opened in place in a pooled <see cref="BlockBuffer"/> (the server's transfers): the files must be
/// the same as those sealed through the store's own buffer, each readable by the other path, and still verified.
/// </summary>
public sealed class InPlaceBlockBufferTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "dropsync-tests", Guid.NewGuid().ToString("N"));
    private readonly MasterKey _key = MasterKey.Generate();

    public static TheoryData<bool, int> SizesAndIoModes()
    {
        var data = new TheoryData<bool, int>();
        foreach (var direct in new[] { true, false })
        {
            foreach (var size in new[] { 0, 17, BlockBuffer.Alignment - BlockBuffer.HeaderRoom, BlockBuffer.Alignment - BlockBuffer.HeaderRoom + 1, 1_000_003, Limits.MaxBlockSize })
            {
                data.Add(direct, size);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SizesAndIoModes))]
    public async Task A_block_sealed_in_its_buffer_reads_back_through_a_new_array_and_a_file_written_from_an_array_opens_in_a_buffer(bool directIo, int size)
    {
        using var store = new EncryptedDiskBlockStore(Path.Combine(_root, "blocks"), _key, directIo: directIo);
        var sealedInPlace = RandomNumberGenerator.GetBytes(size);
        var fromArray = RandomNumberGenerator.GetBytes(size);
        var buffer = BlockBuffers.Rent();
        try
        {
            sealedInPlace.CopyTo(buffer.Memory);
            await store.PutAsync(BlockHash.Of(sealedInPlace), buffer.Memory[..size], None);
            Assert.Equal(EncryptedDiskBlockStore.HeaderSize + size, new FileInfo(store.PathOf(BlockHash.Of(sealedInPlace))).Length);
            var readBack = await store.ReadAsync(BlockHash.Of(sealedInPlace), None);
            Assert.True(sealedInPlace.AsSpan().SequenceEqual(readBack));

            await store.PutAsync(BlockHash.Of(fromArray), fromArray, None);
            buffer.Memory.Span.Fill(0xAB);
            var length = await store.ReadIntoAsync(BlockHash.Of(fromArray), buffer.Memory, None);
            Assert.Equal(size, length);
            Assert.True(fromArray.AsSpan().SequenceEqual(buffer.Memory.Span[..length]));

            // And a block sealed in place opens in place too.
            Assert.Equal(size, await store.ReadIntoAsync(BlockHash.Of(sealedInPlace), buffer.Memory, None));
            Assert.True(sealedInPlace.AsSpan().SequenceEqual(buffer.Memory.Span[..size]));
        }
        finally
        {
            BlockBuffers.Return(buffer);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_compressible_block_in_a_buffer_is_stored_compressed_and_opens_in_its_buffer(bool directIo)
    {
        using var store = new EncryptedDiskBlockStore(Path.Combine(_root, "blocks"), _key, directIo: directIo);
        var line = Encoding.UTF8.GetBytes("A compressible block goes through the store's buffer; zstd cannot write over its input. ");
        var data = new byte[Limits.MaxBlockSize];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = line[i % line.Length];
        }

        var hash = BlockHash.Of(data);
        var buffer = BlockBuffers.Rent();
        try
        {
            data.CopyTo(buffer.Memory);
            await store.PutAsync(hash, buffer.Memory, None);
            Assert.True(new FileInfo(store.PathOf(hash)).Length < data.Length / 2);

            buffer.Memory.Span.Clear();
            Assert.Equal(data.Length, await store.ReadIntoAsync(hash, buffer.Memory, None));
            Assert.True(data.AsSpan().SequenceEqual(buffer.Memory.Span));
        }
        finally
        {
            BlockBuffers.Return(buffer);
        }
    }

    [Fact]
    public async Task A_damaged_file_read_into_a_buffer_is_reported_corrupt()
    {
        using var store = new EncryptedDiskBlockStore(Path.Combine(_root, "blocks"), _key);
        var data = RandomNumberGenerator.GetBytes(Limits.MaxBlockSize);
        var hash = BlockHash.Of(data);
        await store.PutAsync(hash, data, None);
        var path = store.PathOf(hash);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[EncryptedDiskBlockStore.HeaderSize + 12345] ^= 0x01;
        await File.WriteAllBytesAsync(path, bytes);

        var buffer = BlockBuffers.Rent();
        try
        {
            var error = await Assert.ThrowsAsync<DropSyncException>(() => store.ReadIntoAsync(hash, buffer.Memory, None));
            Assert.Equal(ErrorCodes.BlockCorrupt, error.Code);
        }
        finally
        {
            BlockBuffers.Return(buffer);
        }
    }

    [Fact]
    public async Task Bytes_in_a_buffer_that_do_not_hash_to_the_name_are_refused_and_nothing_is_stored()
    {
        using var store = new EncryptedDiskBlockStore(Path.Combine(_root, "blocks"), _key);
        var data = RandomNumberGenerator.GetBytes(Limits.MaxBlockSize);
        var claimed = BlockHash.Of(RandomNumberGenerator.GetBytes(16));
        var buffer = BlockBuffers.Rent();
        try
        {
            data.CopyTo(buffer.Memory);
            var error = await Assert.ThrowsAsync<DropSyncException>(() => store.PutAsync(claimed, buffer.Memory, None));
            Assert.Equal(ErrorCodes.BlockHashMismatch, error.Code);
            Assert.False(await ((IBlockStore)store).ExistsAsync(claimed, None));
        }
        finally
        {
            BlockBuffers.Return(buffer);
        }
    }

    public void Dispose()
    {
        _key.Dispose();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
