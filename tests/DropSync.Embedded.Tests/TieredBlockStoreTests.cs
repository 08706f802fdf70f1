using System.Security.Cryptography;
using DropSync.Contracts;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Ports;
using DropSync.Embedded.Blocks;
using DropSync.Embedded.Keys;
using DropSync.Embedded.Metadata;
using DropSync.Embedded.Tests.Metadata;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Tests;

/// <summary>The embedded store as the server runs it: small blocks sealed in the metadata database, large ones as files.</summary>
public sealed class TieredBlockStoreTests : BlockStoreContract, IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "dropsync-tests", Guid.NewGuid().ToString("N"));
    private readonly MasterKey _key = MasterKey.Generate();
    private readonly TempMetadataDatabase _database = new();
    private SqliteMetadataStore? _metadata;
    private TieredBlockStore? _store;

    private string BlocksFolder => Path.Combine(_root, "blocks");

    private SqliteMetadataStore Metadata => _metadata ??= _database.Open();

    private TieredBlockStore Store => _store ??= new TieredBlockStore(new EncryptedDiskBlockStore(BlocksFolder, _key), Metadata, TimeProvider.System);

    protected override Task<IBlockStore> CreateStoreAsync() => Task.FromResult<IBlockStore>(Store);

    /// <summary>Flips one bit in the middle of the sealed ciphertext, in the database row or in the file.</summary>
    protected override async Task CorruptAsync(BlockHash hash)
    {
        var path = Store.Files.PathOf(hash);
        if (File.Exists(path))
        {
            var bytes = await File.ReadAllBytesAsync(path);
            Flip(bytes);
            await File.WriteAllBytesAsync(path, bytes);
            return;
        }

        using var connection = OpenDatabase();
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT sealed FROM inline_blocks WHERE hash = $hash;";
        read.Parameters.AddWithValue("$hash", hash.ToBytes());
        var sealedBlock = (byte[])read.ExecuteScalar()!;
        Flip(sealedBlock);
        using var write = connection.CreateCommand();
        write.CommandText = "UPDATE inline_blocks SET sealed = $sealed WHERE hash = $hash;";
        write.Parameters.AddWithValue("$sealed", sealedBlock);
        write.Parameters.AddWithValue("$hash", hash.ToBytes());
        Assert.Equal(1, write.ExecuteNonQuery());
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(TieredBlockStore.MaxInlineSize, true)]
    [InlineData(TieredBlockStore.MaxInlineSize + 1, false)]
    public async Task Small_blocks_go_to_the_database_sealed_and_large_ones_to_files(int size, bool inline)
    {
        var data = RandomNumberGenerator.GetBytes(size);
        var hash = BlockHash.Of(data);

        await Store.PutAsync(hash, data, None);

        Assert.Equal(!inline, File.Exists(Store.Files.PathOf(hash)));
        var sealedBlock = await Metadata.ReadInlineBlockAsync(hash, None);
        Assert.Equal(inline, sealedBlock is not null);
        if (sealedBlock is not null)
        {
            // Encrypted at rest: the row is the block file's format, and the plaintext's first 16 bytes (where there
            // are that many: a shorter run can turn up in random ciphertext by chance) appear nowhere in it.
            Assert.Equal("DSB1"u8.ToArray(), sealedBlock[..4]);
            Assert.Equal(size + EncryptedDiskBlockStore.HeaderSize, sealedBlock.Length);
            if (size >= 16)
            {
                Assert.Equal(-1, sealedBlock.AsSpan().IndexOf(data.AsSpan(0, 16)));
            }
        }

        Assert.Equal(data, await Store.ReadAsync(hash, None));
    }

    [Fact]
    public async Task A_small_block_and_its_index_record_are_one_write_transaction()
    {
        var data = RandomNumberGenerator.GetBytes(1024);
        var hash = BlockHash.Of(data);
        var before = Metadata.CommittedWriteTransactions;

        await Store.PutAndRecordAsync("u_a", hash, data, hashedHere: false, DateTimeOffset.UtcNow, None);

        Assert.Equal(before + 1, Metadata.CommittedWriteTransactions);
        Assert.Equal(1024, (await Metadata.FindHeldAsync("u_a", [hash], None))[hash]);
        Assert.Equal(data, await Store.ReadAsync(hash, None));
    }

    [Fact]
    public async Task Bytes_that_do_not_hash_to_the_name_are_neither_stored_nor_recorded()
    {
        var data = RandomNumberGenerator.GetBytes(1024);
        var hash = BlockHash.Of(RandomNumberGenerator.GetBytes(1024));

        var error = await Assert.ThrowsAsync<DropSyncException>(() => Store.PutAndRecordAsync("u_a", hash, data, hashedHere: false, DateTimeOffset.UtcNow, None));

        Assert.Equal(ErrorCodes.BlockHashMismatch, error.Code);
        Assert.False(await Store.ExistsAsync(hash, None));
        Assert.Empty(await Metadata.FindHeldAsync("u_a", [hash], None));
    }

    [Fact]
    public async Task A_small_block_stored_as_a_file_by_an_earlier_server_is_read_recorded_and_deleted_as_a_file()
    {
        var data = RandomNumberGenerator.GetBytes(2000);
        var hash = BlockHash.Of(data);
        await Store.Files.PutAsync(hash, data, None);

        await Store.PutAndRecordAsync("u_a", hash, data, hashedHere: true, DateTimeOffset.UtcNow, None);

        Assert.Null(await Metadata.ReadInlineBlockAsync(hash, None));
        Assert.Equal(2000, (await Metadata.FindHeldAsync("u_a", [hash], None))[hash]);
        Assert.Equal(data, await Store.ReadAsync(hash, None));
        Assert.Equal(data, (await Store.ReadManyAsync([hash], None))[hash]);
        await Store.DeleteAsync(hash, None);
        Assert.False(await Store.ExistsAsync(hash, None));
    }

    [Fact]
    public async Task Inline_blocks_survive_closing_and_reopening_the_database()
    {
        var data = RandomNumberGenerator.GetBytes(3000);
        var hash = BlockHash.Of(data);
        await Store.PutAsync(hash, data, None);
        Store.Dispose();
        _store = null;
        await Metadata.DisposeAsync();
        _metadata = null;

        Assert.Equal(data, await Store.ReadAsync(hash, None));
    }

    public void Dispose()
    {
        _store?.Dispose();
        _database.Dispose();
        _key.Dispose();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static void Flip(byte[] sealedBlock) =>
        sealedBlock[EncryptedDiskBlockStore.HeaderSize + ((sealedBlock.Length - EncryptedDiskBlockStore.HeaderSize) / 2)] ^= 0x10;

    private SqliteConnection OpenDatabase()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _database.DatabasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }
}
