using DropSync.Contracts;
using DropSync.Core.Model;
using DropSync.Embedded.Metadata;
using Microsoft.Data.Sqlite;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Embedded.Tests.Metadata;

/// <summary>What only the embedded store must do: keep everything committed across a close and reopen of its file.</summary>
public sealed class SqliteMetadataStoreRestartTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TempMetadataDatabase _database = new();

    [Fact]
    public async Task Everything_committed_is_there_after_closing_and_reopening()
    {
        var ns = NewNamespace();
        var file = File(ns, "/Docs/report.pdf");
        var block = Block("report");
        var account = new Account { UserId = "u_a", Email = "a@example.com", PasswordHash = "h", RootNamespaceId = ns, CreatedAt = At(0) };
        var device = new Device { DeviceId = "dev_a", UserId = "u_a", Name = "Laptop", TokenHash = "t", CreatedAt = At(1) };
        var session = new UploadSession
        {
            UploadId = "up_a",
            UserId = "u_a",
            DeviceId = "dev_a",
            NamespaceId = ns,
            PathDisplay = "/next.bin",
            Size = block.Size,
            Blocks = [block],
            Mode = WriteMode.Overwrite,
            CreatedAt = At(2),
            ExpiresAt = At(1000),
        };

        await using (var store = _database.Open())
        {
            await store.MustApplyAsync([Put(Folder(ns, "/Docs")), .. CreateFile(file, block)]);
            Assert.True(await store.TryCreateAccountAsync(account, None));
            await store.AddDeviceAsync(device, None);
            await store.RecordAsync("u_a", block.Hash, block.Size, At(3), None);
            await store.CreateAsync(session, None);
        }

        await using var reopened = _database.Open();

        Assert.Equal(file, await reopened.GetEntryAsync(ns, "/docs/report.pdf", None));
        Assert.Equal([block], (await reopened.GetRevisionAsync(ns, file.Rev, None))?.Blocks);
        Assert.Equal(1, await reopened.GetLatestSequenceAsync(ns, None));
        Assert.Equal(account, await reopened.FindAccountByEmailAsync("a@example.com", None));
        Assert.Equal(device, await reopened.FindDeviceByTokenHashAsync("t", None));
        Assert.Equal(block.Size, (await reopened.FindHeldAsync("u_a", [block.Hash], None))[block.Hash]);
        Assert.Equal([block], (await reopened.GetAsync("up_a", None))?.Blocks);
        var next = await reopened.MustApplyAsync(Append(file, ChangeKind.Edited));
        Assert.Equal(2, next.Changes[0].Sequence);
    }

    [Fact]
    public void A_database_from_a_newer_schema_is_refused()
    {
        _database.Open().Dispose();
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _database.DatabasePath, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 999;";
            command.ExecuteNonQuery();
        }

        var error = Assert.Throws<InvalidOperationException>(() => new SqliteMetadataStore(_database.DatabasePath));
        Assert.Contains("999", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _database.Dispose();
}
