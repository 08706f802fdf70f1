using DropSync.Core.Model;
using DropSync.Core.Ports;
using Xunit;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Contracts;

/// <summary>Shared links: found by token hash, listed and revoked by their owner only, found below a path, moved with their item.</summary>
public abstract partial class SharingStoreContract
{
    [Fact]
    public async Task A_link_is_found_by_its_token_hash_with_every_field_revoked_or_expired_alike()
    {
        var (sharing, _) = await CreateStoresAsync();
        var full = NewLink("alice", At(1)) with { ExpiresAt = At(-5), PasswordHash = "pbkdf2$salt$hash", RevokedAt = At(2) };
        var plain = NewLink("alice", At(3));

        await sharing.CreateLinkAsync(full, None);
        await sharing.CreateLinkAsync(plain, None);

        Assert.Equal(full, await sharing.FindLinkByTokenHashAsync(full.TokenHash, None));
        Assert.Equal(plain, await sharing.FindLinkByTokenHashAsync(plain.TokenHash, None));
        Assert.Null(await sharing.FindLinkByTokenHashAsync(new string('0', 64), None));
    }

    [Fact]
    public async Task An_owner_lists_only_their_own_links_newest_first()
    {
        var (sharing, _) = await CreateStoresAsync();
        var older = NewLink("alice", At(1));
        var newest = NewLink("alice", At(9));
        var middle = NewLink("alice", At(5)) with { RevokedAt = At(6) };
        var bobs = NewLink("bob", At(7));

        foreach (var link in new[] { middle, bobs, older, newest })
        {
            await sharing.CreateLinkAsync(link, None);
        }

        Assert.Equal([newest, middle, older], await sharing.ListLinksAsync("u_alice", None));
        Assert.Equal([bobs], await sharing.ListLinksAsync("u_bob", None));
        Assert.Empty(await sharing.ListLinksAsync("u_nobody", None));
    }

    [Fact]
    public async Task Revoking_keeps_the_first_time_and_another_owner_cannot_revoke()
    {
        var (sharing, _) = await CreateStoresAsync();
        var link = NewLink("alice", At(1));
        await sharing.CreateLinkAsync(link, None);

        Assert.False(await sharing.RevokeLinkAsync("u_mallory", link.LinkId, At(5), None));
        Assert.False(await sharing.RevokeLinkAsync("u_alice", "lnk_unknown", At(5), None));
        Assert.Null((await sharing.FindLinkByTokenHashAsync(link.TokenHash, None))?.RevokedAt);
        Assert.Empty(await sharing.ListLinksAsync("u_mallory", None));

        Assert.True(await sharing.RevokeLinkAsync("u_alice", link.LinkId, At(10), None));
        Assert.True(await sharing.RevokeLinkAsync("u_alice", link.LinkId, At(20), None));

        Assert.Equal(link with { RevokedAt = At(10) }, await sharing.FindLinkByTokenHashAsync(link.TokenHash, None));
        Assert.Equal([link with { RevokedAt = At(10) }], await sharing.ListLinksAsync("u_alice", None));
    }

