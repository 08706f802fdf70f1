using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;

namespace DropSync.Api.Tests;

/// <summary>list_folder in pages (limit, has_more, continue) and sealed cursors, Dropbox's shape.</summary>
public sealed class ListingPagesTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    private static async Task UploadManyAsync(ApiClient client, string folder, int count)
    {
        for (var start = 0; start < count; start += 1000)
        {
            using var body = new MultipartFormDataContent();
            var files = Enumerable.Range(start, Math.Min(1000, count - start)).Select(i => new { path = $"{folder}/f{i:D5}.txt" });
            body.Add(new StringContent(JsonSerializer.Serialize(new { files }), Encoding.UTF8, "application/json"), "manifest");
            foreach (var file in files)
            {
                body.Add(new ByteArrayContent([]), "file", "f");
            }

            using var response = await client.Http.PostAsync("/files/upload_batch", body);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Five_thousand_entries_come_in_pages_of_a_thousand_then_the_cursor_follows_changes()
    {
        var alice = await factory.SignUpAsync();
        await UploadManyAsync(alice, "/Many", 5000);

        var page = await alice.OkAsync("/files/list_folder", new { path = "/Many", limit = 1000 });
        var paths = Sharing.Paths(page).ToList();
        var pages = 1;
        while (page["has_more"]!.GetValue<bool>())
        {
            Assert.Equal(1000, page["entries"]!.AsArray().Count);
            page = await alice.OkAsync("/files/list_folder/continue", new { cursor = page["cursor"]!.GetValue<string>(), limit = 1000 });
            paths.AddRange(Sharing.Paths(page));
            pages++;
        }

        Assert.Equal(5, pages);
        Assert.Equal(Enumerable.Range(0, 5000).Select(i => $"/Many/f{i:D5}.txt"), paths);

        // Done listing: the same cursor now answers what changed since the listing began.
        await alice.UploadOkAsync("/Many/new.txt", [1]);
        var changes = await alice.OkAsync("/files/list_folder/continue", new { cursor = page["cursor"]!.GetValue<string>() });
        Assert.Equal(["/Many/new.txt"], Sharing.Paths(changes));
        Assert.False(changes["has_more"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_recursive_listing_pages_through_the_callers_files_and_a_mounted_share_in_path_order()
    {
        var owner = await factory.SignUpAsync();
        var alice = await factory.SignUpAsync();
        foreach (var path in new[] { "/Team/a.txt", "/Team/b/c.txt", "/Team/d.txt" })
        {
            await owner.UploadOkAsync(path, [1]);
        }

        await Sharing.ShareAsync(owner, "/Team", alice, "editor");
        foreach (var path in new[] { "/A.txt", "/S/x.txt", "/S/y.txt", "/Z.txt" })
        {
            await alice.UploadOkAsync(path, [2]);
        }

        var whole = Sharing.Paths(await alice.OkAsync("/files/list_folder", new { path = "", recursive = true, limit = 10_000 }));
        var paged = new List<string>();
        var page = await alice.OkAsync("/files/list_folder", new { path = "", recursive = true, limit = 2 });
        paged.AddRange(Sharing.Paths(page));
        while (page["has_more"]!.GetValue<bool>())
        {
            Assert.Equal(2, page["entries"]!.AsArray().Count);
            page = await alice.OkAsync("/files/list_folder/continue", new { cursor = page["cursor"]!.GetValue<string>(), limit = 2 });
            paged.AddRange(Sharing.Paths(page));
        }

        Assert.Equal(whole, paged);
        Assert.Contains("/Team/b/c.txt", paged);
        Assert.Contains("/S/y.txt", paged);
        Assert.Equal(10, paged.Count);
    }

    [Fact]
    public async Task A_tampered_forged_or_unsigned_cursor_answers_invalid_cursor()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        await alice.UploadOkAsync("/one.txt", [1]);
        var cursor = (await alice.OkAsync("/files/list_folder", new { path = "" }))["cursor"]!.GetValue<string>();
        var payload = cursor[..cursor.IndexOf('.', StringComparison.Ordinal)];
        var json = Encoding.UTF8.GetString(Convert.FromBase64String(Pad(payload)));
        var edited = ToBase64Url(Encoding.UTF8.GetBytes(json.Replace("\"R\":false", "\"R\":true", StringComparison.Ordinal))) + cursor[cursor.IndexOf('.', StringComparison.Ordinal)..];
        var unsigned = payload; // What servers before signing handed out: the JSON alone.

        foreach (var bad in new[] { edited, unsigned, cursor + "x", "not a cursor" })
        {
            var (status, body) = await alice.PostAsync("/files/list_folder/continue", new { cursor = bad });
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal("invalid_cursor", body["error"]!.GetValue<string>());
        }

        var (others, othersBody) = await bob.PostAsync("/files/list_folder/continue", new { cursor });
        Assert.Equal("invalid_cursor", othersBody["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, others);
        Assert.Equal(HttpStatusCode.OK, (await alice.PostAsync("/files/list_folder/continue", new { cursor })).Status);
        var (notes, notesBody) = await alice.PostAsync("/notifications/list", new { cursor });
        Assert.Equal(HttpStatusCode.BadRequest, notes);
        Assert.Equal("invalid_cursor", notesBody["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_shared_links_folder_listing_comes_in_pages()
    {
        var alice = await factory.SignUpAsync();
        for (var i = 0; i < 5; i++)
        {
            await alice.UploadOkAsync($"/Pub/f{i}.txt", [(byte)i]);
        }

        var url = new Uri((await alice.OkAsync("/sharing/create_link", new { path = "/Pub" }))["url"]!.GetValue<string>()).AbsolutePath;
        using var anonymous = factory.CreateClient();
        var paths = new List<string>();
        var next = $"{url}?limit=2";
        var pages = 0;
        while (true)
        {
            var page = JsonNode.Parse(await anonymous.GetStringAsync(next))!;
            paths.AddRange(Sharing.Paths(page));
            pages++;
            if (!page["has_more"]!.GetValue<bool>())
            {
                break;
            }

            next = $"{url}?limit=2&cursor={Uri.EscapeDataString(page["cursor"]!.GetValue<string>())}";
        }

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"/Pub/f{i}.txt"), paths);
        using var forged = await anonymous.GetAsync($"{url}?cursor=abc.def");
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
    }

    private static string Pad(string base64Url)
    {
        var s = base64Url.Replace('-', '+').Replace('_', '/');
        return s + new string('=', (4 - (s.Length % 4)) % 4);
    }

    private static string ToBase64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
