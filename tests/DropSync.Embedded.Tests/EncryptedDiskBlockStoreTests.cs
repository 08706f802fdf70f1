using System.Text;
using DropSync.Contracts;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Ports;
using DropSync.Embedded.Blocks;
using DropSync.Embedded.Keys;

namespace DropSync.Embedded.Tests;

public sealed class EncryptedDiskBlockStoreTests : BlockStoreContract, IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "dropsync-tests", Guid.NewGuid().ToString("N"));
    private readonly MasterKey _key = MasterKey.Generate();
    private readonly List<IDisposable> _owned = [];

    private string BlocksFolder => Path.Combine(_root, "blocks");

    protected override Task<IBlockStore> CreateStoreAsync() => Task.FromResult<IBlockStore>(Open(_key));

    /// <summary>Flips one bit in the middle of the stored ciphertext.</summary>
    protected override async Task CorruptAsync(BlockHash hash)
    {
        var path = Open(_key).PathOf(hash);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[EncryptedDiskBlockStore.HeaderSize + ((bytes.Length - EncryptedDiskBlockStore.HeaderSize) / 2)] ^= 0x10;
        await File.WriteAllBytesAsync(path, bytes);
    }

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        _key.Dispose();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task Stored_files_do_not_contain_the_plaintext()
    {
        var store = Open(_key);
        var marker = "DROPSYNC-PLAINTEXT-MARKER-0123456789"u8.ToArray();
        var compressible = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 20_000).Select(i => $"DROPSYNC-PLAINTEXT-MARKER-0123456789 line {i}\n")));
        var random = RandomBytes(1_000_000);
        marker.CopyTo(random, 500_000);

        foreach (var data in new[] { compressible, random, marker })
        {
            var hash = BlockHash.Of(data);
            await store.PutAsync(hash, data, None);

            var file = await File.ReadAllBytesAsync(store.PathOf(hash));
            Assert.True(file.AsSpan().IndexOf(marker) < 0, "The plaintext is readable in the block file.");
            Assert.True(file.AsSpan().IndexOf(marker.AsSpan(0, 16)) < 0, "Part of the plaintext is readable in the block file.");
            AssertSameBytes(data, await store.ReadAsync(hash, None));
        }
    }

    [Fact]
    public async Task Compressible_blocks_take_less_disk_and_random_ones_barely_more()
    {
        var store = Open(_key);
        var text = CompressibleBytes(Limits.MaxBlockSize);
        var random = RandomBytes(Limits.MaxBlockSize);
        var textHash = BlockHash.Of(text);
        var randomHash = BlockHash.Of(random);

        await store.PutAsync(textHash, text, None);
        await store.PutAsync(randomHash, random, None);

        var textFile = new FileInfo(store.PathOf(textHash)).Length;
        var randomFile = new FileInfo(store.PathOf(randomHash)).Length;
        Assert.True(textFile < text.Length / 2, $"A compressible 4 MiB block took {textFile} bytes.");
        Assert.Equal(random.Length + EncryptedDiskBlockStore.HeaderSize, randomFile);
    }

    [Fact]
    public async Task A_block_whose_start_does_not_compress_is_stored_raw_and_reads_back()
    {
        var store = Open(_key);
        var data = RandomBytes(1_000_000);
        new byte[800_000].CopyTo(data, 200_000);
        var hash = BlockHash.Of(data);

        await store.PutAsync(hash, data, None);

        Assert.Equal(data.Length + EncryptedDiskBlockStore.HeaderSize, new FileInfo(store.PathOf(hash)).Length);
        AssertSameBytes(data, await store.ReadAsync(hash, None));
    }

    [Fact]
    public async Task A_store_with_another_master_key_refuses_to_read_and_says_which_key_is_needed()
    {
        var data = RandomBytes(10_000);
        var hash = BlockHash.Of(data);
        await Open(_key).PutAsync(hash, data, None);
        using var otherKey = MasterKey.Generate();

        var error = await Assert.ThrowsAsync<DropSyncException>(() => Open(otherKey).ReadAsync(hash, None));

        Assert.Equal("master_key_mismatch", error.Code);
        Assert.Contains(_key.KeyId, error.Message, StringComparison.Ordinal);
        Assert.Contains(otherKey.KeyId, error.Message, StringComparison.Ordinal);
        Assert.Contains("DropSync:MasterKey", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_key.ToBase64(), error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(otherKey.ToBase64(), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)] // magic
    [InlineData(4)] // version
    [InlineData(5)] // flags
    [InlineData(14)] // plaintext length
    [InlineData(20)] // wrap nonce
    [InlineData(40)] // wrapped data key
    [InlineData(70)] // wrap tag
    [InlineData(80)] // data nonce
    [InlineData(100)] // data tag
    public async Task A_flipped_header_bit_makes_the_block_corrupt(int offset)
    {
        var store = Open(_key);
        var data = CompressibleBytes(100_000);
        var hash = BlockHash.Of(data);
        await store.PutAsync(hash, data, None);
        var bytes = await File.ReadAllBytesAsync(store.PathOf(hash));
        bytes[offset] ^= 0x01;
        await File.WriteAllBytesAsync(store.PathOf(hash), bytes);

        var error = await Assert.ThrowsAsync<DropSyncException>(() => store.ReadAsync(hash, None));

        Assert.Equal("block_corrupt", error.Code);
    }

    [Fact]
    public async Task A_file_copied_to_another_blocks_name_makes_that_block_corrupt()
    {
        var store = Open(_key);
        var first = RandomBytes(5_000);
        var second = RandomBytes(5_000);
        await store.PutAsync(BlockHash.Of(first), first, None);
        await store.PutAsync(BlockHash.Of(second), second, None);

        File.Copy(store.PathOf(BlockHash.Of(first)), store.PathOf(BlockHash.Of(second)), overwrite: true);

        var error = await Assert.ThrowsAsync<DropSyncException>(() => store.ReadAsync(BlockHash.Of(second), None));
        Assert.Equal("block_corrupt", error.Code);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(50)]
    [InlineData(EncryptedDiskBlockStore.HeaderSize)]
    [InlineData(EncryptedDiskBlockStore.HeaderSize + 1000)]
    public async Task A_truncated_file_makes_the_block_corrupt(int keep)
    {
        var store = Open(_key);
        var data = RandomBytes(5_000);
        var hash = BlockHash.Of(data);
        await store.PutAsync(hash, data, None);
        using (var file = File.OpenWrite(store.PathOf(hash)))
        {
            file.SetLength(keep);
        }

        var error = await Assert.ThrowsAsync<DropSyncException>(() => store.ReadAsync(hash, None));

        Assert.Equal("block_corrupt", error.Code);
    }

    [Fact]
    public async Task Stale_temp_files_are_deleted_when_the_store_opens_and_puts_leave_none()
    {
        var store = Open(_key);
        var stale = Path.Combine(BlocksFolder, EncryptedDiskBlockStore.TempFolderName, "0123.tmp");
        await File.WriteAllBytesAsync(stale, RandomBytes(1000));

        var reopened = Open(_key);
        Assert.False(File.Exists(stale));

        var data = RandomBytes(1000);
        await reopened.PutAsync(BlockHash.Of(data), data, None);
        await Assert.ThrowsAsync<DropSyncException>(() => reopened.PutAsync(BlockHash.Of(RandomBytes(10)), data, None));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(BlocksFolder, EncryptedDiskBlockStore.TempFolderName)));
        Assert.True(await store.ExistsAsync(BlockHash.Of(data), None));
    }

    [Fact]
    public async Task List_skips_temp_files_and_files_that_are_not_blocks()
    {
        var store = Open(_key);
        var data = RandomBytes(1000);
        var hash = BlockHash.Of(data);
        await store.PutAsync(hash, data, None);
        var folder = Path.GetDirectoryName(store.PathOf(hash))!;
        var misplaced = new string('a', 64);
        await File.WriteAllTextAsync(Path.Combine(folder, "notes.txt"), "x");
        await File.WriteAllTextAsync(Path.Combine(folder, misplaced), "x");
        await File.WriteAllTextAsync(Path.Combine(folder, hash.Hex + ".bak"), "x");
        await File.WriteAllTextAsync(Path.Combine(BlocksFolder, EncryptedDiskBlockStore.TempFolderName, hash.Hex), "x");
        Directory.CreateDirectory(Path.Combine(BlocksFolder, "zz", "zz"));
        await File.WriteAllTextAsync(Path.Combine(BlocksFolder, "zz", "zz", misplaced), "x");

        var listed = await ListAsync(store);

        Assert.Equal([hash], listed.Select(b => b.Hash));
    }

    [Fact]
    public async Task A_begun_put_is_done_with_the_callers_bytes_before_its_flush_and_stores_exactly_them()
    {
        var store = Open(_key);
        var data = RandomBytes(1_000_000);
        var original = data.ToArray();
        var hash = BlockHash.Of(original);

        var flushed = await store.BeginPutHashedAsync(hash, data, None);
        Array.Fill(data, (byte)0x5A); // a media upload refills its buffer while the block is flushed
        await flushed;

        Assert.True(await store.ExistsAsync(hash, None));
        Assert.Equal(original, await store.ReadAsync(hash, None));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(BlocksFolder, EncryptedDiskBlockStore.TempFolderName)));
        Assert.Same(Task.CompletedTask, await store.BeginPutHashedAsync(hash, original, None)); // stored already: nothing to flush
    }

    [Fact]
    public async Task A_new_store_puts_each_block_file_in_one_of_256_folders()
    {
        var store = Open(_key);
        var data = RandomBytes(300_000);
        var hash = BlockHash.Of(data);

        await store.PutAsync(hash, data, None);

        Assert.Equal(Path.Combine(BlocksFolder, hash.Hex[..2], hash.Hex), store.PathOf(hash));
        Assert.True(File.Exists(store.PathOf(hash)));
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(BlocksFolder, hash.Hex[..2])));
    }

    /// <summary>
    /// Stores written before round 15 keep their files at &lt;hex[0..2]&gt;/&lt;hex[2..4]&gt;/&lt;hex&gt;: every operation
    /// still finds them, even one an earlier server put there after this store opened the folder empty (a downgrade and back).
    /// </summary>
    [Fact]
    public async Task Block_files_in_the_two_level_layout_of_earlier_versions_are_found_read_listed_and_deleted()
    {
        var store = Open(_key);
        var old = RandomBytes(300_000);
        var oldHash = BlockHash.Of(old);
        await Open(_key).PutAsync(oldHash, old, None);
        var twoLevel = Path.Combine(BlocksFolder, oldHash.Hex[..2], oldHash.Hex[2..4], oldHash.Hex);
        Directory.CreateDirectory(Path.GetDirectoryName(twoLevel)!);
        File.Move(store.PathOf(oldHash), twoLevel);

        var fresh = RandomBytes(300_000);
        var freshHash = BlockHash.Of(fresh);
        await store.PutAsync(freshHash, fresh, None);

        Assert.True(await store.ExistsAsync(oldHash, None));
        Assert.Equal(old, await store.ReadAsync(oldHash, None));
        var into = new byte[old.Length];
        Assert.Equal(old.Length, await store.ReadIntoAsync(oldHash, into, None));
        Assert.Equal(old, into);
        Assert.Equal(new[] { freshHash.Hex, oldHash.Hex }.Order(), (await ListAsync(store)).Select(b => b.Hash.Hex).Order());
        Assert.Same(Task.CompletedTask, await store.BeginPutHashedAsync(oldHash, old, None)); // stored already, where it was
        Assert.False(File.Exists(store.PathOf(oldHash)));

        await store.DeleteAsync(oldHash, None);

        Assert.False(File.Exists(twoLevel));
        Assert.False(await store.ExistsAsync(oldHash, None));
        Assert.Equal(fresh, await store.ReadAsync(freshHash, None));
    }

    /// <summary>The store remembers the block folders it made durable; one deleted behind its back must not lose a block.</summary>
    [Fact]
    public async Task A_block_folder_deleted_behind_the_store_is_created_again_and_the_block_stored_durably()
    {
        var (store, data, hash, _) = await StoreWhoseBlockFolderWasDeletedAsync();

        await store.PutAsync(hash, data, None);

        Assert.True(File.Exists(store.PathOf(hash)));
        Assert.Equal(data, await store.ReadAsync(hash, None));
        Assert.Equal(data, await Open(_key).ReadAsync(hash, None));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(BlocksFolder, EncryptedDiskBlockStore.TempFolderName)));
    }

    [Fact]
    public async Task A_block_folder_that_cannot_be_created_again_fails_the_put_and_stores_nothing()
    {
        var (store, data, hash, topFolder) = await StoreWhoseBlockFolderWasDeletedAsync();
        await File.WriteAllTextAsync(topFolder, "a file where the block folder was");

        await Assert.ThrowsAnyAsync<IOException>(() => store.PutAsync(hash, data, None));

        Assert.False(await store.ExistsAsync(hash, None));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(BlocksFolder, EncryptedDiskBlockStore.TempFolderName)));
    }

    [Fact]
    public async Task Blocks_larger_than_4_MiB_are_refused()
    {
        var store = Open(_key);
        var data = new byte[Limits.MaxBlockSize + 1];

        var error = await Assert.ThrowsAsync<DropSyncException>(() => store.PutAsync(BlockHash.Of(data), data, None));

        Assert.Equal("block_too_large", error.Code);
    }

    /// <summary>A store that put a block and then had that block's folder deleted behind its back (it still remembers the folder).</summary>
    private async Task<(EncryptedDiskBlockStore Store, byte[] Data, BlockHash Hash, string TopFolder)> StoreWhoseBlockFolderWasDeletedAsync()
    {
        var store = Open(_key);
        var data = RandomBytes(300_000);
        var hash = BlockHash.Of(data);
        await store.PutAsync(hash, data, None);
        var topFolder = Path.Combine(BlocksFolder, hash.Hex[..2]);
        Directory.Delete(topFolder, recursive: true);
        return (store, data, hash, topFolder);
    }

    private EncryptedDiskBlockStore Open(MasterKey key)
    {
        var store = new EncryptedDiskBlockStore(BlocksFolder, key);
        _owned.Add(store);
        return store;
    }
}