    [Fact]
    public async Task Links_at_or_below_a_path_are_found_by_key_in_that_namespace_only()
    {
        var (sharing, _) = await CreateStoresAsync();
        var ns = Namespaces.RootOf("u_alice");
        var folder = NewLink("alice", At(1)) with { Path = "/Docs" };
        var inside = NewLink("alice", At(2)) with { Path = "/Docs/Sub/Report ü.pdf", RevokedAt = At(3) };
        var bobs = NewLink("bob", At(4)) with { NamespaceId = ns, Path = "/docs/plan.txt" };
        var sibling = NewLink("alice", At(5)) with { Path = "/Docs copy/a.txt" };
        var prefix = NewLink("alice", At(6)) with { Path = "/Docsx" };
        var above = NewLink("alice", At(7)) with { Path = "/" + "Top.txt" };
        var elsewhere = NewLink("carol", At(8)) with { Path = "/Docs/a.txt" };
        foreach (var link in new[] { folder, inside, bobs, sibling, prefix, above, elsewhere })
        {
            await sharing.CreateLinkAsync(link, None);
        }

        Assert.Equal(
            new[] { folder, inside, bobs }.OrderBy(l => l.LinkId, StringComparer.Ordinal),
            (await sharing.ListLinksAtOrBelowAsync(ns, "/docs", None)).OrderBy(l => l.LinkId, StringComparer.Ordinal));
        Assert.Equal([inside], await sharing.ListLinksAtOrBelowAsync(ns, KeyOf("/Docs/Sub/Report ü.pdf"), None));
        Assert.Equal([inside], await sharing.ListLinksAtOrBelowAsync(ns, "/docs/sub", None));
        Assert.Empty(await sharing.ListLinksAtOrBelowAsync(ns, "/docs/sub/report", None));
        Assert.Empty(await sharing.ListLinksAtOrBelowAsync(NewNamespace(), "/docs", None));
    }

    [Fact]
    public async Task A_moved_link_is_found_at_its_new_place_by_every_read_and_keeps_its_other_fields()
    {
        var (sharing, files) = await CreateStoresAsync();
        var ns = Namespaces.RootOf("u_alice");
        var link = NewLink("alice", At(1)) with { Path = "/Docs/Report.pdf", ExpiresAt = At(1000), PasswordHash = "pbkdf2$salt$hash" };
        var revoked = NewLink("alice", At(2)) with { Path = "/Docs/Old.pdf", RevokedAt = At(3) };
        await sharing.CreateLinkAsync(link, None);
        await sharing.CreateLinkAsync(revoked, None);
        var change = Append(File(ns, "/Archive/Report.pdf"), ChangeKind.Moved);

        var result = await files.ApplyAsync(
            [new MetadataWrite.MoveLink(link, ns, "/Archive/Report.pdf", "/Archive/Report.pdf"), change, new MetadataWrite.MoveLink(revoked, ns, "/Archive/Old.pdf", "/Archive/Old.pdf")],
            None);

        Assert.True(result.Applied);
        var moved = link with { Path = "/Archive/Report.pdf", OwnerViewPath = "/Archive/Report.pdf" };
        var movedRevoked = revoked with { Path = "/Archive/Old.pdf", OwnerViewPath = "/Archive/Old.pdf" };
        Assert.Equal(moved, await sharing.FindLinkByTokenHashAsync(link.TokenHash, None));
        Assert.Equal(movedRevoked, await sharing.FindLinkByTokenHashAsync(revoked.TokenHash, None));
        Assert.Equal([movedRevoked, moved], await sharing.ListLinksAsync("u_alice", None));
        Assert.Empty(await sharing.ListLinksAtOrBelowAsync(ns, "/docs", None));
        Assert.Equal(
            new[] { moved, movedRevoked }.OrderBy(l => l.LinkId, StringComparer.Ordinal),
            (await sharing.ListLinksAtOrBelowAsync(ns, "/archive", None)).OrderBy(l => l.LinkId, StringComparer.Ordinal));
        Assert.Equal(1, await files.GetLatestSequenceAsync(ns, None));

        // Revoking after the move reaches the moved link wherever it is read from.
        Assert.True(await sharing.RevokeLinkAsync("u_alice", link.LinkId, At(50), None));
        Assert.Equal(moved with { RevokedAt = At(50) }, await sharing.FindLinkByTokenHashAsync(link.TokenHash, None));
        Assert.Equal([movedRevoked, moved with { RevokedAt = At(50) }], await sharing.ListLinksAsync("u_alice", None));
    }

