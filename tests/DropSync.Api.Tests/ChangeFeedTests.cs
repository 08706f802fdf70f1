using System.Net;
using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Core.Ports;
using DropSync.Testing;
using Microsoft.Extensions.DependencyInjection;
using static DropSync.Api.Tests.Infrastructure.Sharing;

namespace DropSync.Api.Tests;

/// <summary>Cursors and catch-up: an offline device applies every change since its cursor and ends with the server's tree.</summary>
public sealed class ChangeFeedTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    /// <summary>A device's local tree, built only from list_folder and continue answers.</summary>
    private sealed class Replica
    {
        public Dictionary<string, (string Path, string Tag, string? Rev)> Entries { get; } = new(StringComparer.OrdinalIgnoreCase);

        public List<JsonNode> Applied { get; } = [];

        public void Apply(JsonNode entry)
        {
            Applied.Add(entry);
            var path = entry["path"]!.GetValue<string>();
            var tag = entry["tag"]!.GetValue<string>();
            if (tag == "deleted")
            {
                foreach (var key in Entries.Keys.Where(k => k.Equals(path, StringComparison.OrdinalIgnoreCase) || k.StartsWith(path + "/", StringComparison.OrdinalIgnoreCase)).ToList())
                {
                    Entries.Remove(key);
                }

                return;
            }

            Entries.Remove(path);
            Entries[path] = (path, tag, tag == "file" ? entry["rev"]!.GetValue<string>() : null);
        }

        public string[] Sorted() => Entries.Values.Select(e => $"{e.Tag} {e.Path} {e.Rev}").Order(StringComparer.OrdinalIgnoreCase).ToArray();
    }

    private static string[] Snapshot(JsonNode listing) =>
        listing["entries"]!.AsArray()
            .Select(e => $"{e!["tag"]!.GetValue<string>()} {e["path"]!.GetValue<string>()} {(e["tag"]!.GetValue<string>() == "file" ? e["rev"]!.GetValue<string>() : null)}")
            .Order(StringComparer.OrdinalIgnoreCase).ToArray();

    private static async Task<(Replica Replica, string Cursor)> ListAsync(ApiClient device)
    {
        var listing = await device.OkAsync("/files/list_folder", new { path = "", recursive = true });
        var replica = new Replica();
        foreach (var entry in listing["entries"]!.AsArray())
        {
            replica.Apply(entry!);
        }

        return (replica, listing["cursor"]!.GetValue<string>());
    }

    private static async Task<(string Cursor, int Pages)> CatchUpAsync(ApiClient device, Replica replica, string cursor, int limit)
    {
        var pages = 0;
        while (true)
        {
            var page = await device.OkAsync("/files/list_folder/continue", new { cursor, limit });
            pages++;
            foreach (var entry in page["entries"]!.AsArray())
            {
                replica.Apply(entry!);
            }

            cursor = page["cursor"]!.GetValue<string>();
            if (!page["has_more"]!.GetValue<bool>())
            {
                return (cursor, pages);
            }

            Assert.True(pages < 500, "continue never stopped answering has_more");
        }
    }

    [Fact]
    public async Task An_offline_device_catches_up_on_fifty_mixed_changes_exactly_in_small_pages()
    {
        var alice = await factory.SignUpAsync(deviceName: "laptop");
        var bob = await factory.SignUpAsync(deviceName: "bob-laptop");
        await alice.UploadOkAsync("/Docs/keep.txt", Bytes("keep"));
        await bob.OkAsync("/files/create_folder", new { path = "/Team" });
        await bob.UploadOkAsync("/Team/plan.txt", Bytes("plan v1"));
        var phone = await factory.SignInAsync(alice.Email!, "phone");
        var (replica, cursor) = await ListAsync(phone);

        // The phone goes offline; the laptop (and Bob) make more than fifty changes.
        var committed = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        void Track(JsonNode m) => (committed.TryGetValue(m["path"]!.GetValue<string>(), out var l) ? l : committed[m["path"]!.GetValue<string>()] = []).Add(m["rev"]!.GetValue<string>());
        var changes = 0;
        for (var i = 0; i < 12; i++)
        {
            Track(await alice.UploadOkAsync($"/Docs/file{i}.txt", Bytes($"v1 {i}")));
            changes++;
        }

        for (var i = 0; i < 12; i += 2)
        {
            var rev = (await alice.OkAsync("/files/get_metadata", new { path = $"/Docs/file{i}.txt" }))["rev"]!.GetValue<string>();
            Track(await alice.UploadOkAsync($"/Docs/file{i}.txt", Bytes($"v2 {i}"), "update", rev));
            changes++;
        }

        for (var i = 1; i < 12; i += 4)
        {
            await alice.OkAsync("/files/delete", new { path = $"/Docs/file{i}.txt" });
            changes++;
        }

        await alice.OkAsync("/files/create_folder", new { path = "/Docs/Sub/Deep" });
        Track(await alice.UploadOkAsync("/Docs/Sub/Deep/a.txt", Bytes("deep a")));
        Track(await alice.UploadOkAsync("/Docs/Sub/b.txt", Bytes("sub b")));
        changes += 3;
        await alice.OkAsync("/files/move", new { from_path = "/Docs/Sub", to_path = "/Archive/Sub2" });
        changes++;
        await alice.OkAsync("/files/copy", new { from_path = "/Archive/Sub2", to_path = "/Copies/Sub3" });
        await alice.OkAsync("/files/copy", new { from_path = "/Docs/file0.txt", to_path = "/Copies/file0-copy.txt" });
        changes += 2;
        await alice.OkAsync("/files/move", new { from_path = "/Docs/file2.txt", to_path = "/Docs/FILE2-renamed.txt" });
        await alice.OkAsync("/files/move", new { from_path = "/Docs/file4.txt", to_path = "/Docs/File4.txt" });
        changes += 2;
        var v1 = (await alice.OkAsync("/files/list_revisions", new { path = "/Docs/file6.txt", limit = 10 }))["entries"]!.AsArray()[^1]!["rev"]!.GetValue<string>();
        Track(await alice.OkAsync("/files/restore", new { path = "/Docs/file6.txt", rev = v1 }));
        var deletedRev = (await alice.OkAsync("/files/list_revisions", new { path = "/Docs/file1.txt", limit = 10 }))["entries"]!.AsArray()[0]!["rev"]!.GetValue<string>();
        Track(await alice.OkAsync("/files/restore", new { path = "/Docs/file1.txt", rev = deletedRev }));
        changes += 2;

        // Sharing both ways: Alice shares Docs with Bob (an editor who then writes), Bob shares Team with Alice.
        await ShareAsync(alice, "/Docs", bob, "editor");
        await ShareAsync(bob, "/Team", alice, "editor");
        changes += 2;
        Track(await bob.UploadOkAsync("/Docs/from-bob.txt", Bytes("hello from bob")));
        Track(await bob.UploadOkAsync("/Team/plan.txt", Bytes("plan v2"), "overwrite"));
        Track(await alice.UploadOkAsync("/Team/alice-note.txt", Bytes("alice in team")));
        changes += 3;
        await alice.OkAsync("/files/move", new { from_path = "/Docs/file3.txt", to_path = "/Team/file3.txt" });
        await alice.OkAsync("/files/move", new { from_path = "/Team/alice-note.txt", to_path = "/Docs/alice-note.txt" });
        changes += 2;
        for (var i = 0; i < 10; i++)
        {
            var rev = (await alice.OkAsync("/files/get_metadata", new { path = "/Docs/file0.txt" }))["rev"]!.GetValue<string>();
            Track(await alice.UploadOkAsync("/Docs/file0.txt", Bytes($"edit {i}"), "update", rev));
            changes++;
        }

        await alice.OkAsync("/files/delete", new { path = "/Copies/Sub3" });
        await alice.OkAsync("/files/delete", new { path = "/Docs/file0.txt" });
        await alice.UploadOkAsync("/Docs/file0.txt", Bytes("reborn"));
        changes += 3;
        Assert.True(changes >= 50, $"only {changes} changes");

        var (newCursor, pages) = await CatchUpAsync(phone, replica, cursor, limit: 3);

        var server = await alice.OkAsync("/files/list_folder", new { path = "", recursive = true });
        Assert.Equal(Snapshot(server), replica.Sorted());
        Assert.True(pages > 10, $"only {pages} pages at limit 3");

        // No file revision delivered twice, and each path's revisions arrive in commit order.
        var fileRevs = replica.Applied.Where(e => e["tag"]!.GetValue<string>() == "file").Select(e => (Path: e["path"]!.GetValue<string>(), Rev: e["rev"]!.GetValue<string>())).ToList();
        Assert.Equal(fileRevs.Count, fileRevs.Distinct().Count());
        foreach (var (path, revs) in committed)
        {
            var delivered = fileRevs.Where(f => f.Path.Equals(path, StringComparison.OrdinalIgnoreCase) && revs.Contains(f.Rev)).Select(f => revs.IndexOf(f.Rev)).ToList();
            Assert.Equal(delivered.Order().ToList(), delivered);
        }

        // And nothing more since.
        var again = await phone.OkAsync("/files/list_folder/continue", new { cursor = newCursor });
        Assert.Empty(again["entries"]!.AsArray());
        Assert.False(again["has_more"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Continue_answers_nothing_when_nothing_changed_and_the_latest_cursor_skips_history()
    {
        var alice = await factory.SignUpAsync();
        await alice.UploadOkAsync("/a.txt", Bytes("a"));
        var latest = (await alice.OkAsync("/files/list_folder/get_latest_cursor", new { path = "", recursive = true }))["cursor"]!.GetValue<string>();
        var empty = await alice.OkAsync("/files/list_folder/continue", new { cursor = latest });
        await alice.UploadOkAsync("/b.txt", Bytes("b"));
        var next = await alice.OkAsync("/files/list_folder/continue", new { cursor = latest });

        Assert.Empty(empty["entries"]!.AsArray());
        Assert.Equal(["/b.txt"], Paths(next));
        Assert.Equal("added", next["entries"]![0]!["change"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_cursor_for_a_folder_sees_only_that_folder()
    {
        var alice = await factory.SignUpAsync();
        await alice.OkAsync("/files/create_folder", new { path = "/In" });
        var flat = (await alice.OkAsync("/files/list_folder", new { path = "/In" }))["cursor"]!.GetValue<string>();
        var deep = (await alice.OkAsync("/files/list_folder/get_latest_cursor", new { path = "/In", recursive = true }))["cursor"]!.GetValue<string>();
        await alice.UploadOkAsync("/In/a.txt", Bytes("a"));
        await alice.UploadOkAsync("/In/Sub/b.txt", Bytes("b"));
        await alice.UploadOkAsync("/Out/c.txt", Bytes("c"));

        Assert.Equal(["/In/a.txt", "/In/Sub"], Paths(await alice.OkAsync("/files/list_folder/continue", new { cursor = flat })).Order().ToArray());
        Assert.Equal(["/In/a.txt", "/In/Sub", "/In/Sub/b.txt"], Paths(await alice.OkAsync("/files/list_folder/continue", new { cursor = deep })).Order().ToArray());
    }

    [Fact]
    public async Task A_cursor_behind_a_compacted_journal_gets_reset_and_a_fresh_listing_continues()
    {
        var alice = await factory.SignUpAsync();
        await alice.UploadOkAsync("/one.txt", Bytes("1"));
        var old = (await alice.OkAsync("/files/list_folder", new { path = "", recursive = true }))["cursor"]!.GetValue<string>();
        await alice.UploadOkAsync("/two.txt", Bytes("2"));
        await alice.UploadOkAsync("/three.txt", Bytes("3"));
        var store = factory.Services.GetRequiredService<IFileMetadataStore>();
        var userNs = await NamespaceOfAsync(alice);
        var latest = await store.GetLatestSequenceAsync(userNs, CancellationToken.None);
        await store.CompactJournalAsync(userNs, latest - 1, CancellationToken.None);

        var reset = await alice.PostAsync("/files/list_folder/continue", new { cursor = old });
        var fresh = await alice.OkAsync("/files/list_folder", new { path = "", recursive = true });
        await alice.UploadOkAsync("/four.txt", Bytes("4"));
        var after = await alice.OkAsync("/files/list_folder/continue", new { cursor = fresh["cursor"]!.GetValue<string>() });

        Status(HttpStatusCode.Conflict, reset, "reset");
        Assert.Equal(["/four.txt"], Paths(after));
    }

    [Fact]
    public async Task The_fan_out_compacts_journal_entries_older_than_the_retention_and_only_cursors_behind_them_reset()
    {
        // Its own server: the test moves the clock three months on and checks retention every 4 changes.
        using var server = DropSyncApiFactory.WithSettings(
            ("DropSync:JournalCompactionInterval", "4"), ("DropSync:JournalRetention", "90.00:00:00"), ("DropSync:TokenIdleTimeout", "3650.00:00:00"));
        var alice = await server.SignUpAsync();
        await alice.UploadOkAsync("/old-1.txt", Bytes("1"));
        var old = (await alice.OkAsync("/files/list_folder", new { path = "", recursive = true }))["cursor"]!.GetValue<string>();
        await alice.UploadOkAsync("/old-2.txt", Bytes("2"));

        server.Clock.Advance(TimeSpan.FromDays(91));
        var recent = (await alice.OkAsync("/files/list_folder/get_latest_cursor", new { path = "", recursive = true }))["cursor"]!.GetValue<string>();
        for (var i = 0; i < 4; i++)
        {
            await alice.UploadOkAsync($"/new-{i}.txt", Bytes("n"));
        }

        // The fan-out runs after the commits answer; wait for its retention pass.
        var store = server.Services.GetRequiredService<IFileMetadataStore>();
        var userNs = await NamespaceOfAsync(alice);
        await Eventually.ProbeUntilAsync(() => store.GetCompactedThroughAsync(userNs, CancellationToken.None), through => through != 0, TimeSpan.FromSeconds(10));

        Status(HttpStatusCode.Conflict, await alice.PostAsync("/files/list_folder/continue", new { cursor = old }), "reset");
        Assert.Equal(
            ["/new-0.txt", "/new-1.txt", "/new-2.txt", "/new-3.txt"],
            Paths(await alice.OkAsync("/files/list_folder/continue", new { cursor = recent })).Order().ToArray());
        Assert.Equal(
            ["/new-0.txt", "/new-1.txt", "/new-2.txt", "/new-3.txt", "/old-1.txt", "/old-2.txt"],
            Paths(await alice.OkAsync("/files/list_folder", new { path = "", recursive = true })).Order().ToArray());
    }

    [Fact]
    public async Task A_forged_or_foreign_cursor_is_refused()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        var alices = (await alice.OkAsync("/files/list_folder/get_latest_cursor", new { path = "" }))["cursor"]!.GetValue<string>();

        Status(HttpStatusCode.BadRequest, await bob.PostAsync("/files/list_folder/continue", new { cursor = alices }), "invalid_cursor");
        Status(HttpStatusCode.BadRequest, await bob.PostAsync("/files/list_folder/continue", new { cursor = "not a cursor" }), "invalid_cursor");
        Status(HttpStatusCode.BadRequest, await bob.PostAsync("/files/list_folder/continue", new { }), "invalid_cursor");
    }

    /// <summary>The user's root namespace id ("ns_" + user id).</summary>
    internal static async Task<string> NamespaceOfAsync(ApiClient client)
    {
        var login = await client.OkAsync("/auth/login", new { email = client.Email, password = "correct horse battery", device_name = "probe" });
        return "ns_" + login["user_id"]!.GetValue<string>();
    }
}
