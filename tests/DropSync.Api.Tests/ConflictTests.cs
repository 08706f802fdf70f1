using System.Net;
using DropSync.Api.Tests.Infrastructure;

namespace DropSync.Api.Tests;

public sealed class ConflictTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    [Fact]
    public async Task A_stale_update_gets_409_and_its_content_is_kept_as_a_conflicted_copy()
    {
        var laptop = await factory.SignUpAsync(deviceName: "laptop");
        var phone = await factory.SignInAsync(laptop.Email!, "phone");
        var v1 = await laptop.UploadOkAsync("/Docs/plan.txt", "v1"u8.ToArray());
        var rev1 = v1["rev"]!.GetValue<string>();
        await laptop.UploadOkAsync("/Docs/plan.txt", "laptop edit"u8.ToArray(), mode: "update", rev: rev1);

        var (status, body) = await phone.UploadAsync("/Docs/plan.txt", "phone edit"u8.ToArray(), mode: "update", rev: rev1);

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("conflict", body["error"]!.GetValue<string>());
        Assert.Equal("/Docs/plan.txt", body["current"]!["path"]!.GetValue<string>());
        var copyPath = body["conflicted_copy"]!["path"]!.GetValue<string>();
        var date = factory.Clock.GetUtcNow().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal($"/Docs/plan (conflicted copy from phone {date}).txt", copyPath);
        Assert.Equal("laptop edit"u8.ToArray(), await laptop.DownloadAsync("/Docs/plan.txt"));
        Assert.Equal("phone edit"u8.ToArray(), await laptop.DownloadAsync(copyPath));
    }

    [Fact]
    public async Task Many_devices_committing_to_one_path_at_once_get_exactly_one_winner_and_lose_nothing()
    {
        var owner = await factory.SignUpAsync();
        var baseRev = (await owner.UploadOkAsync("/race.txt", "base"u8.ToArray()))["rev"]!.GetValue<string>();
        var devices = new List<ApiClient>();
        for (var i = 0; i < 12; i++)
        {
            devices.Add(await factory.SignInAsync(owner.Email!, $"device{i}"));
        }

        var results = await Task.WhenAll(devices.Select((d, i) => d.UploadAsync("/race.txt", System.Text.Encoding.UTF8.GetBytes($"edit {i}"), "update", baseRev)));

        Assert.Single(results, r => r.Status == HttpStatusCode.OK);
        Assert.Equal(11, results.Count(r => r.Status == HttpStatusCode.Conflict));
        var listing = (await owner.OkAsync("/files/list_folder", new { path = "" }))["entries"]!.AsArray();
        Assert.Equal(12, listing.Count);
        var contents = new HashSet<string>();
        foreach (var entry in listing)
        {
            contents.Add(System.Text.Encoding.UTF8.GetString(await owner.DownloadAsync(entry!["path"]!.GetValue<string>())));
        }

        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"edit {i}").ToHashSet(), contents);
    }

    [Fact]
    public async Task Adding_a_different_file_where_one_exists_is_a_conflict_but_the_same_file_is_not()
    {
        var a = await factory.SignUpAsync(deviceName: "a");
        var b = await factory.SignInAsync(a.Email!, "b");
        var first = await a.UploadOkAsync("/new.txt", "from a"u8.ToArray());

        var same = await b.UploadOkAsync("/new.txt", "from a"u8.ToArray());
        var (status, body) = await b.UploadAsync("/new.txt", "from b"u8.ToArray());

        Assert.Equal(first["rev"]!.GetValue<string>(), same["rev"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("from b"u8.ToArray(), await a.DownloadAsync(body["conflicted_copy"]!["path"]!.GetValue<string>()));
        Assert.Equal("from a"u8.ToArray(), await a.DownloadAsync("/new.txt"));
    }

    [Fact]
    public async Task An_update_of_a_file_deleted_elsewhere_brings_the_edit_back()
    {
        var laptop = await factory.SignUpAsync(deviceName: "laptop");
        var phone = await factory.SignInAsync(laptop.Email!, "phone");
        var rev = (await laptop.UploadOkAsync("/todo.txt", "v1"u8.ToArray()))["rev"]!.GetValue<string>();
        await laptop.OkAsync("/files/delete", new { path = "/todo.txt" });

        var edit = await phone.UploadOkAsync("/todo.txt", "edited offline"u8.ToArray(), "update", rev);

        Assert.Equal("file", edit["tag"]!.GetValue<string>());
        Assert.Equal("edited offline"u8.ToArray(), await laptop.DownloadAsync("/todo.txt"));
    }

    [Fact]
    public async Task Update_without_a_rev_is_refused()
    {
        var alice = await factory.SignUpAsync();

        var (status, body) = await alice.UploadAsync("/x.txt", "x"u8.ToArray(), "update");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("missing_rev", body["error"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("R")]
    [InlineData("nonsense")]
    [InlineData("0198ABCDEF0123456789ABCDEF012345")]
    [InlineData("0198abcdef0123456789abcdef01234")]
    public async Task An_update_with_a_malformed_rev_is_refused_before_anything_is_stored(string rev)
    {
        var alice = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Docs/x.txt", "v1"u8.ToArray());
        var resumable = new { path = "/Docs/x.txt", size = 2, blocks = new[] { new { hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("v2"u8)), size = 2 } }, mode = "update", rev };

        var (status, body) = await alice.UploadAsync("/Docs/x.txt", "v2"u8.ToArray(), "update", rev);
        var begin = await alice.PostAsync("/files/upload?uploadType=resumable", resumable);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_rev", body["error"]!.GetValue<string>());
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_rev"), (begin.Status, begin.Body["error"]!.GetValue<string>()));
        var listing = (await alice.OkAsync("/files/list_folder", new { path = "/Docs" }))["entries"]!.AsArray();
        Assert.Equal("/Docs/x.txt", Assert.Single(listing)!["path"]!.GetValue<string>());
        Assert.Equal("v1"u8.ToArray(), await alice.DownloadAsync("/Docs/x.txt"));
    }

    [Fact]
    public async Task Conflict_messages_say_what_happened_without_blaming_another_device()
    {
        var alice = await factory.SignUpAsync(deviceName: "laptop");
        var v1 = await alice.UploadOkAsync("/plan.txt", "v1"u8.ToArray());
        var rev1 = v1["rev"]!.GetValue<string>();
        var v2 = await alice.UploadOkAsync("/plan.txt", "v2"u8.ToArray(), "update", rev1);
        var rev2 = v2["rev"]!.GetValue<string>();
        var unknown = new string('0', 32);

        var stale = await alice.UploadAsync("/plan.txt", "stale"u8.ToArray(), "update", rev1);
        var wellFormedButUnknown = await alice.UploadAsync("/plan.txt", "unknown"u8.ToArray(), "update", unknown);
        var added = await alice.UploadAsync("/plan.txt", "added"u8.ToArray(), "add");

        foreach (var (status, body) in new[] { stale, wellFormedButUnknown, added })
        {
            Assert.Equal(HttpStatusCode.Conflict, status);
            Assert.Equal("conflict", body["error"]!.GetValue<string>());
            Assert.Equal(rev2, body["current"]!["rev"]!.GetValue<string>());
            Assert.DoesNotContain("another device", body["message"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Contains(body["conflicted_copy"]!["path"]!.GetValue<string>(), body["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        Assert.Contains($"has changed since revision {rev1}: its current revision is {rev2}", stale.Body["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains($"Revision {unknown} is not the current revision of \"/plan.txt\", which is at revision {rev2}", wellFormedButUnknown.Body["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("\"/plan.txt\" already exists with different content", added.Body["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("v2"u8.ToArray(), await alice.DownloadAsync("/plan.txt"));
    }
}
