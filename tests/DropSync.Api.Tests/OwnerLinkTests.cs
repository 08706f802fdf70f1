using System.Net;
using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;
using static DropSync.Api.Tests.Infrastructure.Sharing;

namespace DropSync.Api.Tests;

/// <summary>
/// Links answer to the folder's owner (issue 13): the owner lists and revokes the links members make into the folder,
/// and a member's link works only while its creator is still an editor of the folder.
/// </summary>
public sealed class OwnerLinkTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    private static string TokenOf(JsonNode link) => new Uri(link["url"]!.GetValue<string>()).AbsolutePath["/s/".Length..];

    private async Task<HttpStatusCode> OpenAsync(JsonNode link)
    {
        using var anonymous = factory.CreateClient();
        using var response = await anonymous.GetAsync($"/s/{TokenOf(link)}");
        return response.StatusCode;
    }

    [Fact]
    public async Task The_owner_lists_every_link_into_a_folder_whoever_made_it_and_revokes_a_members_link()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        var carol = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Team/doc.txt", Bytes("doc"));
        await alice.UploadOkAsync("/Other/note.txt", Bytes("note"));
        await ShareAsync(alice, "/Team", bob, "editor");
        await bob.OkAsync("/files/move", new { from_path = "/Team", to_path = "/From Alice" });
        var bobs = await bob.OkAsync("/sharing/create_link", new { path = "/From Alice/doc.txt" });
        var alices = await alice.OkAsync("/sharing/create_link", new { path = "/Team" });
        await alice.OkAsync("/sharing/create_link", new { path = "/Other/note.txt" });

        var listed = (await alice.OkAsync("/sharing/list_links", new { path = "/Team" }))["links"]!.AsArray();

        Assert.Equal(
            [(alices["link_id"]!.GetValue<string>(), "/Team", alice.Email!), (bobs["link_id"]!.GetValue<string>(), "/Team/doc.txt", bob.Email!)],
            listed.Select(l => (l!["link_id"]!.GetValue<string>(), l["path"]!.GetValue<string>(), l["created_by"]!.GetValue<string>())).OrderBy(l => l.Item2, StringComparer.Ordinal));
        Assert.Equal(TokenOf(bobs), TokenOf(listed.Single(l => l!["created_by"]!.GetValue<string>() == bob.Email)!));
        Assert.Equal(3, (await alice.OkAsync("/sharing/list_links", new { path = "/" }))["links"]!.AsArray().Count);
        Assert.Equal(2, (await alice.OkAsync("/sharing/list_links", null))["links"]!.AsArray().Count);

        // A member sees only their own links in the folder, at their own path; a stranger nothing of it.
        var bobListed = (await bob.OkAsync("/sharing/list_links", new { path = "/From Alice" }))["links"]!.AsArray();
        Assert.Equal(["/From Alice/doc.txt"], bobListed.Select(l => l!["path"]!.GetValue<string>()));
        Assert.Empty((await carol.OkAsync("/sharing/list_links", new { path = "/Team" }))["links"]!.AsArray());
        Status(HttpStatusCode.NotFound, await carol.PostAsync("/sharing/revoke_link", new { link_id = bobs["link_id"]!.GetValue<string>() }), "link_not_found");
        Status(HttpStatusCode.NotFound, await bob.PostAsync("/sharing/revoke_link", new { link_id = alices["link_id"]!.GetValue<string>() }), "link_not_found");
        Assert.Equal(HttpStatusCode.OK, await OpenAsync(bobs));

        await alice.OkAsync("/sharing/revoke_link", new { link_id = bobs["link_id"]!.GetValue<string>() });

        Assert.Equal(HttpStatusCode.Gone, await OpenAsync(bobs));
        Assert.NotNull((await bob.OkAsync("/sharing/list_links", null))["links"]!.AsArray().Single()!["revoked_at"]);
        Assert.Equal(HttpStatusCode.OK, await OpenAsync(alices));
    }

    [Fact]
    public async Task A_members_link_stops_working_when_they_are_made_a_viewer_and_works_again_when_made_an_editor()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Shared/plan.txt", Bytes("plan"));
        await ShareAsync(alice, "/Shared", bob, "editor");
        var link = await bob.OkAsync("/sharing/create_link", new { path = "/Shared/plan.txt" });
        Assert.Equal(HttpStatusCode.OK, await OpenAsync(link));

        await ShareAsync(alice, "/Shared", bob, "viewer");
        var demoted = await OpenAsync(link);
        await ShareAsync(alice, "/Shared", bob, "editor");
        var promoted = await OpenAsync(link);
        await bob.OkAsync("/sharing/leave", new { path = "/Shared" });
        var left = await OpenAsync(link);

        Assert.Equal(HttpStatusCode.Gone, demoted);
        Assert.Equal(HttpStatusCode.OK, promoted);
        Assert.Equal(HttpStatusCode.Gone, left);
    }

    [Fact]
    public async Task A_members_link_stops_working_when_the_owner_removes_them()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Box/a.txt", Bytes("a"));
        await ShareAsync(alice, "/Box", bob, "editor");
        var link = await bob.OkAsync("/sharing/create_link", new { path = "/Box" });
        Assert.Equal(HttpStatusCode.OK, await OpenAsync(link));

        await alice.OkAsync("/sharing/remove_member", new { path = "/Box", email = bob.Email });

        using var anonymous = factory.CreateClient();
        using var response = await anonymous.GetAsync($"/s/{TokenOf(link)}");
        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
        Assert.Contains("link_revoked", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
