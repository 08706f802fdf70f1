using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

/// <summary>Names that differ only by case: a rename of a file, a folder or a large file, and two such local names side by side.</summary>
[Collection("server")]
public sealed class CaseRenameSyncTests(ServerFixture fixture)
{
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
}
