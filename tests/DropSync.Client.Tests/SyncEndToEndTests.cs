using DropSync.Client.Sync;
using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

/// <summary>
/// Two devices syncing through the server: changes, moves and deletes reach the other device; ignored files stay;
/// a mass deletion waits. Case-only renames, concurrent edits, resume and delta are the *SyncTests classes beside it.
/// </summary>
[Collection("server")]
public sealed class SyncEndToEndTests(ServerFixture fixture)
{
    [Fact]
    public async Task Creates_edits_and_deletes_reach_the_other_device()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Write("notes.txt", "v1");
            a.Write("Docs/Deep/plan.md", "plan");
            Directory.CreateDirectory(a.PathOf("Empty"));
            var up = await a.SyncAsync();
            Assert.Equal(2, up.FilesUploaded);

            var down = await b.SyncAsync();
            Assert.Equal(2, down.FilesDownloaded);
            Assert.Equal("v1", b.Read("notes.txt"));
            Assert.Equal("plan", b.Read("Docs/Deep/plan.md"));
            Assert.True(Directory.Exists(b.PathOf("Empty")));

            // Nothing changed: nothing moves, nothing is re-read.
            var idle = await a.SyncAsync();
            Assert.Equal(0, idle.FilesUploaded + idle.FilesDownloaded);

            a.Write("notes.txt", "v2 longer");
            await a.SyncAsync();
            await b.SyncAsync();
            Assert.Equal("v2 longer", b.Read("notes.txt"));

            File.Delete(b.PathOf("Docs/Deep/plan.md"));
            var del = await b.SyncAsync();
            Assert.Equal(1, del.DeletedRemote);
            var gone = await a.SyncAsync();
            Assert.Equal(1, gone.DeletedLocal);
            Assert.False(a.Exists("Docs/Deep/plan.md"));
            Assert.Equal(["notes.txt"], a.Files());
        }
    }

    [Fact]
    public async Task A_large_file_deleted_on_the_server_is_deleted_here_and_its_space_freed_behind_the_sync()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Write("video.bin", TestData.RandomBytes((int)Transfer.ReplacedFiles.MinSize + 4096, 5));
            a.Write("keep.txt", "keep");
            await a.SyncAsync();
            await b.SyncAsync();
            Assert.True(b.Exists("video.bin"));

            File.Delete(a.PathOf("video.bin"));
            await a.SyncAsync();
            var gone = await b.SyncAsync();

            Assert.Equal(1, gone.DeletedLocal);
            Assert.Equal(["keep.txt"], b.Files());
            await b.Engine.SettleAsync();
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(b.Folder, LocalIndex.StateFolder, "tmp"), "*.dropsync-old"));
        }
    }

    [Fact]
    public async Task A_move_is_a_server_move_and_the_other_device_renames_without_downloading()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Write("report.bin", TestData.RandomBytes(3 * 1024 * 1024, 7));
            a.Write("keep.txt", "keep");
            await a.SyncAsync();
            await b.SyncAsync();

            Directory.CreateDirectory(a.PathOf("Archive"));
            File.Move(a.PathOf("report.bin"), a.PathOf("Archive/report-2026.bin"));
            a.Counter.Reset();
            var moved = await a.SyncAsync();
            Assert.Equal(1, moved.Moved);
            Assert.Equal(0, a.Counter.Sent);

            b.Counter.Reset();
            var follow = await b.SyncAsync();
            Assert.Equal(1, follow.Moved);
            Assert.Equal(0, b.Counter.Received);
            Assert.Equal(["Archive/report-2026.bin", "keep.txt"], b.Files());
            Assert.Equal(TestData.RandomBytes(3 * 1024 * 1024, 7), File.ReadAllBytes(b.PathOf("Archive/report-2026.bin")));
        }
    }

    [Fact]
    public async Task Ignored_files_never_leave_the_device()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Write(".dropsyncignore", "build/\n*.log\n");
            a.Write("src/main.cs", "code");
            a.Write("build/out.dll", "binary");
            a.Write("debug.log", "log");
            a.Write("notes.txt.swp", "vim");
            a.Write("~$report.docx", "word lock");
            a.Write(".DS_Store", "mac");
            // Editors' scratch files: Vim's second swap file and its write test, Emacs's backup and auto-save, LibreOffice's lock.
            a.Write("src/.main.cs.swo", "vim");
            a.Write("src/4913", "");
            a.Write("src/main.cs~", "emacs backup");
            a.Write("src/#main.cs#", "emacs auto-save");
            a.Write(".~lock.report.odt#", "libreoffice");
            // Look-alikes that are content.
            a.Write("movie.swf", "flash");
            a.Write("#tags.txt", "hash");
            await a.SyncAsync();

            var paths = (await a.Api.ListFolderAsync("", true, default)).Where(e => e.IsFile).Select(e => e.Path).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(["/#tags.txt", "/.dropsyncignore", "/movie.swf", "/src/main.cs"], paths);
            await b.SyncAsync();
            Assert.Equal(["#tags.txt", ".dropsyncignore", "movie.swf", "src/main.cs"], b.Files());
        }
    }

    [Fact]
    public async Task Mass_deletion_and_an_emptied_folder_stop_until_forced()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            for (var i = 0; i < 10; i++)
            {
                a.Write($"file{i}.txt", $"content {i}");
            }

            await a.SyncAsync();
            for (var i = 0; i < 7; i++)
            {
                File.Delete(a.PathOf($"file{i}.txt"));
            }

            var stop = await Assert.ThrowsAsync<SyncSafetyException>(() => a.SyncAsync());
            Assert.Contains("--force", stop.Message, StringComparison.Ordinal);
            Assert.Equal(10, (await a.Api.ListFolderAsync("", true, default)).Count(e => e.IsFile));

            // Everything gone (an unmounted drive looks like this): stop too.
            foreach (var f in a.Files())
            {
                File.Delete(a.PathOf(f));
            }

            await Assert.ThrowsAsync<SyncSafetyException>(() => a.SyncAsync());
            Assert.Equal(10, (await a.Api.ListFolderAsync("", true, default)).Count(e => e.IsFile));

            var forced = await a.SyncAsync(force: true);
            Assert.Equal(10, forced.DeletedRemote);
            Assert.DoesNotContain(await a.Api.ListFolderAsync("", true, default), e => e.IsFile);
        }
    }
}
