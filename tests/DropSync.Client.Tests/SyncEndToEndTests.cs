using DropSync.Client.Sync;
using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

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
    public async Task A_case_only_rename_reaches_the_server_and_the_other_device()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Write("readme.txt", "hello");
            a.Write("other.txt", "x");
            await a.SyncAsync();
            await b.SyncAsync();

            File.Move(a.PathOf("readme.txt"), a.PathOf("README.txt"));
            await a.SyncAsync();
            var listing = await a.Api.ListFolderAsync("", true, default);
            Assert.Contains(listing, e => e.Path == "/README.txt");
            Assert.DoesNotContain(listing, e => e.Path == "/readme.txt");

            await b.SyncAsync();
            Assert.Equal(["README.txt", "other.txt"], b.Files());
            Assert.Equal("hello", b.Read("README.txt"));
        }
    }

    [Fact]
    public async Task A_case_only_rename_of_a_folder_reaches_the_server_and_is_replayed_as_a_local_rename()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Write("wdmoved/a.txt", "a");
            a.Write("wdmoved/sub/b.txt", "b");
            a.Write("keep.txt", "keep");
            await a.SyncAsync();
            await b.SyncAsync();

            Directory.Move(a.PathOf("wdmoved"), a.PathOf("WDMoved"));
            var renamed = await a.SyncAsync();
            Assert.Empty(renamed.Errors);
            Assert.Equal(0, renamed.FilesUploaded);
            var server = (await a.Api.ListFolderAsync("", true, default)).Select(e => e.Path).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(["/WDMoved", "/WDMoved/a.txt", "/WDMoved/sub", "/WDMoved/sub/b.txt", "/keep.txt"], server);

            b.Counter.Reset();
            var follow = await b.SyncAsync();
            Assert.Empty(follow.Errors);
            Assert.Equal(0, follow.FilesDownloaded);
            Assert.Equal(0, b.Counter.Received);
            Assert.Equal(["WDMoved/a.txt", "WDMoved/sub/b.txt", "keep.txt"], b.Files());

            // Settled on both devices.
            foreach (var d in new[] { a, b, a })
            {
                var idle = await d.SyncAsync();
                Assert.Equal(0, idle.FilesUploaded + idle.FilesDownloaded + idle.Moved + idle.DeletedLocal + idle.DeletedRemote);
            }

            Assert.Equal(b.Files(), a.Files());
        }
    }

    [Fact]
    public async Task A_case_only_rename_of_a_large_file_is_replayed_as_a_local_rename()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            var data = TestData.RandomBytes(3 * 1024 * 1024, 41);
            a.Write("big-renamed.bin", data);
            await a.SyncAsync();
            await b.SyncAsync();
            var mtime = File.GetLastWriteTimeUtc(b.PathOf("big-renamed.bin"));

            File.Move(a.PathOf("big-renamed.bin"), a.PathOf("BIG-renamed.bin"));
            var renamed = await a.SyncAsync();
            Assert.Equal(1, renamed.Moved);
            Assert.Equal(0, renamed.FilesUploaded);

            b.Counter.Reset();
            var follow = await b.SyncAsync();
            Assert.Equal(1, follow.Moved);
            Assert.Equal(0, follow.FilesDownloaded);
            Assert.Equal(0, follow.BytesDownloaded);
            Assert.Equal(0, follow.BytesReusedLocally);
            Assert.Equal(0, b.Counter.Received);
            Assert.Equal(["BIG-renamed.bin"], b.Files());
            // Renamed, not written anew: the file keeps its modification time.
            Assert.Equal(mtime, File.GetLastWriteTimeUtc(b.PathOf("BIG-renamed.bin")));
            Assert.Equal(data, File.ReadAllBytes(b.PathOf("BIG-renamed.bin")));

            var idle = await b.SyncAsync();
            Assert.Equal(0, idle.FilesDownloaded + idle.FilesUploaded + idle.Moved);
        }
    }

    [Fact]
    public async Task A_conflicting_sync_counts_the_upload_it_sent_and_the_download_it_fetched()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Write("shared.txt", "base");
            a.Write("large.bin", TestData.RandomBytes(2 * 1024 * 1024, 5));
            await a.SyncAsync();
            await b.SyncAsync();

            a.Write("shared.txt", "edit from laptop");
            var large = TestData.RandomBytes(2 * 1024 * 1024, 6);
            a.Write("large.bin", large);
            await a.SyncAsync();
            b.Write("shared.txt", "desktop: 13 b");
            b.Write("large.bin", TestData.RandomBytes(2 * 1024 * 1024, 8));
            var report = await b.SyncAsync();

            Assert.Equal(2, report.Conflicts.Count);
            Assert.Empty(report.Errors);
            // Both local versions went up (the server kept them as conflicted copies) and both server versions came down.
            Assert.Equal(2, report.FilesUploaded);
            Assert.InRange(report.BytesUploaded, 13 + 1, 13 + (2 * 1024 * 1024));
            Assert.Equal(2, report.FilesDownloaded);
            Assert.Equal("edit from laptop", b.Read("shared.txt"));
            Assert.Equal(large, File.ReadAllBytes(b.PathOf("large.bin")));
        }
    }

    [Fact]
    public async Task Both_devices_editing_one_file_keeps_both_versions()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Write("shared.txt", "base");
            await a.SyncAsync();
            await b.SyncAsync();

            a.Write("shared.txt", "edit from laptop");
            b.Write("shared.txt", "edit from desktop");
            await a.SyncAsync();
            var report = await b.SyncAsync();

            Assert.Single(report.Conflicts);
            var files = b.Files();
            Assert.Equal(2, files.Count);
            Assert.Equal("edit from laptop", b.Read("shared.txt"));
            var copy = Assert.Single(files, f => f.Contains("conflicted copy from desktop", StringComparison.Ordinal));
            Assert.Equal("edit from desktop", b.Read(copy));

            await a.SyncAsync();
            Assert.Equal(files, a.Files());
            Assert.Equal("edit from desktop", a.Read(copy));
            // Settled: another round changes nothing.
            var settle = await b.SyncAsync();
            Assert.Equal(0, settle.FilesUploaded + settle.FilesDownloaded);
        }
    }

    [Fact]
    public async Task The_same_new_file_created_on_two_devices_becomes_a_conflict_not_an_overwrite()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Write("todo.txt", "laptop's list");
            b.Write("todo.txt", "desktop's list");
            b.Write("same.txt", "identical");
            a.Write("same.txt", "identical");
            await a.SyncAsync();
            var report = await b.SyncAsync();

            Assert.Single(report.Conflicts);
            Assert.Equal("laptop's list", b.Read("todo.txt"));
            var copy = Assert.Single(b.Files(), f => f.StartsWith("todo (conflicted copy", StringComparison.Ordinal));
            Assert.Equal("desktop's list", b.Read(copy));
            Assert.Equal(3, b.Files().Count); // identical content is no conflict
            await a.SyncAsync();
            Assert.Equal(b.Files(), a.Files());
        }
    }

    [Fact]
    public async Task An_edit_wins_over_a_delete_in_either_order()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Write("one.txt", "1");
            a.Write("two.txt", "2");
            a.Write("three.txt", "3");
            await a.SyncAsync();
            await b.SyncAsync();

            // Delete first, then an edit of the deleted file arrives.
            File.Delete(a.PathOf("one.txt"));
            b.Write("one.txt", "1 edited");
            await a.SyncAsync();
            await b.SyncAsync();
            await a.SyncAsync();
            Assert.Equal("1 edited", a.Read("one.txt"));

            // Edit first, then a delete made offline against the old version.
            a.Write("two.txt", "2 edited");
            File.Delete(b.PathOf("two.txt"));
            await a.SyncAsync();
            await b.SyncAsync();
            Assert.Equal("2 edited", b.Read("two.txt"));
            await a.SyncAsync();
            Assert.Equal("2 edited", a.Read("two.txt"));
        }
    }

    [Fact]
    public async Task Offline_edits_on_three_devices_converge()
    {
        var email = await fixture.NewAccountAsync();
        using var a = await fixture.DeviceAsync(email, "a");
        using var b = await fixture.DeviceAsync(email, "b");
        using var c = await fixture.DeviceAsync(email, "c");
        for (var i = 0; i < 5; i++)
        {
            a.Write($"f{i}.txt", $"a{i}");
        }

        await a.SyncAsync();
        await b.SyncAsync();
        await c.SyncAsync();

        a.Write("f0.txt", "a edited f0");
        b.Write("f1.txt", "b edited f1");
        c.Write("new-on-c.txt", "c");
        File.Delete(c.PathOf("f2.txt"));
        foreach (var d in new[] { a, b, c, a, b })
        {
            await d.SyncAsync();
        }

        Assert.Equal(a.Files(), b.Files());
        Assert.Equal(a.Files(), c.Files());
        Assert.Equal(["f0.txt", "f1.txt", "f3.txt", "f4.txt", "new-on-c.txt"], c.Files());
        Assert.Equal("b edited f1", c.Read("f1.txt"));
        Assert.Equal("a edited f0", b.Read("f0.txt"));
    }

    [Fact]
    public async Task A_file_and_a_folder_of_the_same_name_are_both_kept()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Write("thing", "a file");
            b.Write("thing/inside.txt", "in a folder");
            await a.SyncAsync();
            var report = await b.SyncAsync();
            Assert.NotEmpty(report.Conflicts);
            Assert.Equal("a file", b.Read("thing"));
            Assert.Equal("in a folder", b.Read("thing (folder conflict)/inside.txt"));
            await a.SyncAsync();
            Assert.Equal(b.Files(), a.Files());
        }
    }

    [Fact]
    public async Task Two_local_names_differing_only_by_case_are_both_kept_and_the_sync_completes()
    {
        if (OperatingSystem.IsWindows() || OperatingSystem.IsMacOS())
        {
            return; // Such a pair cannot exist on a case-insensitive file system.
        }

        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Write("f/Case.txt", "a");
            a.Write("f/case.txt", "b");
            a.Write("other.txt", "o");
            var report = await a.SyncAsync();

            Assert.Empty(report.Errors);
            var conflict = Assert.Single(report.Conflicts);
            Assert.Contains("(case conflict)", conflict, StringComparison.Ordinal);
            var files = a.Files();
            Assert.Equal(3, files.Count);
            var renamed = Assert.Single(files, f => f.Contains(" (case conflict).txt", StringComparison.Ordinal));
            var kept = Assert.Single(files, f => f is "f/Case.txt" or "f/case.txt");
            Assert.Equal(["a", "b"], new[] { a.Read(renamed), a.Read(kept) }.Order(StringComparer.Ordinal));

            await b.SyncAsync();
            Assert.Equal(files, b.Files());
            var idle = await a.SyncAsync();
            Assert.Equal(0, idle.FilesUploaded + idle.FilesDownloaded + idle.Conflicts.Count);
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

    [Fact]
    public async Task A_one_byte_insert_in_a_large_file_sends_and_fetches_only_a_few_blocks()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            var data = TestData.RandomBytes(20 * 1024 * 1024, 11);
            a.Write("big.bin", data);
            await a.SyncAsync();
            await b.SyncAsync();

            var edited = new byte[data.Length + 1];
            data.AsSpan(0, data.Length / 2).CopyTo(edited);
            edited[data.Length / 2] = 42;
            data.AsSpan(data.Length / 2).CopyTo(edited.AsSpan(data.Length / 2 + 1));
            a.Write("big.bin", edited);
            a.Counter.Reset();
            await a.SyncAsync();
            Assert.InRange(a.Counter.Sent, 1, 8L * 1024 * 1024);

            b.Counter.Reset();
            var down = await b.SyncAsync();
            Assert.InRange(b.Counter.Received, 1, 8L * 1024 * 1024);
            Assert.True(down.BytesReusedLocally >= 12L * 1024 * 1024);
            Assert.Equal(edited, File.ReadAllBytes(b.PathOf("big.bin")));
        }
    }

    [Fact]
    public async Task An_interrupted_upload_resumes_and_sends_only_the_rest()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            var data = TestData.RandomBytes(24 * 1024 * 1024, 21);
            a.Write("video.bin", data);
            using var cancel = new CancellationTokenSource();
            a.Counter.CancelAfterBlocks = (8, cancel);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a.SyncAsync(ct: cancel.Token, blockParallelism: 1));
            var first = a.Counter.Sent;
            Assert.InRange(first, 1, data.Length / 2);

            a.Counter.CancelAfterBlocks = null;
            a.Counter.Reset();
            var report = await a.SyncAsync(blockParallelism: 1);
            Assert.Equal(1, report.FilesUploaded);
            Assert.Equal(data.Length - first, a.Counter.Sent);

            await b.SyncAsync();
            Assert.Equal(data, File.ReadAllBytes(b.PathOf("video.bin")));
        }
    }

    [Fact]
    public async Task An_interrupted_download_resumes_and_fetches_only_the_rest()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            var data = TestData.RandomBytes(24 * 1024 * 1024, 31);
            a.Write("disk.img", data);
            await a.SyncAsync();

            using var cancel = new CancellationTokenSource();
            b.Counter.CancelAfterBlocks = (8, cancel);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b.SyncAsync(ct: cancel.Token, blockParallelism: 1));
            var first = b.Counter.Received;
            Assert.InRange(first, 1, data.Length / 2);
            Assert.False(b.Exists("disk.img"));

            b.Counter.CancelAfterBlocks = null;
            b.Counter.Reset();
            var report = await b.SyncAsync(blockParallelism: 1);
            Assert.Equal(1, report.FilesDownloaded);
            // Only the rest comes down; the block whose response was cut off by the cancel (at most one, ≤ 4 MiB) again.
            Assert.InRange(b.Counter.Received, data.Length - first, data.Length - first + (4 * 1024 * 1024));
            Assert.True(b.Counter.Received < data.Length * 3 / 4);
            Assert.Equal(data, File.ReadAllBytes(b.PathOf("disk.img")));
        }
    }
}
