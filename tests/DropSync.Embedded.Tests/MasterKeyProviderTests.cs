using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Embedded.Blocks;
using DropSync.Embedded.Keys;

namespace DropSync.Embedded.Tests;

public sealed class MasterKeyProviderTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "dropsync-tests", Guid.NewGuid().ToString("N"));

    private string DataFolder => Path.Combine(_root, "data");

    private string KeysFolder => Path.Combine(_root, "config", "keys");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void First_start_generates_a_key_outside_the_data_folder_and_records_only_its_id()
    {
        using var key = Provider().GetOrCreate();

        var keyFile = Path.Combine(KeysFolder, key.KeyId + ".key");
        Assert.True(File.Exists(keyFile));
        Assert.Equal(key.ToBase64(), File.ReadAllText(keyFile).Trim());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        }

        var dataFiles = Directory.GetFiles(DataFolder, "*", SearchOption.AllDirectories);
        Assert.Equal([Path.Combine(DataFolder, MasterKeyProvider.KeyIdFileName)], dataFiles);
        Assert.Equal(key.KeyId, File.ReadAllText(dataFiles[0]).Trim());
        Assert.Matches("^[0-9a-f]{16}$", key.KeyId);
        Assert.DoesNotContain(key.ToBase64(), key.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Later_starts_load_the_same_key()
    {
        using var first = Provider().GetOrCreate();

        using var second = Provider().GetOrCreate();

        Assert.Equal(first.KeyId, second.KeyId);
        Assert.True(first.Bytes.SequenceEqual(second.Bytes));
        Assert.Single(Directory.GetFiles(KeysFolder));
    }

    [Fact]
    public void A_missing_key_file_is_a_clear_error_naming_the_file_and_how_to_supply_the_key()
    {
        string keyId;
        using (var key = Provider().GetOrCreate())
        {
            keyId = key.KeyId;
        }

        var keyFile = Path.Combine(KeysFolder, keyId + ".key");
        File.Delete(keyFile);

        var error = Assert.Throws<DropSyncException>(() => Provider().GetOrCreate());

        Assert.Equal("master_key_missing", error.Code);
        Assert.Contains(keyFile, error.Message, StringComparison.Ordinal);
        Assert.Contains(keyId, error.Message, StringComparison.Ordinal);
        Assert.Contains("DropSync:MasterKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_explicit_key_that_differs_from_the_recorded_one_is_refused()
    {
        using var recorded = Provider().GetOrCreate();
        using var other = MasterKey.Generate();

        var error = Assert.Throws<DropSyncException>(() => Provider(other.ToBase64()).GetOrCreate());

        Assert.Equal("master_key_mismatch", error.Code);
        Assert.Contains(recorded.KeyId, error.Message, StringComparison.Ordinal);
        Assert.Contains(other.KeyId, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(other.ToBase64(), error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(recorded.ToBase64(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_explicit_key_is_used_as_given_recorded_by_id_and_never_written_to_a_file()
    {
        using var given = MasterKey.Generate();

        using var first = Provider(given.ToBase64()).GetOrCreate();
        using var again = Provider(given.ToBase64()).GetOrCreate();

        Assert.True(given.Bytes.SequenceEqual(first.Bytes));
        Assert.True(given.Bytes.SequenceEqual(again.Bytes));
        Assert.Equal(given.KeyId, File.ReadAllText(Path.Combine(DataFolder, MasterKeyProvider.KeyIdFileName)).Trim());
        Assert.False(Directory.Exists(KeysFolder));
    }

    [Fact]
    public void An_explicit_key_can_stand_in_for_a_lost_key_file()
    {
        string base64;
        using (var key = Provider().GetOrCreate())
        {
            base64 = key.ToBase64();
            File.Delete(Path.Combine(KeysFolder, key.KeyId + ".key"));
        }

        using var loaded = Provider(base64).GetOrCreate();

        Assert.Equal(base64, loaded.ToBase64());
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("AAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void A_malformed_explicit_key_is_refused_without_echoing_it(string value)
    {
        var error = Assert.Throws<DropSyncException>(() => Provider(value).GetOrCreate());

        Assert.Equal("master_key_invalid", error.Code);
        Assert.DoesNotContain(value, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_keys_folder_inside_the_data_folder_is_refused()
    {
        var provider = new MasterKeyProvider(DataFolder, new MasterKeyOptions { KeysFolder = Path.Combine(DataFolder, "keys") });

        var error = Assert.Throws<DropSyncException>(provider.GetOrCreate);

        Assert.Equal("master_key_folder_invalid", error.Code);
        Assert.False(Directory.Exists(Path.Combine(DataFolder, "keys")));
    }

    [Fact]
    public void No_key_is_generated_for_a_data_folder_that_already_holds_blocks()
    {
        var blockFolder = Path.Combine(DataFolder, "blocks", "ab", "cd");
        Directory.CreateDirectory(blockFolder);
        File.WriteAllText(Path.Combine(blockFolder, new string('a', 64)), "x");

        var error = Assert.Throws<DropSyncException>(() => Provider().GetOrCreate());

        Assert.Equal("master_key_missing", error.Code);
        Assert.False(Directory.Exists(KeysFolder));
    }

    [Fact]
    public async Task Blocks_written_on_first_start_read_back_after_a_restart()
    {
        var data = new byte[100_000];
        Random.Shared.NextBytes(data);
        var hash = BlockHash.Of(data);
        using (var key = Provider().GetOrCreate())
        using (var store = new EncryptedDiskBlockStore(Path.Combine(DataFolder, "blocks"), key))
        {
            await store.PutAsync(hash, data, CancellationToken.None);
        }

        using var reloaded = Provider().GetOrCreate();
        using var reopened = new EncryptedDiskBlockStore(Path.Combine(DataFolder, "blocks"), reloaded);

        var read = await reopened.ReadAsync(hash, CancellationToken.None);
        Assert.True(data.AsSpan().SequenceEqual(read));
    }

    private MasterKeyProvider Provider(string? explicitKey = null) =>
        new(DataFolder, new MasterKeyOptions { MasterKey = explicitKey, KeysFolder = KeysFolder });
}
