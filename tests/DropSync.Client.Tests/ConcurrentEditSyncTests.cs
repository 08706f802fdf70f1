using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

/// <summary>Devices changing the same thing between syncs: both versions are kept, an edit wins over a delete, offline devices converge.</summary>
[Collection("server")]
public sealed class ConcurrentEditSyncTests(ServerFixture fixture)
{
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
}
