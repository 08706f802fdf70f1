using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;

namespace DropSync.Api.Tests;

/// <summary>
/// A folder moved within a namespace, which the embedded store lands set-based (SqliteMetadataStore.FolderMoves): the
/// tree, contents, revisions, the deleted list and the change feed must read exactly as after a move written entry by entry.
/// </summary>
public sealed class FolderMoveTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    private static string[] Listed(JsonNode listing) =>
        [.. listing["entries"]!.AsArray().Select(e => $"{e!["tag"]!.GetValue<string>()} {e["path"]!.GetValue<string>()} {e["content_hash"]?.GetValue<string>()}")];

    [Fact]
    public async Task A_folder_moved_there_and_back_over_its_tombstones_keeps_contents_history_and_feed()
    {
        var alice = await factory.SignUpAsync();
        var names = new[] { "/Trip/a.txt", "/Trip/Day 1/photo.jpg", "/Trip/Day 1/Ünïcode é.txt", "/Trip/Day 1/deep/😀 smile.txt", "/Trip/ß.md" };
        foreach (var name in names)
        {
            await alice.UploadOkAsync(name, System.Text.Encoding.UTF8.GetBytes("content of " + name));
        }

        await alice.OkAsync("/files/create_folder", new { path = "/Trip/Empty" });
        await alice.UploadOkAsync("/Other/kept.txt", "kept"u8.ToArray());
        var before = await alice.OkAsync("/files/list_folder", new { path = "", recursive = true });
        var cursor = before["cursor"]!.GetValue<string>();
        var firstRev = (await alice.OkAsync("/files/get_metadata", new { path = "/Trip/a.txt" }))["rev"]!.GetValue<string>();

        var moved = await alice.OkAsync("/files/move", new { from_path = "/Trip", to_path = "/Archive/Trip 2026" });
        await alice.OkAsync("/files/move", new { from_path = "/Archive/Trip 2026", to_path = "/Trip" });
        var back = await alice.OkAsync("/files/move", new { from_path = "/Trip", to_path = "/Archive/Trip 2026" });

        var after = await alice.OkAsync("/files/list_folder", new { path = "", recursive = true });
        Assert.Equal("/Archive/Trip 2026", moved["path"]!.GetValue<string>());
        Assert.Equal("/Archive/Trip 2026", back["path"]!.GetValue<string>());
        Assert.Equal(
            Listed(before).Select(l => l.Replace(" /Trip", " /Archive/Trip 2026", StringComparison.Ordinal)).Append("folder /Archive ").Order(StringComparer.Ordinal),
            Listed(after).Order(StringComparer.Ordinal));
        foreach (var name in names)
        {
            var now = "/Archive/Trip 2026" + name["/Trip".Length..];
            Assert.Equal(System.Text.Encoding.UTF8.GetBytes("content of " + name), await alice.DownloadAsync(now));
        }

        // Each move gave the file a new rev for the same bytes; the first one is still in its history at the old path.
        var history = await alice.OkAsync("/files/list_revisions", new { path = "/Archive/Trip 2026/a.txt", limit = 10 });
        Assert.NotEqual(firstRev, history["entries"]!.AsArray()[0]!["rev"]!.GetValue<string>());
        var oldHistory = await alice.OkAsync("/files/list_revisions", new { path = "/Trip/a.txt", limit = 10 });
        Assert.Contains(firstRev, oldHistory["entries"]!.AsArray().Select(e => e!["rev"]!.GetValue<string>()));
        Assert.Empty((await alice.OkAsync("/files/list_deleted", new { path = "" }))["entries"]!.AsArray());

        // A device that was at the cursor before the moves ends, from the feed alone, with the server's tree.
        var tree = before["entries"]!.AsArray().Zip(Listed(before)).ToDictionary(e => e.First!["path"]!.GetValue<string>(), e => e.Second, StringComparer.OrdinalIgnoreCase);
        while (true)
        {
            var page = await alice.OkAsync("/files/list_folder/continue", new { cursor });
            foreach (var e in page["entries"]!.AsArray())
            {
                var path = e!["path"]!.GetValue<string>();
                foreach (var gone in tree.Keys.Where(k => k.Equals(path, StringComparison.OrdinalIgnoreCase) || k.StartsWith(path + "/", StringComparison.OrdinalIgnoreCase)).ToList())
                {
                    tree.Remove(gone);
                }

                if (e["tag"]!.GetValue<string>() != "deleted")
                {
                    tree[path] = $"{e["tag"]!.GetValue<string>()} {path} {e["content_hash"]?.GetValue<string>()}";
                }
            }

            cursor = page["cursor"]!.GetValue<string>();
            if (!page["has_more"]!.GetValue<bool>())
            {
                break;
            }
        }

        Assert.Equal(Listed(after).Order(StringComparer.Ordinal), tree.Values.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_folder_is_not_moved_onto_a_live_one_and_both_stay_as_they_were()
    {
        var alice = await factory.SignUpAsync();
        await alice.UploadOkAsync("/src/one.txt", "1"u8.ToArray());
        await alice.UploadOkAsync("/dest/two.txt", "2"u8.ToArray());
        var before = await alice.OkAsync("/files/list_folder", new { path = "", recursive = true });

        var refused = await alice.PostAsync("/files/move", new { from_path = "/src", to_path = "/dest" });

        Assert.Equal(System.Net.HttpStatusCode.Conflict, refused.Status);
        Assert.Equal(Listed(before), Listed(await alice.OkAsync("/files/list_folder", new { path = "", recursive = true })));
    }
}
