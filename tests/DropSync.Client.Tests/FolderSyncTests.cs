using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

/// <summary>Folders as things of their own: created and deleted on either side, empty or not.</summary>
[Collection("server")]
public sealed class FolderSyncTests(ServerFixture fixture)
{
    private static async Task<List<string>> ServerPathsAsync(Device d) =>
        (await d.Api.ListFolderAsync("", true, default)).Select(e => e.Path + (e.IsFolder ? "/" : "")).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task A_folder_renamed_here_is_one_move_on_the_server_and_what_was_added_there_meanwhile_moves_with_it()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            for (var i = 0; i < 30; i++)
            {
                a.Write($"Old/f{i}.txt", $"file {i}");
            }

            a.Write("Old/Sub/deep.txt", "deep");
            a.Write("keep.txt", "keep");
            await a.SyncAsync();
            await b.SyncAsync();
            // Another device adds a file to the folder, which this one has not seen yet when it renames the folder.
            b.Write("Old/from-b.txt", "b's");
            await b.SyncAsync();

            Directory.Move(a.PathOf("Old"), a.PathOf("New"));
            a.Counter.Reset();
            var renamed = await a.SyncAsync();
            Assert.Empty(renamed.Errors);
            Assert.Equal(1, a.Counter.Requests("/files/move"));
            Assert.Equal(31, renamed.Moved);
            Assert.Equal(0, renamed.FilesUploaded + renamed.DeletedRemote + renamed.DeletedLocal);
            Assert.Equal(0, a.Counter.Sent);
            var server = await ServerPathsAsync(a);
            Assert.DoesNotContain(server, p => p.StartsWith("/Old", StringComparison.Ordinal));
            Assert.Contains("/New/from-b.txt", server);
            Assert.Contains("/New/Sub/deep.txt", server);

            // The next sync brings the other device's file down under the new name; then nothing is left to do.
            var next = await a.SyncAsync();
            Assert.Equal(1, next.FilesDownloaded);
            Assert.Equal("b's", a.Read("New/from-b.txt"));
            var idle = await a.SyncAsync();
            Assert.Equal(0, idle.FilesUploaded + idle.FilesDownloaded + idle.Moved + idle.DeletedLocal + idle.DeletedRemote);

