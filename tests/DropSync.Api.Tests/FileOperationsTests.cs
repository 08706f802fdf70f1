using System.Net;
using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;

namespace DropSync.Api.Tests;

public sealed class FileOperationsTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    private static string[] Paths(JsonNode listing) =>
        listing["entries"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()).ToArray();

    [Fact]
    public async Task Uploading_into_a_new_folder_creates_its_parents_and_listings_show_them()
    {
        var alice = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Work/2026/report.pdf", "pdf"u8.ToArray());
        await alice.OkAsync("/files/create_folder", new { path = "/Work/Empty" });

        var top = await alice.OkAsync("/files/list_folder", new { path = "/Work" });
        var all = await alice.OkAsync("/files/list_folder", new { path = "", recursive = true });
        var folder = await alice.OkAsync("/files/get_metadata", new { path = "/work/2026" });

        Assert.Equal(["/Work/2026", "/Work/Empty"], Paths(top));
        Assert.Equal(["/Work", "/Work/2026", "/Work/2026/report.pdf", "/Work/Empty"], Paths(all));
        Assert.Equal("folder", folder["tag"]!.GetValue<string>());
        Assert.Equal("/Work/2026", folder["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task Files_moved_or_renamed_are_not_listed_as_deleted_but_keep_their_old_revisions()
    {
        var alice = await factory.SignUpAsync();
        var v1 = await alice.UploadOkAsync("/a.txt", "one"u8.ToArray());
        await alice.UploadOkAsync("/Docs/b.txt", "two"u8.ToArray());
        await alice.UploadOkAsync("/c.txt", "three"u8.ToArray());
        await alice.OkAsync("/files/move", new { from_path = "/a.txt", to_path = "/renamed.txt" });
        await alice.OkAsync("/files/move", new { from_path = "/Docs", to_path = "/Archive/Docs" });
        await alice.OkAsync("/files/delete", new { path = "/c.txt" });

        var deleted = await alice.OkAsync("/files/list_deleted", new { path = "" });
        var oldRevisions = await alice.OkAsync("/files/list_revisions", new { path = "/a.txt", limit = 10 });

        Assert.Equal(["/c.txt"], Paths(deleted));
        Assert.Contains(v1["rev"]!.GetValue<string>(), oldRevisions["entries"]!.AsArray().Select(e => e!["rev"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_deleted_file_keeps_its_revisions_and_can_be_restored()
    {
        var alice = await factory.SignUpAsync();
        var v1 = await alice.UploadOkAsync("/a.txt", "one"u8.ToArray());
        await alice.UploadOkAsync("/a.txt", "two"u8.ToArray(), "overwrite");
        await alice.OkAsync("/files/delete", new { path = "/a.txt" });

        var gone = await alice.PostAsync("/files/get_metadata", new { path = "/a.txt" });
        var deleted = await alice.OkAsync("/files/list_deleted", new { path = "" });
        var revisions = await alice.OkAsync("/files/list_revisions", new { path = "/a.txt", limit = 10 });
        var restored = await alice.OkAsync("/files/restore", new { path = "/a.txt", rev = v1["rev"]!.GetValue<string>() });

        Assert.Equal(HttpStatusCode.NotFound, gone.Status);
        Assert.Contains("/a.txt", Paths(deleted));
        Assert.Equal(2, revisions["entries"]!.AsArray().Count);
        Assert.Equal(v1["content_hash"]!.GetValue<string>(), restored["content_hash"]!.GetValue<string>());
        Assert.Equal("one"u8.ToArray(), await alice.DownloadAsync("/a.txt"));
        Assert.Equal(3, (await alice.OkAsync("/files/list_revisions", new { path = "/a.txt", limit = 10 }))["entries"]!.AsArray().Count);
    }

    [Fact]
    public async Task Deleting_a_folder_deletes_what_is_below_it_and_each_file_can_come_back()
    {
        var alice = await factory.SignUpAsync();
        var rev = (await alice.UploadOkAsync("/Trip/day1/photo.jpg", "jpg"u8.ToArray()))["rev"]!.GetValue<string>();
        await alice.UploadOkAsync("/Trip/notes.txt", "notes"u8.ToArray());

        await alice.OkAsync("/files/delete", new { path = "/Trip" });

        Assert.Empty(Paths(await alice.OkAsync("/files/list_folder", new { path = "", recursive = true })));
        await alice.OkAsync("/files/restore", new { path = "/Trip/day1/photo.jpg", rev });
        Assert.Equal(["/Trip", "/Trip/day1", "/Trip/day1/photo.jpg"], Paths(await alice.OkAsync("/files/list_folder", new { path = "", recursive = true })));
    }

    [Fact]
    public async Task Moving_a_folder_moves_its_contents_and_copying_leaves_the_source()
    {
        var alice = await factory.SignUpAsync();
        await alice.UploadOkAsync("/src/a/one.txt", "1"u8.ToArray());
        await alice.UploadOkAsync("/src/two.txt", "2"u8.ToArray());

        await alice.OkAsync("/files/copy", new { from_path = "/src", to_path = "/backup/src" });
        var moved = await alice.OkAsync("/files/move", new { from_path = "/src", to_path = "/dest" });

        Assert.Equal("/dest", moved["path"]!.GetValue<string>());
        Assert.Equal(
            ["/backup", "/backup/src", "/backup/src/a", "/backup/src/a/one.txt", "/backup/src/two.txt", "/dest", "/dest/a", "/dest/a/one.txt", "/dest/two.txt"],
            Paths(await alice.OkAsync("/files/list_folder", new { path = "", recursive = true })));
        Assert.Equal("1"u8.ToArray(), await alice.DownloadAsync("/dest/a/one.txt"));
        Assert.Equal("2"u8.ToArray(), await alice.DownloadAsync("/backup/src/two.txt"));
    }

    [Fact]
    public async Task A_case_only_rename_is_a_move()
    {
        var alice = await factory.SignUpAsync();
        await alice.UploadOkAsync("/readme.md", "hi"u8.ToArray());

        var renamed = await alice.OkAsync("/files/move", new { from_path = "/readme.md", to_path = "/README.md" });

        Assert.Equal("/README.md", renamed["path"]!.GetValue<string>());
        Assert.Equal(["/README.md"], Paths(await alice.OkAsync("/files/list_folder", new { path = "" })));
        Assert.Equal("hi"u8.ToArray(), await alice.DownloadAsync("/README.md"));
    }

    [Fact]
    public async Task Moves_that_would_overwrite_or_nest_a_folder_in_itself_are_refused()
    {
        var alice = await factory.SignUpAsync();
        await alice.UploadOkAsync("/f/a.txt", "a"u8.ToArray());
        await alice.UploadOkAsync("/b.txt", "b"u8.ToArray());

        var onto = await alice.PostAsync("/files/move", new { from_path = "/b.txt", to_path = "/f/a.txt" });
        var into = await alice.PostAsync("/files/move", new { from_path = "/f", to_path = "/f/inner" });
        var missing = await alice.PostAsync("/files/move", new { from_path = "/nope", to_path = "/x" });

        Assert.Equal((HttpStatusCode.Conflict, "to_exists"), (onto.Status, onto.Body["error"]!.GetValue<string>()));
        Assert.Equal((HttpStatusCode.BadRequest, "cant_move_into_itself"), (into.Status, into.Body["error"]!.GetValue<string>()));
        Assert.Equal((HttpStatusCode.NotFound, "not_found"), (missing.Status, missing.Body["error"]!.GetValue<string>()));
        Assert.Equal("a"u8.ToArray(), await alice.DownloadAsync("/f/a.txt"));
        Assert.Equal("b"u8.ToArray(), await alice.DownloadAsync("/b.txt"));
    }

    [Fact]
    public async Task Users_never_see_each_others_files()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        await alice.UploadOkAsync("/secret.txt", "alice only"u8.ToArray());

        Assert.Empty(Paths(await bob.OkAsync("/files/list_folder", new { path = "" })));
        Assert.Equal(HttpStatusCode.NotFound, (await bob.PostAsync("/files/download", new { path = "/secret.txt" })).Status);
        var rev = (await alice.OkAsync("/files/get_metadata", new { path = "/secret.txt" }))["rev"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.NotFound, (await bob.PostAsync("/files/download", new { path = "/secret.txt", rev })).Status);
    }
}
