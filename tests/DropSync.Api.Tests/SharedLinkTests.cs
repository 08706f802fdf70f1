using System.Net;
using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;
using static DropSync.Api.Tests.Infrastructure.Sharing;

namespace DropSync.Api.Tests;

/// <summary>Shared links: anyone with the URL reads the linked file or folder and nothing else, until expiry or revocation.</summary>
public sealed class SharedLinkTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    private static string TokenOf(JsonNode link) => new Uri(link["url"]!.GetValue<string>()).AbsolutePath["/s/".Length..];

    private async Task<(HttpStatusCode Status, byte[] Body)> GetAsync(string url, string? password = null)
    {
        using var anonymous = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (password is not null)
        {
            request.Headers.Add("DropSync-Link-Password", password);
        }

        using var response = await anonymous.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync());
    }

    private static JsonNode Json(byte[] body) => JsonNode.Parse(body)!;

    [Fact]
    public async Task A_file_link_shows_and_downloads_the_file_without_an_account()
    {
        var alice = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Private/report.pdf", Bytes("the report"));
        var link = await alice.OkAsync("/sharing/create_link", new { path = "/Private/report.pdf" });
        var token = TokenOf(link);

        var (status, meta) = await GetAsync($"/s/{token}");
        var download = await GetAsync($"/s/{token}/download");
        var byName = await GetAsync($"/s/{token}/download?path=/report.pdf");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("/report.pdf", Json(meta)["metadata"]!["path"]!.GetValue<string>());
        Assert.DoesNotContain("Private", System.Text.Encoding.UTF8.GetString(meta), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, download.Status);
        Assert.Equal(Bytes("the report"), download.Body);
        Assert.Equal(HttpStatusCode.OK, byName.Status);
        Assert.Equal("/Private/report.pdf", link["path"]!.GetValue<string>());
        Assert.False(link["has_password"]!.GetValue<bool>());
        Assert.Equal($"/link/{token}", new Uri(link["web_url"]!.GetValue<string>()).AbsolutePath);
        var page = await GetAsync(link["web_url"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("<html", System.Text.Encoding.UTF8.GetString(page.Body), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_folder_link_lists_and_downloads_inside_the_folder_and_nothing_outside_it()
    {
        var alice = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Trip/day1/beach.jpg", Bytes("beach"));
        await alice.UploadOkAsync("/Trip/notes.txt", Bytes("notes"));
        await alice.UploadOkAsync("/secret.txt", Bytes("secret"));
        await alice.UploadOkAsync("/Trip2/other.txt", Bytes("other"));
        var token = TokenOf(await alice.OkAsync("/sharing/create_link", new { path = "/Trip" }));

        var listing = Json((await GetAsync($"/s/{token}")).Body);
        var inside = await GetAsync($"/s/{token}/download?path=/Trip/day1/beach.jpg");
        var folder = await GetAsync($"/s/{token}/download?path=/Trip");

        Assert.Equal(["/Trip/day1", "/Trip/day1/beach.jpg", "/Trip/notes.txt"], Paths(listing));
        Assert.Equal(Bytes("beach"), inside.Body);
        Assert.Equal(HttpStatusCode.Conflict, folder.Status);
        foreach (var escape in new[]
                 {
                     "/Trip/../secret.txt", "/../secret.txt", "/secret.txt", "/Trip2/other.txt", "/Trip/%2e%2e/secret.txt", "..%2Fsecret.txt",
                     "/Trip/missing.txt", "/Trip/day1/..", "/Trip\\..\\secret.txt",
                 })
        {
            var (status, body) = await GetAsync($"/s/{token}/download?path={escape}");
            Assert.True(status is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{escape}: {status}");
            Assert.NotEqual(Bytes("secret"), body);
            Assert.NotEqual(Bytes("other"), body);
        }
    }

    [Fact]
    public async Task A_link_to_a_nested_folder_shows_paths_from_the_linked_folder_and_no_owner_internals()
    {
        var alice = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Work/Clients/Docs/notes.txt", Bytes("notes"));
        await alice.UploadOkAsync("/Work/Clients/Docs/sub/plan.txt", Bytes("plan"));
        var token = TokenOf(await alice.OkAsync("/sharing/create_link", new { path = "/Work/Clients/Docs" }));
        var fileToken = TokenOf(await alice.OkAsync("/sharing/create_link", new { path = "/Work/Clients/Docs/notes.txt" }));

        var (_, listingBody) = await GetAsync($"/s/{token}");
        var (_, fileBody) = await GetAsync($"/s/{fileToken}");
        using var anonymous = factory.CreateClient();
        using var download = await anonymous.GetAsync($"/s/{token}/download?path=/Docs/sub/plan.txt");
        var downloadResult = download.Headers.GetValues("DropSync-API-Result").Single();

        var listing = Json(listingBody);
        Assert.Equal("/Docs", listing["metadata"]!["path"]!.GetValue<string>());
        Assert.Equal(["/Docs/notes.txt", "/Docs/sub", "/Docs/sub/plan.txt"], Paths(listing).Order(StringComparer.Ordinal));
        Assert.Equal("/Docs/sub/plan.txt", JsonNode.Parse(downloadResult)!["path"]!.GetValue<string>());
        Assert.Equal("/notes.txt", Json(fileBody)["metadata"]!["path"]!.GetValue<string>());
        // Nothing above the linked item, and nothing about the owner's devices or revision history.
        foreach (var answer in new[] { System.Text.Encoding.UTF8.GetString(listingBody), System.Text.Encoding.UTF8.GetString(fileBody), downloadResult })
        {
            Assert.DoesNotContain("Work", answer, StringComparison.Ordinal);
            Assert.DoesNotContain("Clients", answer, StringComparison.Ordinal);
            Assert.DoesNotContain("device_id", answer, StringComparison.Ordinal);
            Assert.DoesNotContain(alice.DeviceId!, answer, StringComparison.Ordinal);
            Assert.DoesNotContain("\"rev\"", answer, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_wrong_link_password_is_told_apart_from_a_missing_one()
    {
        var alice = await factory.SignUpAsync();
        await alice.UploadOkAsync("/doc.txt", Bytes("doc"));
        var token = TokenOf(await alice.OkAsync("/sharing/create_link", new { path = "/doc.txt", password = "open sesame" }));

        var missing = Json((await GetAsync($"/s/{token}")).Body);
        var wrong = Json((await GetAsync($"/s/{token}", "nope")).Body);

        Assert.Equal("link_password_required", missing["error"]!.GetValue<string>());
        Assert.Contains("needs a password", missing["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("wrong_link_password", wrong["error"]!.GetValue<string>());
        Assert.Contains("wrong", wrong["message"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("needs a password", wrong["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Passwords_expiry_and_revocation_are_enforced()
    {
        var alice = await factory.SignUpAsync();
        await alice.UploadOkAsync("/doc.txt", Bytes("doc"));
        var locked = await alice.OkAsync("/sharing/create_link", new { path = "/doc.txt", password = "open sesame" });
        var expiring = await alice.OkAsync("/sharing/create_link", new { path = "/doc.txt", expires = factory.Clock.GetUtcNow().AddHours(1) });
        var revoked = await alice.OkAsync("/sharing/create_link", new { path = "/doc.txt" });

        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync($"/s/{TokenOf(locked)}")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync($"/s/{TokenOf(locked)}/download", "wrong")).Status);
        Assert.Equal(Bytes("doc"), (await GetAsync($"/s/{TokenOf(locked)}/download", "open sesame")).Body);
        Assert.True(locked["has_password"]!.GetValue<bool>());

        Assert.Equal(HttpStatusCode.OK, (await GetAsync($"/s/{TokenOf(expiring)}")).Status);
        factory.Clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(HttpStatusCode.Gone, (await GetAsync($"/s/{TokenOf(expiring)}")).Status);
        Assert.Equal(HttpStatusCode.Gone, (await GetAsync($"/s/{TokenOf(expiring)}/download")).Status);

        Assert.Equal(HttpStatusCode.OK, (await GetAsync($"/s/{TokenOf(revoked)}")).Status);
        await alice.OkAsync("/sharing/revoke_link", new { link_id = revoked["link_id"]!.GetValue<string>() });
        Assert.Equal(HttpStatusCode.Gone, (await GetAsync($"/s/{TokenOf(revoked)}")).Status);
        Assert.Equal(HttpStatusCode.Gone, (await GetAsync($"/s/{TokenOf(revoked)}/download")).Status);

        var listed = (await alice.OkAsync("/sharing/list_links", null))["links"]!.AsArray();
        Assert.Equal(3, listed.Count);
        Assert.NotNull(listed.Single(l => l!["link_id"]!.GetValue<string>() == revoked["link_id"]!.GetValue<string>())!["revoked_at"]);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("/s/not-a-real-token")).Status);
        Status(HttpStatusCode.BadRequest, await alice.PostAsync("/sharing/create_link", new { path = "/doc.txt", expires = factory.Clock.GetUtcNow().AddMinutes(-1) }), "invalid_expiry");
        Status(HttpStatusCode.NotFound, await alice.PostAsync("/sharing/create_link", new { path = "/nothing.txt" }));
    }

    [Fact]
    public async Task Another_user_cannot_revoke_or_list_someone_elses_links()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        await alice.UploadOkAsync("/doc.txt", Bytes("doc"));
        var link = await alice.OkAsync("/sharing/create_link", new { path = "/doc.txt" });

        Status(HttpStatusCode.NotFound, await bob.PostAsync("/sharing/revoke_link", new { link_id = link["link_id"]!.GetValue<string>() }), "link_not_found");
        Assert.Empty((await bob.OkAsync("/sharing/list_links", null))["links"]!.AsArray());
        Assert.Equal(HttpStatusCode.OK, (await GetAsync($"/s/{TokenOf(link)}")).Status);
    }

    [Fact]
    public async Task A_link_a_member_made_stops_working_when_the_member_loses_access()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Shared/plan.txt", Bytes("plan"));
        await ShareAsync(alice, "/Shared", bob, "editor");
        var link = await bob.OkAsync("/sharing/create_link", new { path = "/Shared/plan.txt" });
        Assert.Equal(Bytes("plan"), (await GetAsync($"/s/{TokenOf(link)}/download")).Body);

        await alice.OkAsync("/sharing/remove_member", new { path = "/Shared", email = bob.Email });

        var after = await GetAsync($"/s/{TokenOf(link)}/download");
        Assert.NotEqual(HttpStatusCode.OK, after.Status);
        Assert.NotEqual(Bytes("plan"), after.Body);
    }

    private static async Task<JsonNode> LinkAsync(ApiClient owner, string linkId) =>
        (await owner.OkAsync("/sharing/list_links", null))["links"]!.AsArray().Single(l => l!["link_id"]!.GetValue<string>() == linkId)!;

    [Fact]
    public async Task A_file_link_follows_renames_of_the_file_and_a_copy_does_not_take_it()
    {
        var alice = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Docs/report.pdf", Bytes("the report"));
        var link = await alice.OkAsync("/sharing/create_link", new { path = "/Docs/report.pdf" });
        var token = TokenOf(link);

        await alice.OkAsync("/files/move", new { from_path = "/Docs/report.pdf", to_path = "/Docs/Final report.pdf" });
        var renamed = await GetAsync($"/s/{token}");
        await alice.OkAsync("/files/move", new { from_path = "/Docs/Final report.pdf", to_path = "/Docs/FINAL REPORT.pdf" });
        await alice.OkAsync("/files/copy", new { from_path = "/Docs/FINAL REPORT.pdf", to_path = "/Docs/copy.pdf" });
        await alice.UploadOkAsync("/Docs/copy.pdf", Bytes("the copy, edited"), mode: "overwrite");

        Assert.Equal(HttpStatusCode.OK, renamed.Status);
        Assert.Equal("/Final report.pdf", Json(renamed.Body)["metadata"]!["path"]!.GetValue<string>());
        var (_, meta) = await GetAsync($"/s/{token}");
        Assert.Equal("/FINAL REPORT.pdf", Json(meta)["metadata"]!["path"]!.GetValue<string>());
        Assert.Equal(Bytes("the report"), (await GetAsync($"/s/{token}/download")).Body);
        Assert.Equal("/Docs/FINAL REPORT.pdf", (await LinkAsync(alice, link["link_id"]!.GetValue<string>()))["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_link_follows_a_move_of_a_folder_above_it_and_list_links_shows_where_it_is_now()
    {
        var alice = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Work/Clients/plan.txt", Bytes("plan"));
        var link = await alice.OkAsync("/sharing/create_link", new { path = "/Work/Clients/plan.txt" });

        await alice.OkAsync("/files/move", new { from_path = "/Work", to_path = "/Archive/2024/Work" });

        Assert.Equal(Bytes("plan"), (await GetAsync($"/s/{TokenOf(link)}/download")).Body);
        Assert.Equal("/Archive/2024/Work/Clients/plan.txt", (await LinkAsync(alice, link["link_id"]!.GetValue<string>()))["path"]!.GetValue<string>());

        // A new file at the old path is not what the link pointed to: the link stays with the moved file.
        await alice.UploadOkAsync("/Work/Clients/plan.txt", Bytes("an impostor"));
        Assert.Equal(Bytes("plan"), (await GetAsync($"/s/{TokenOf(link)}/download")).Body);
    }

    [Fact]
    public async Task A_folder_link_follows_a_rename_of_the_folder_and_answers_404_once_the_folder_is_deleted()
    {
        var alice = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Trip/day1/beach.jpg", Bytes("beach"));
        await alice.UploadOkAsync("/Trip/notes.txt", Bytes("notes"));
        var folderToken = TokenOf(await alice.OkAsync("/sharing/create_link", new { path = "/Trip" }));
        var fileToken = TokenOf(await alice.OkAsync("/sharing/create_link", new { path = "/Trip/day1/beach.jpg" }));

        await alice.OkAsync("/files/move", new { from_path = "/Trip", to_path = "/Trip 2024" });

        var listing = Json((await GetAsync($"/s/{folderToken}")).Body);
        Assert.Equal("/Trip 2024", listing["metadata"]!["path"]!.GetValue<string>());
        Assert.Equal(["/Trip 2024/day1", "/Trip 2024/day1/beach.jpg", "/Trip 2024/notes.txt"], Paths(listing));
        Assert.Equal(Bytes("beach"), (await GetAsync($"/s/{folderToken}/download?path=/Trip 2024/day1/beach.jpg")).Body);
        Assert.Equal(Bytes("beach"), (await GetAsync($"/s/{fileToken}/download")).Body);

        await alice.OkAsync("/files/delete", new { path = "/Trip 2024" });

        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"/s/{folderToken}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"/s/{fileToken}/download")).Status);
    }

    [Fact]
    public async Task A_members_link_follows_moves_by_the_owner_and_by_other_editors_and_is_listed_through_the_members_mount()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        var carol = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Shared/plan.txt", Bytes("plan"));
        await ShareAsync(alice, "/Shared", bob, "editor");
        await ShareAsync(alice, "/Shared", carol, "editor");
        var link = await bob.OkAsync("/sharing/create_link", new { path = "/Shared/plan.txt" });
        var linkId = link["link_id"]!.GetValue<string>();

        // The owner renames the shared folder (bob's mount keeps its name), then another editor moves the file in it.
        await alice.OkAsync("/files/move", new { from_path = "/Shared", to_path = "/Team" });
        await carol.OkAsync("/files/move", new { from_path = "/Shared/plan.txt", to_path = "/Shared/2024/plan.txt" });

        Assert.Equal(Bytes("plan"), (await GetAsync($"/s/{TokenOf(link)}/download")).Body);
        Assert.Equal("/Shared/2024/plan.txt", (await LinkAsync(bob, linkId))["path"]!.GetValue<string>());

        // Bob renames his mount: his list follows it.
        await bob.OkAsync("/files/move", new { from_path = "/Shared", to_path = "/From Alice" });
        Assert.Equal("/From Alice/2024/plan.txt", (await LinkAsync(bob, linkId))["path"]!.GetValue<string>());
        Assert.Equal(Bytes("plan"), (await GetAsync($"/s/{TokenOf(link)}/download")).Body);
    }

    [Fact]
    public async Task A_link_follows_its_item_into_another_namespace_and_ends_clearly_when_its_creator_cannot_see_it_there()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        await bob.UploadOkAsync("/Team/bobs.txt", Bytes("bob's"));
        await ShareAsync(bob, "/Team", alice, "editor");
        await alice.UploadOkAsync("/mine.txt", Bytes("alice's"));
        var alicesLink = await alice.OkAsync("/sharing/create_link", new { path = "/mine.txt" });
        var bobsLink = await bob.OkAsync("/sharing/create_link", new { path = "/Team/bobs.txt" });

        // Alice moves her file into bob's folder (still hers to share as an editor there), and bob's file out of it into
        // her own files (no longer bob's).
        await alice.OkAsync("/files/move", new { from_path = "/mine.txt", to_path = "/Team/mine.txt" });
        await alice.OkAsync("/files/move", new { from_path = "/Team/bobs.txt", to_path = "/taken.txt" });

        Assert.Equal(Bytes("alice's"), (await GetAsync($"/s/{TokenOf(alicesLink)}/download")).Body);
        Assert.Equal("/Team/mine.txt", (await LinkAsync(alice, alicesLink["link_id"]!.GetValue<string>()))["path"]!.GetValue<string>());
        var (bobsStatus, bobsBody) = await GetAsync($"/s/{TokenOf(bobsLink)}/download");
        Assert.Equal(HttpStatusCode.Gone, bobsStatus);
        Assert.Contains("no longer has access", Json(bobsBody)["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotEqual(Bytes("bob's"), bobsBody);

        // Alice's link now lives in bob's folder: it ends when she loses access to it.
        await bob.OkAsync("/sharing/remove_member", new { path = "/Team", email = alice.Email });
        Assert.Equal(HttpStatusCode.Gone, (await GetAsync($"/s/{TokenOf(alicesLink)}/download")).Status);
    }

    [Fact]
    public async Task An_item_has_at_most_ten_working_links_so_each_move_stays_one_atomic_batch()
    {
        var alice = await factory.SignUpAsync();
        await alice.UploadOkAsync("/popular.txt", Bytes("popular"));
        var links = new List<JsonNode>();
        for (var i = 0; i < 10; i++)
        {
            links.Add(await alice.OkAsync("/sharing/create_link", new { path = "/popular.txt" }));
        }

        Status(HttpStatusCode.Conflict, await alice.PostAsync("/sharing/create_link", new { path = "/POPULAR.txt" }), "too_many_links");
        await alice.OkAsync("/sharing/revoke_link", new { link_id = links[0]["link_id"]!.GetValue<string>() });
        links.Add(await alice.OkAsync("/sharing/create_link", new { path = "/popular.txt" }));

        await alice.OkAsync("/files/move", new { from_path = "/popular.txt", to_path = "/Moved/popular.txt" });

        foreach (var link in links.Skip(1))
        {
            Assert.Equal(Bytes("popular"), (await GetAsync($"/s/{TokenOf(link)}/download")).Body);
        }

        Assert.Equal(HttpStatusCode.Gone, (await GetAsync($"/s/{TokenOf(links[0])}/download")).Status);
    }
}