            var follow = await b.SyncAsync();
            Assert.Empty(follow.Errors);
            Assert.Equal(0, follow.FilesDownloaded);
            Assert.Equal(32, b.Files().Count(f => f.StartsWith("New/", StringComparison.Ordinal)));
            Assert.DoesNotContain(b.Files(), f => f.StartsWith("Old/", StringComparison.Ordinal));
            Assert.False(Directory.Exists(b.PathOf("Old")));
        }
    }

    [Fact]
    public async Task A_locally_deleted_folder_is_one_delete_on_the_server_and_disappears_from_the_other_device()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Write("keep.txt", "keep");
            a.Write("plainfolder/inner/z.txt", "z");
            a.Write("plainfolder/y.txt", "y");
            await a.SyncAsync();
            await b.SyncAsync();
            Assert.Equal("z", b.Read("plainfolder/inner/z.txt"));

            Directory.Delete(a.PathOf("plainfolder"), recursive: true);
            a.Counter.Reset();
            var deleted = await a.SyncAsync();

            Assert.Empty(deleted.Errors);
            Assert.Equal(["/keep.txt"], await ServerPathsAsync(a));
            Assert.Equal(1, a.Counter.Requests("/files/delete"));
            Assert.Equal(2, deleted.DeletedRemote);
            Assert.False(Directory.Exists(a.PathOf("plainfolder")), "the sync re-created the deleted folder");

            var again = await a.SyncAsync();
            Assert.False(Directory.Exists(a.PathOf("plainfolder")));
            Assert.Equal(0, again.FoldersCreated);

            var follow = await b.SyncAsync();
            Assert.Empty(follow.Errors);
            Assert.Equal(2, follow.DeletedLocal);
            Assert.False(Directory.Exists(b.PathOf("plainfolder")), "the other device kept the deleted folder");
            Assert.Equal(["keep.txt"], b.Files());
            Assert.Equal(["/keep.txt"], await ServerPathsAsync(b));
        }
    }

    [Fact]
    public async Task A_server_side_folder_delete_removes_the_local_folder_but_keeps_unsynced_files()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Write("keep.txt", "keep");
            a.Write("Gone/sub/one.txt", "1");
            a.Write("Kept/two.txt", "2");
            await a.SyncAsync();
            await b.SyncAsync();

            // B writes a file the server has never seen into a folder that is then deleted elsewhere.
            b.Write("Kept/sub/draft.txt", "unsynced draft");
            await a.Api.DeleteAsync("/Gone", default);
            await a.Api.DeleteAsync("/Kept", default);
            var report = await b.SyncAsync();

            Assert.Empty(report.Errors);
            Assert.False(Directory.Exists(b.PathOf("Gone")));
            Assert.Equal("unsynced draft", b.Read("Kept/sub/draft.txt"));
            Assert.False(b.Exists("Kept/two.txt"));
            Assert.Equal(["Kept/sub/draft.txt", "keep.txt"], b.Files());
            Assert.Equal(["/Kept/", "/Kept/sub/", "/Kept/sub/draft.txt", "/keep.txt"], await ServerPathsAsync(b));
        }
    }

    [Fact]
    public async Task Empty_folders_created_and_deleted_locally_reach_the_other_device_and_are_counted()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Write("keep.txt", "keep");
            a.Write("Docs/Deep/plan.md", "plan");
            Directory.CreateDirectory(a.PathOf("Empty/Nested"));
            var up = await a.SyncAsync();
            // Docs, Docs/Deep, Empty and Empty/Nested were created on the server.
            Assert.Equal(4, up.FoldersCreated);
            Assert.Equal(["/Docs/", "/Docs/Deep/", "/Docs/Deep/plan.md", "/Empty/", "/Empty/Nested/", "/keep.txt"], await ServerPathsAsync(a));

            var down = await b.SyncAsync();
            Assert.Equal(4, down.FoldersCreated);
            Assert.True(Directory.Exists(b.PathOf("Empty/Nested")));

            var idle = await a.SyncAsync();
            Assert.Equal(0, idle.FoldersCreated);

            Directory.Delete(a.PathOf("Empty"), recursive: true);
            a.Counter.Reset();
            var deleted = await a.SyncAsync();
            Assert.Empty(deleted.Errors);
            Assert.Equal(1, a.Counter.Requests("/files/delete"));
            Assert.Equal(["/Docs/", "/Docs/Deep/", "/Docs/Deep/plan.md", "/keep.txt"], await ServerPathsAsync(a));
            Assert.False(Directory.Exists(a.PathOf("Empty")));

            await b.SyncAsync();
            Assert.False(Directory.Exists(b.PathOf("Empty")));
            Assert.True(Directory.Exists(b.PathOf("Docs/Deep")));
        }
    }

    [Fact]
    public async Task An_edit_on_the_server_inside_a_locally_deleted_folder_wins_over_the_folder_delete()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Write("keep.txt", "keep");
            a.Write("Project/notes.txt", "v1");
            a.Write("Project/old/x.txt", "x");
            await a.SyncAsync();
            await b.SyncAsync();

            b.Write("Project/notes.txt", "v2 from desktop");
            await b.SyncAsync();
            Directory.Delete(a.PathOf("Project"), recursive: true);
            var report = await a.SyncAsync();

            Assert.Empty(report.Errors);
            Assert.Equal("v2 from desktop", a.Read("Project/notes.txt"));
            Assert.Equal(["/Project/", "/Project/notes.txt", "/keep.txt"], await ServerPathsAsync(a));
            await b.SyncAsync();
            Assert.Equal(["Project/notes.txt", "keep.txt"], b.Files());
            Assert.False(Directory.Exists(b.PathOf("Project/old")));
        }
    }
}
