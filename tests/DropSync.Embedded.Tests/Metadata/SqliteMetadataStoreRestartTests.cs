using DropSync.Contracts;
using DropSync.Core.Model;
using DropSync.Core.Ports;
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
    public async Task Shares_links_notifications_and_the_journal_counter_survive_a_reopen()
    {
        var ns = NewNamespace();
        var share = new Share { ShareId = "sh_a", OwnerUserId = "u_a", NamespaceId = ns, FolderPath = "/Project", CreatedAt = At(1) };
        var member = new ShareMember { ShareId = "sh_a", UserId = "u_b", Email = "b@example.com", Role = ShareRole.Editor, MountPath = "/Project", AddedAt = At(2) };
        var link = new SharedLink
        {
            LinkId = "lnk_a",
            TokenHash = "th",
            OwnerUserId = "u_a",
            NamespaceId = ns,
            Path = "/Project",
            OwnerViewPath = "/Project",
            CreatedAt = At(3),
        };
        var notification = new Notification
        {
            NotificationId = "n_a",
            UserId = "u_b",
            Kind = "shared",
            Path = "/Project",
            ActorEmail = "a@example.com",
            ActorDeviceId = "dev_a",
            Time = At(4),
        };

        await using (var store = _database.Open())
        {
            await store.MustApplyAsync(new MetadataWrite.PutShare(share, true), new MetadataWrite.PutMember(member), Append(Folder(ns, "/Project")), Append(File(ns, "/Project/a")));
            await store.CreateLinkAsync(link, None);
            await store.AddAsync([notification], None);
            await store.CompactJournalAsync(ns, 2, None);
        }

        await using var reopened = _database.Open();

        Assert.Equal([new Membership(share, member)], await reopened.ListMembershipsAsync("u_b", None));
        Assert.Equal(link, await reopened.FindLinkByTokenHashAsync("th", None));
        Assert.Equal([notification], await reopened.ListAsync("u_b", null, 10, None));
        Assert.Equal(2, await reopened.GetCompactedThroughAsync(ns, None));
        Assert.Equal(2, await reopened.GetLatestSequenceAsync(ns, None));
        Assert.Equal(3, (await reopened.MustApplyAsync(Append(File(ns, "/b")))).Changes[0].Sequence);
    }

    [Fact]
    public async Task Upgrading_a_version_1_database_carries_each_journals_latest_sequence_over()
    {
        var nsA = NewNamespace();
        var nsB = NewNamespace();
        await using (var store = _database.Open())
        {
            await store.MustApplyAsync(Append(File(nsA, "/1")), Append(File(nsA, "/2")), Append(File(nsA, "/3")), Append(File(nsB, "/x")));
        }

        // Back to version 1: the tables of later steps go (app passwords and dead properties are step 3's), the version-1 journal stays.
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _database.DatabasePath, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                DROP INDEX entries_by_retention_due; ALTER TABLE entries DROP COLUMN retention_due; ALTER TABLE devices DROP COLUMN last_used_at;
                DROP TABLE journal_state; DROP TABLE share_members; DROP TABLE shares; DROP TABLE shared_links; DROP TABLE notifications;
                DROP TABLE app_passwords; DROP TABLE dav_properties; DROP TABLE share_invitations; DROP TABLE inline_blocks; ALTER TABLE upload_sessions DROP COLUMN aborted_at;
                PRAGMA user_version = 1;
                """;
            command.ExecuteNonQuery();
        }

        await using var upgraded = _database.Open();

        Assert.Equal(3, await upgraded.GetLatestSequenceAsync(nsA, None));
        Assert.Equal(1, await upgraded.GetLatestSequenceAsync(nsB, None));
        Assert.Equal(0, await upgraded.GetCompactedThroughAsync(nsA, None));
        Assert.Equal(4, (await upgraded.MustApplyAsync(Append(File(nsA, "/4")))).Changes[0].Sequence);
        Assert.Equal(2, (await upgraded.MustApplyAsync(Append(File(nsB, "/y")))).Changes[0].Sequence);
        Assert.Equal(4, (await upgraded.ReadJournalAsync(nsA, 0, 10, None)).Count);
    }

    [Fact]
    public async Task Upgrading_a_version_2_database_indexes_existing_links_by_path_key_so_they_follow_moves()
    {
        var ns = NewNamespace();
        var link = new SharedLink
        {
            LinkId = "lnk_old",
            TokenHash = new string('a', 64),
            OwnerUserId = "u_alice",
            NamespaceId = ns,
            Path = "/Café/Ünïcode Report.PDF",
            OwnerViewPath = "/Café/Ünïcode Report.PDF",
            CreatedAt = At(1),
        };
        await using (var store = _database.Open())
        {
            await store.CreateLinkAsync(link, None);
        }

        // Back to version 2: a links table without path keys (and no step-3 tables), as a released build left it.
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _database.DatabasePath, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                DROP INDEX entries_by_retention_due; ALTER TABLE entries DROP COLUMN retention_due; ALTER TABLE devices DROP COLUMN last_used_at;
                DROP INDEX shared_links_by_path; ALTER TABLE shared_links DROP COLUMN path_key;
                DROP TABLE app_passwords; DROP TABLE dav_properties; DROP TABLE share_invitations; DROP TABLE inline_blocks; ALTER TABLE upload_sessions DROP COLUMN aborted_at;
                PRAGMA user_version = 2;
                """;
            command.ExecuteNonQuery();
        }

        await using var upgraded = _database.Open();

        // The key folds non-ASCII letters too (SQLite's lower() would not have).
        Assert.Equal([link], await upgraded.ListLinksAtOrBelowAsync(ns, "/café", None));
        Assert.Equal([link], await upgraded.ListLinksAtOrBelowAsync(ns, "/café/ünïcode report.pdf", None));
        await upgraded.MustApplyAsync(new MetadataWrite.MoveLink(link, ns, "/Archive/Ünïcode Report.PDF", "/Archive/Ünïcode Report.PDF"));
        Assert.Equal("/Archive/Ünïcode Report.PDF", (await upgraded.FindLinkByTokenHashAsync(link.TokenHash, None))?.Path);
        Assert.Empty(await upgraded.ListLinksAtOrBelowAsync(ns, "/café", None));
    }

    [Fact]
    public async Task Upgrading_a_version_3_database_makes_existing_history_due_for_the_retention_policy()
    {
        var ns = NewNamespace();
        var file = File(ns, "/old.txt", at: At(5));
        await using (var store = _database.Open())
        {
            await store.MustApplyAsync(CreateFile(file));
            await store.MustApplyAsync(Put(Folder(ns, "/dir")));
        }

        // Back to version 3: entries without a retention due time (and without step 3's app-password and WebDAV tables),
        // as a released build left them.
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _database.DatabasePath, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                DROP INDEX entries_by_retention_due; ALTER TABLE entries DROP COLUMN retention_due; ALTER TABLE devices DROP COLUMN last_used_at;
                DROP TABLE app_passwords; DROP TABLE dav_properties; DROP TABLE share_invitations; DROP TABLE inline_blocks; ALTER TABLE upload_sessions DROP COLUMN aborted_at;
                PRAGMA user_version = 3;
                """;
            command.ExecuteNonQuery();
        }

        await using var upgraded = _database.Open();

        var due = Assert.Single(await upgraded.ListDueAsync(At(5), 10, None));
        Assert.Equal((file.Rev, 1), (due.Entry.Rev, due.Revisions.Count));
    }

    [Fact]
    public async Task Upgrading_a_version_5_database_adds_invitations_and_keeps_everything_else()
    {
        var ns = NewNamespace();
        var file = File(ns, "/kept.txt", at: At(5));
        await using (var store = _database.Open())
        {
            await store.MustApplyAsync(CreateFile(file));
        }

        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _database.DatabasePath, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "DROP TABLE share_invitations; DROP TABLE inline_blocks; ALTER TABLE devices DROP COLUMN last_used_at; ALTER TABLE upload_sessions DROP COLUMN aborted_at; PRAGMA user_version = 5;";
            command.ExecuteNonQuery();
        }

        await using var upgraded = _database.Open();
        var invitation = new Invitation { InvitationId = "inv_1", ShareId = "sh_1", Email = "bob@example.com", Role = ShareRole.Editor, CreatedAt = At(7) };

        Assert.Equal(invitation, await upgraded.PutInvitationAsync(invitation, None));
        Assert.Equal([invitation], await upgraded.ListInvitationsForEmailAsync("bob@example.com", None));
        Assert.Equal(file.Rev, (await upgraded.GetEntryAsync(ns, file.PathKey, None))?.Rev);
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