    [Fact]
    public async Task A_link_moves_into_another_namespace_and_a_case_only_rename_keeps_it_findable()
    {
        var (sharing, files) = await CreateStoresAsync();
        var ns = Namespaces.RootOf("u_alice");
        var other = NewNamespace();
        var leaving = NewLink("alice", At(1)) with { Path = "/Docs/a.txt" };
        var renamed = NewLink("alice", At(2)) with { Path = "/Docs/b.txt" };
        await sharing.CreateLinkAsync(leaving, None);
        await sharing.CreateLinkAsync(renamed, None);

        await files.MustApplyAsync(
            new MetadataWrite.MoveLink(leaving, other, "/Team/a.txt", "/Team/a.txt"),
            new MetadataWrite.MoveLink(renamed, ns, "/Docs/B.TXT", "/Docs/B.TXT"));

        Assert.Equal(leaving with { NamespaceId = other, Path = "/Team/a.txt", OwnerViewPath = "/Team/a.txt" }, await sharing.FindLinkByTokenHashAsync(leaving.TokenHash, None));
        Assert.Equal([leaving with { NamespaceId = other, Path = "/Team/a.txt", OwnerViewPath = "/Team/a.txt" }], await sharing.ListLinksAtOrBelowAsync(other, "/team", None));
        Assert.Equal([renamed with { Path = "/Docs/B.TXT", OwnerViewPath = "/Docs/B.TXT" }], await sharing.ListLinksAtOrBelowAsync(ns, "/docs", None));
        Assert.Equal("/Docs/B.TXT", (await sharing.FindLinkByTokenHashAsync(renamed.TokenHash, None))?.Path);
    }

    [Fact]
    public async Task Moving_a_link_that_is_no_longer_where_it_was_read_fails_the_batch_and_changes_nothing()
    {
        var (sharing, files) = await CreateStoresAsync();
        var ns = Namespaces.RootOf("u_alice");
        var link = NewLink("alice", At(1)) with { Path = "/Docs/a.txt" };
        var bystander = NewLink("alice", At(2)) with { Path = "/Docs/b.txt" };
        await sharing.CreateLinkAsync(link, None);
        await sharing.CreateLinkAsync(bystander, None);
        await files.MustApplyAsync(new MetadataWrite.MoveLink(link, ns, "/Elsewhere/a.txt", "/Elsewhere/a.txt"));

        var stale = await files.ApplyAsync(
            [
                new MetadataWrite.MoveLink(bystander, ns, "/Archive/b.txt", "/Archive/b.txt"),
                Append(File(ns, "/Archive/a.txt"), ChangeKind.Moved),
                new MetadataWrite.MoveLink(link, ns, "/Archive/a.txt", "/Archive/a.txt"),
            ],
            None);
        var unknown = await files.ApplyAsync(
            [new MetadataWrite.MoveLink(NewLink("alice", At(3)) with { Path = "/Docs/b.txt" }, ns, "/x.txt", "/x.txt")], None);

        Assert.False(stale.Applied);
        Assert.Equal(2, stale.FailedWriteIndex);
        Assert.False(unknown.Applied);
        Assert.Equal(0, unknown.FailedWriteIndex);
        Assert.Equal("/Elsewhere/a.txt", (await sharing.FindLinkByTokenHashAsync(link.TokenHash, None))?.Path);
        Assert.Equal(bystander, await sharing.FindLinkByTokenHashAsync(bystander.TokenHash, None));
        Assert.Equal([bystander], await sharing.ListLinksAtOrBelowAsync(ns, "/docs", None));
        Assert.Equal(0, await files.GetLatestSequenceAsync(ns, None));
    }

    private static SharedLink NewLink(string owner, DateTimeOffset createdAt)
    {
        var ns = Namespaces.RootOf("u_" + owner);
        return new SharedLink
        {
            LinkId = "lnk_" + Guid.NewGuid().ToString("N"),
            TokenHash = Core.Accounts.Ids.Sha256Hex(Guid.NewGuid().ToString()),
            OwnerUserId = "u_" + owner,
            NamespaceId = ns,
            Path = "/Docs/Report ü.pdf",
            OwnerViewPath = "/Docs/Report ü.pdf",
            CreatedAt = createdAt,
        };
    }
}
