using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;

namespace DropSync.Dav.Tests;

/// <summary>What /dav/ promises beyond litmus: app-password sign-in, conflicts as in the API, the journal, finite PROPFIND.</summary>
[Collection("dav server")]
public sealed class DavProtocolTests(DavServerFixture fixture)
{
    private static readonly XNamespace D = "DAV:";

    [Fact]
    public async Task Basic_sign_in_takes_an_app_password_never_the_account_password_and_a_revoked_one_stops_working()
    {
        var account = await fixture.NewAccountAsync();
        using var anonymous = new HttpClient { BaseAddress = fixture.DavUrl };
        using var challenged = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Options, ""));
        Assert.Equal(HttpStatusCode.Unauthorized, challenged.StatusCode);
        Assert.Equal("Basic realm=\"DropSync\", charset=\"UTF-8\"", challenged.Headers.WwwAuthenticate.ToString());

        using var withAccountPassword = await account.Dav(DavServerFixture.Password).SendAsync(Propfind("", "0"));
        Assert.Equal(HttpStatusCode.Unauthorized, withAccountPassword.StatusCode);
        Assert.Equal("unauthorized", (await withAccountPassword.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());

        var second = await account.CreateAppPasswordAsync("second laptop");
        var secret = second.GetProperty("app_password").GetString()!;
        using var options = await account.Dav(secret).SendAsync(new HttpRequestMessage(HttpMethod.Options, ""));
        Assert.Equal(HttpStatusCode.OK, options.StatusCode);
        Assert.Equal("1, 2", string.Join(", ", options.Headers.GetValues("DAV")));

        var listed = await (await account.Api.PostAsJsonAsync("/auth/list_app_passwords", new { })).Content.ReadFromJsonAsync<JsonElement>();
        var names = listed.GetProperty("app_passwords").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Equal(["tests", "second laptop"], names);
        Assert.DoesNotContain(secret, listed.ToString(), StringComparison.Ordinal);

        (await account.Api.PostAsJsonAsync("/auth/revoke_app_password", new { id = second.GetProperty("id").GetString() })).EnsureSuccessStatusCode();
        using var revoked = await account.Dav(secret).SendAsync(Propfind("", "0"));
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        using var stillGood = await account.Dav().SendAsync(Propfind("", "0"));
        Assert.Equal(HttpStatusCode.MultiStatus, stillGood.StatusCode);

        using var unknown = await account.Api.PostAsJsonAsync("/auth/revoke_app_password", new { id = "ap_nope" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var unnamed = await account.Api.PostAsJsonAsync("/auth/create_app_password", new { name = " " });
        Assert.Equal(HttpStatusCode.BadRequest, unnamed.StatusCode);
        Assert.Equal("invalid_app_password_name", (await unnamed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_stale_If_Match_is_a_conflict_the_first_write_wins_and_the_loser_is_kept_as_a_conflicted_copy()
    {
        var account = await fixture.NewAccountAsync();
        using var dav = account.Dav();
        using var created = await dav.PutAsync("notes.txt", new StringContent("v1"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var firstETag = created.Headers.ETag!.Tag;

        // Two editors saw v1; the first one's edit lands.
        using var first = await dav.SendAsync(new HttpRequestMessage(HttpMethod.Put, "notes.txt") { Content = new StringContent("first"), Headers = { { "If-Match", firstETag } } });
        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        using var second = await dav.SendAsync(new HttpRequestMessage(HttpMethod.Put, "notes.txt") { Content = new StringContent("second"), Headers = { { "If-Match", firstETag } } });
        Assert.Equal(HttpStatusCode.PreconditionFailed, second.StatusCode);
        Assert.Equal("conflict", (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());

        Assert.Equal("first", await dav.GetStringAsync("notes.txt"));

        // Other methods check If-Match too: a DELETE of what the client no longer sees fails and deletes nothing.
        using var staleDelete = await dav.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "notes.txt") { Headers = { { "If-Match", firstETag } } });
        Assert.Equal(HttpStatusCode.PreconditionFailed, staleDelete.StatusCode);
        Assert.Equal("first", await dav.GetStringAsync("notes.txt"));
        var listing = await (await account.Api.PostAsJsonAsync("/files/list_folder", new { path = "" })).Content.ReadFromJsonAsync<JsonElement>();
        var copy = listing.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("path").GetString()!).Single(p => p != "/notes.txt");
        Assert.Contains("conflicted copy", copy, StringComparison.Ordinal);
        Assert.Equal(Uri.EscapeDataString(copy), second.Headers.GetValues("DropSync-Conflicted-Copy").Single());
        Assert.Equal("second", await dav.GetStringAsync(copy.TrimStart('/')));
    }

    [Fact]
    public async Task Writes_through_dav_are_journalled_and_keep_revisions_like_the_api()
    {
        var account = await fixture.NewAccountAsync();
        var cursor = (await (await account.Api.PostAsJsonAsync("/files/list_folder/get_latest_cursor", new { path = "", recursive = true })).Content.ReadFromJsonAsync<JsonElement>())
            .GetProperty("cursor").GetString();
        using var dav = account.Dav();
        Assert.Equal(HttpStatusCode.Created, (await dav.SendAsync(new HttpRequestMessage(new HttpMethod("MKCOL"), "Docs"))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await dav.PutAsync("Docs/a.txt", new StringContent("one"))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await dav.PutAsync("Docs/a.txt", new StringContent("two"))).StatusCode);
        var move = new HttpRequestMessage(new HttpMethod("MOVE"), "Docs/a.txt") { Headers = { { "Destination", new Uri(fixture.DavUrl, "Docs/b.txt").ToString() } } };
        Assert.Equal(HttpStatusCode.Created, (await dav.SendAsync(move)).StatusCode);

        var changes = await (await account.Api.PostAsJsonAsync("/files/list_folder/continue", new { cursor })).Content.ReadFromJsonAsync<JsonElement>();
        var paths = changes.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("path").GetString()).ToList();
        Assert.Contains("/Docs", paths);
        Assert.Contains("/Docs/b.txt", paths);
        var revisions = await (await account.Api.PostAsJsonAsync("/files/list_revisions", new { path = "/Docs/b.txt" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(revisions.GetProperty("entries").GetArrayLength() >= 1);
    }

    [Fact]
    public async Task Propfind_refuses_depth_infinity_and_answers_etags_from_revs_sizes_and_quota()
    {
        var account = await fixture.NewAccountAsync();
        using var dav = account.Dav();
        await dav.PutAsync("ü.txt", new StringContent("12345"));

        using var infinity = await dav.SendAsync(Propfind("", "infinity"));
        Assert.Equal(HttpStatusCode.Forbidden, infinity.StatusCode);
        Assert.NotNull(XDocument.Parse(await infinity.Content.ReadAsStringAsync()).Root!.Element(D + "propfind-finite-depth"));

        var request = Propfind("", "1");
        request.Content = new StringContent(
            "<?xml version=\"1.0\"?><d:propfind xmlns:d=\"DAV:\"><d:prop><d:getetag/><d:getcontentlength/><d:resourcetype/><d:quota-used-bytes/><d:quota-available-bytes/></d:prop></d:propfind>",
            Encoding.UTF8, "application/xml");
        using var answer = await dav.SendAsync(request);
        Assert.Equal(HttpStatusCode.MultiStatus, answer.StatusCode);
        var responses = XDocument.Parse(await answer.Content.ReadAsStringAsync()).Root!.Elements(D + "response").ToList();
        Assert.Equal(["/dav/", "/dav/%C3%BC.txt"], responses.Select(r => r.Element(D + "href")!.Value));
        var file = responses[1].Descendants(D + "prop").First();
        var metadata = await (await account.Api.PostAsJsonAsync("/files/get_metadata", new { path = "/ü.txt" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal($"\"{metadata.GetProperty("rev").GetString()}\"", file.Element(D + "getetag")!.Value);
        Assert.Equal("5", file.Element(D + "getcontentlength")!.Value);
        var root = responses[0].Descendants(D + "prop").First();
        Assert.NotNull(root.Element(D + "resourcetype")!.Element(D + "collection"));
        Assert.Equal("5", root.Element(D + "quota-used-bytes")!.Value);
        Assert.True(long.Parse(root.Element(D + "quota-available-bytes")!.Value, System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    [Fact]
    public async Task Get_with_a_range_answers_that_slice_and_head_the_length()
    {
        var account = await fixture.NewAccountAsync();
        using var dav = account.Dav();
        await dav.PutAsync("range.bin", new ByteArrayContent(Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray()));
        using var slice = await dav.SendAsync(new HttpRequestMessage(HttpMethod.Get, "range.bin") { Headers = { Range = new System.Net.Http.Headers.RangeHeaderValue(10, 19) } });
        Assert.Equal(HttpStatusCode.PartialContent, slice.StatusCode);
        Assert.Equal(Enumerable.Range(10, 10).Select(i => (byte)i).ToArray(), await slice.Content.ReadAsByteArrayAsync());
        using var head = await dav.SendAsync(new HttpRequestMessage(HttpMethod.Head, "range.bin"));
        Assert.Equal(1000, head.Content.Headers.ContentLength);
    }

    private static HttpRequestMessage Propfind(string path, string depth) =>
        new(new HttpMethod("PROPFIND"), path) { Headers = { { "Depth", depth } } };
}
