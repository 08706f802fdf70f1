using System.Net;
using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;
using static DropSync.Api.Tests.Infrastructure.Sharing;

namespace DropSync.Api.Tests;

/// <summary>
/// The small account listings in Dropbox's paging shape: limit (1 to 1,000), and while has_more, the same request with
/// the cursor it answered, sealed for that listing and that caller.
/// </summary>
public sealed class AccountListPagesTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    /// <summary>Every page of a listing at <paramref name="limit"/>: the sizes of the pages and the joined items of <paramref name="field"/>.</summary>
    private static async Task<(List<int> Sizes, List<JsonNode> Items)> AllPagesAsync(ApiClient client, string url, object body, string field, int limit)
    {
        var sizes = new List<int>();
        var items = new List<JsonNode>();
        var page = await client.OkAsync(url, Merge(body, new JsonObject { ["limit"] = limit }));
        while (true)
        {
            var these = page[field]!.AsArray().Select(n => n!.DeepClone()).ToList();
            sizes.Add(these.Count);
            items.AddRange(these);
            if (!page["has_more"]!.GetValue<bool>())
            {
                Assert.Null(page["cursor"]);
                return (sizes, items);
            }

            page = await client.OkAsync(url, Merge(body, new JsonObject { ["limit"] = limit, ["cursor"] = page["cursor"]!.GetValue<string>() }));
        }
    }

    private static JsonObject Merge(object body, JsonObject extra)
    {
        var merged = (JsonObject)JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(body))!;
        foreach (var (key, value) in extra)
        {
            merged[key] = value?.DeepClone();
        }

        return merged;
    }

    [Fact]
    public async Task Links_come_in_pages_and_a_cursor_is_refused_when_edited_borrowed_or_used_for_another_listing()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        var created = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            await alice.UploadOkAsync($"/Docs/f{i}.txt", [1]);
            created.Add((await alice.OkAsync("/sharing/create_link", new { path = $"/Docs/f{i}.txt" }))["link_id"]!.GetValue<string>());
        }

        var (sizes, links) = await AllPagesAsync(alice, "/sharing/list_links", new { }, "links", 2);
        Assert.Equal([2, 2, 1], sizes);
        Assert.Equal(created.Order(StringComparer.Ordinal), links.Select(l => l["link_id"]!.GetValue<string>()).Order(StringComparer.Ordinal));

        var first = await alice.OkAsync("/sharing/list_links", new { limit = 2 });
        var cursor = first["cursor"]!.GetValue<string>();
        Status(HttpStatusCode.BadRequest, await alice.PostAsync("/sharing/list_links", new { cursor = "x" + cursor }), "invalid_cursor");
        Status(HttpStatusCode.BadRequest, await bob.PostAsync("/sharing/list_links", new { cursor }), "invalid_cursor");
        Status(HttpStatusCode.BadRequest, await alice.PostAsync("/sharing/list_links", new { path = "/Docs", cursor }), "invalid_cursor");
        Status(HttpStatusCode.BadRequest, await alice.PostAsync("/auth/list_devices", new { cursor }), "invalid_cursor");
        Status(HttpStatusCode.BadRequest, await alice.PostAsync("/sharing/list_links", new { limit = 0 }), "invalid_limit");
        Status(HttpStatusCode.BadRequest, await alice.PostAsync("/sharing/list_links", new { limit = 1001 }), "invalid_limit");

        // The owner's view of the links under a path pages the same way.
        var (underSizes, _) = await AllPagesAsync(alice, "/sharing/list_links", new { path = "/Docs" }, "links", 3);
        Assert.Equal([3, 2], underSizes);
    }

    [Fact]
    public async Task Members_then_invitees_share_one_sequence_of_pages()
    {
        var owner = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        var carol = await factory.SignUpAsync();
        await owner.UploadOkAsync("/Team/a.txt", [1]);
        await ShareAsync(owner, "/Team", bob, "editor");
        await owner.OkAsync("/sharing/add_member", new { path = "/Team", email = carol.Email, role = "viewer" });

        var seen = new List<string>();
        var page = await owner.OkAsync("/sharing/list_members", new { path = "/Team", limit = 1 });
        while (true)
        {
            seen.AddRange(page["members"]!.AsArray().Select(m => "member " + m!["email"]!.GetValue<string>()));
            seen.AddRange(page["invitees"]!.AsArray().Select(i => "invitee " + i!["email"]!.GetValue<string>()));
            if (!page["has_more"]!.GetValue<bool>())
            {
                break;
            }

            page = await owner.OkAsync("/sharing/list_members", new { path = "/Team", limit = 1, cursor = page["cursor"]!.GetValue<string>() });
        }

        Assert.Equal(["member " + owner.Email, "member " + bob.Email, "invitee " + carol.Email], seen);
        var unpaged = await owner.OkAsync("/sharing/list_members", new { path = "/Team" });
        Assert.Equal(2, unpaged["members"]!.AsArray().Count);
        Assert.False(unpaged["has_more"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Shares_invitations_devices_and_app_passwords_come_in_pages()
    {
        var owner = await factory.SignUpAsync();
        var alice = await factory.SignUpAsync();
        foreach (var folder in new[] { "/A", "/B", "/C" })
        {
            await owner.UploadOkAsync(folder + "/x.txt", [1]);
            await ShareAsync(owner, folder, alice, "viewer");
        }

        foreach (var folder in new[] { "/D", "/E" })
        {
            await owner.UploadOkAsync(folder + "/x.txt", [1]);
            await owner.OkAsync("/sharing/add_member", new { path = folder, email = alice.Email, role = "viewer" });
        }

        var (shareSizes, shares) = await AllPagesAsync(alice, "/sharing/list_shared_with_me", new { }, "entries", 2);
        Assert.Equal([2, 1], shareSizes);
        Assert.Equal(["/A", "/B", "/C"], shares.Select(s => s["path"]!.GetValue<string>()));

        // Oldest first; made within the same instant, they tie and go by id, so compare them as sets.
        var (invitationSizes, invitations) = await AllPagesAsync(alice, "/sharing/list_invitations", new { }, "entries", 1);
        Assert.Equal([1, 1], invitationSizes);
        Assert.Equal(["/D", "/E"], invitations.Select(i => i["path"]!.GetValue<string>()).Order(StringComparer.Ordinal));

        await factory.SignInAsync(alice.Email!, "phone");
        await factory.SignInAsync(alice.Email!, "tablet");
        var (deviceSizes, devices) = await AllPagesAsync(alice, "/auth/list_devices", new { }, "devices", 2);
        Assert.Equal([2, 1], deviceSizes);
        Assert.Equal(["laptop", "phone", "tablet"], devices.Select(d => d["name"]!.GetValue<string>()).Order(StringComparer.Ordinal));

        foreach (var name in new[] { "dav-1", "dav-2", "dav-3" })
        {
            await alice.OkAsync("/auth/create_app_password", new { name });
        }

        var (passwordSizes, passwords) = await AllPagesAsync(alice, "/auth/list_app_passwords", new { }, "app_passwords", 2);
        Assert.Equal([2, 1], passwordSizes);
        Assert.Equal(["dav-1", "dav-2", "dav-3"], passwords.Select(p => p["name"]!.GetValue<string>()).Order(StringComparer.Ordinal));
    }
}
