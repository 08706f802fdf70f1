using System.Collections.Concurrent;
using DropSync.Client.Sync;
using DropSync.Client.Tests.Infrastructure;
using static DropSync.Testing.Eventually;

namespace DropSync.Client.Tests;

/// <summary>
/// `sync --watch` reads only what changed: the paths its watcher reported and the server's delta. The whole folder is
/// read at start, after the watcher lost events, and on the slow timer that catches what it never reported.
/// </summary>
[Collection("server")]
public sealed class IncrementalWatchTests(ServerFixture fixture)
{
    private const int Files = 200;

    private static async Task<HashSet<string>> ServerFilesAsync(Device d) =>
        (await d.Api.ListFolderAsync("", true, default)).Where(e => e.IsFile).Select(e => e.Path).ToHashSet(StringComparer.Ordinal);

    private static async Task WaitForServerFileAsync(Device d, string path)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!(await ServerFilesAsync(d)).Contains(path))
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"{path} did not reach the server");
            await Task.Delay(50);
        }
    }

    /// <summary>A device with <see cref="Files"/> files synced, watching; answers once its first (full) pass is done.</summary>
    private static async Task<(Task Watching, ConcurrentQueue<SyncReport> Reports)> WatchAsync(
        Device d, SyncWatcher watcher, CancellationToken ct)
    {
        var reports = new ConcurrentQueue<SyncReport>();
        var watching = watcher.RunAsync(new SyncOptions(), TimeSpan.FromMinutes(5), reports.Enqueue, _ => { }, ct);
        await WaitUntilAsync(() => !reports.IsEmpty && d.Source.Connected, TimeSpan.FromSeconds(20));
        await Task.Delay(500, ct); // The catch-up pass the connection wakes.
        Assert.True(reports.First().FullScans >= 1, "the first pass reads the whole folder");
        reports.Clear();
        return (watching, reports);
    }

    /// <summary>Runs <paramref name="body"/> while both devices watch (each past its first full pass), then stops them.</summary>
    private static async Task WhileBothWatchAsync(Device a, Device b, Func<ConcurrentQueue<SyncReport>, ConcurrentQueue<SyncReport>, Task> body)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var (aWatching, aReports) = await WatchAsync(a, new SyncWatcher(a.Engine, a.Source), stop.Token);
        var (bWatching, bReports) = await WatchAsync(b, new SyncWatcher(b.Engine, b.Source), stop.Token);
        try
        {
            await body(aReports, bReports);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(aWatching, bWatching);
        }
    }

    private static void Fill(Device d)
    {
        for (var i = 0; i < Files; i++)
        {
            d.Write($"d{i % 10}/f{i:000}.txt", $"content {i}");
        }
    }

    [Fact]
    public async Task A_change_the_watcher_reports_is_synced_up_and_down_without_reading_the_whole_folder()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            Fill(a);
            await a.SyncAsync();
            await b.SyncAsync();
            await WhileBothWatchAsync(a, b, async (aReports, bReports) =>
            {
                a.Write("d3/new.txt", "saved on A");
                // Each pass's report comes once the pass is over, after its commits are on the server: wait for both.
                await WaitUntilAsync(
                    () => b.Exists("d3/new.txt") && bReports.Any(r => r.FilesDownloaded > 0) && aReports.Any(r => r.FilesUploaded > 0), TimeSpan.FromSeconds(30));
                Assert.Equal("saved on A", b.Read("d3/new.txt"));

                var up = Assert.Single(aReports, r => r.FilesUploaded > 0);
                Assert.Equal(0, up.FullScans);
                // The file and the folder above it (stat'ed), not the 210 items of the folder.
                Assert.InRange(up.LocalItemsScanned, 1, 5);
                var down = Assert.Single(bReports, r => r.FilesDownloaded > 0);
                Assert.Equal(0, down.FullScans);
                Assert.InRange(down.LocalItemsScanned, 1, 5);

                // An edit, then a delete, each as small.
                a.Write("d4/f004.txt", "edited on A");
                await WaitUntilAsync(() => b.Read("d4/f004.txt") == "edited on A", TimeSpan.FromSeconds(30));
                File.Delete(a.PathOf("d5/f005.txt"));
                await WaitUntilAsync(() => !b.Exists("d5/f005.txt"), TimeSpan.FromSeconds(30));
                Assert.All(aReports.Concat(bReports), r => Assert.Equal(0, r.FullScans));
                Assert.All(aReports.Concat(bReports), r => Assert.InRange(r.LocalItemsScanned, 0, 10));
                Assert.Equal(Files, (await ServerFilesAsync(a)).Count); // 200 + new - deleted: nothing outside the change was touched.
                Assert.Equal(a.Files(), b.Files());
            });
        }
    }

    [Fact]
    public async Task A_folder_renamed_while_watching_is_one_move_up_and_one_rename_down()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            Fill(a);
            await a.SyncAsync();
            await b.SyncAsync();
            await WhileBothWatchAsync(a, b, async (aReports, bReports) =>
            {
                Directory.Move(a.PathOf("d7"), a.PathOf("renamed"));
                await WaitUntilAsync(() => bReports.Sum(r => r.Moved) == Files / 10, TimeSpan.FromSeconds(30));
                Assert.True(b.Exists("renamed/f007.txt") && !Directory.Exists(b.PathOf("d7")));
                Assert.Equal(Files / 10, aReports.Sum(r => r.Moved));
                Assert.Equal(Files / 10, bReports.Sum(r => r.Moved));
                Assert.Equal(0, aReports.Sum(r => r.FilesUploaded) + bReports.Sum(r => r.FilesDownloaded));
                Assert.Equal(0, aReports.Sum(r => r.DeletedRemote) + bReports.Sum(r => r.DeletedLocal));
                Assert.All(aReports.Concat(bReports), r => Assert.Equal(0, r.FullScans));
                Assert.Equal(a.Files(), b.Files());
            });
        }
    }

    [Fact]
    public async Task An_overflow_makes_the_next_pass_read_the_whole_folder_and_find_what_was_missed()
    {
        var (a, _) = await fixture.TwoDevicesAsync();
        using (a)
        {
            Fill(a);
            await a.SyncAsync();
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            // Every event lost, as when the watcher's buffer overflows.
            var watcher = new SyncWatcher(a.Engine, a.Source) { EventFilter = _ => false };
            var (watching, reports) = await WatchAsync(a, watcher, stop.Token);
            try
            {
                a.Write("d1/unreported.txt", "the watcher lost this event");
                await Task.Delay(1000);
                Assert.DoesNotContain("/d1/unreported.txt", await ServerFilesAsync(a));

                watcher.ReportOverflow();
                await WaitForServerFileAsync(a, "/d1/unreported.txt");
                // The pass reports once it is over, a little after its upload is on the server.
                await WaitUntilAsync(() => reports.Any(r => r.FilesUploaded > 0), TimeSpan.FromSeconds(30));
                var full = Assert.Single(reports, r => r.FilesUploaded > 0);
                Assert.Equal(1, full.FullScans);
                Assert.True(full.LocalItemsScanned > Files, $"the whole folder is read ({full.LocalItemsScanned} items)");
            }
            finally
            {
                await stop.CancelAsync();
                await watching;
            }
        }
    }

    [Fact]
    public async Task A_change_outside_what_the_watcher_reported_is_found_by_the_slow_full_walk()
    {
        var (a, _) = await fixture.TwoDevicesAsync();
        using (a)
        {
            Fill(a);
            await a.SyncAsync();
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            // A file system that does not report changes to one file (as a network share may not).
            var watcher = new SyncWatcher(a.Engine, a.Source) { EventFilter = rel => rel != "d2/f002.txt", FullWalkInterval = TimeSpan.FromSeconds(8) };
            var (watching, reports) = await WatchAsync(a, watcher, stop.Token);
            try
            {
                a.Write("d2/f002.txt", "edited, never reported");
                a.Write("d3/reported.txt", "reported");
                await WaitForServerFileAsync(a, "/d3/reported.txt");
                await WaitUntilAsync(() => reports.Any(r => r.FilesUploaded > 0), TimeSpan.FromSeconds(30));
                var incremental = Assert.Single(reports, r => r.FilesUploaded > 0);
                Assert.Equal(0, incremental.FullScans);
                Assert.Equal(1, incremental.FilesUploaded); // Not the unreported edit.

                // The slow timer's full walk finds it.
                await WaitUntilAsync(() => reports.Any(r => r.FullScans == 1 && r.FilesUploaded == 1), TimeSpan.FromSeconds(30));
                using var download = new MemoryStream();
                await a.Api.DownloadAsync("/d2/f002.txt", null, 0, download, default);
                Assert.Equal("edited, never reported", System.Text.Encoding.UTF8.GetString(download.ToArray()));
            }
            finally
            {
                await stop.CancelAsync();
                await watching;
            }
        }
    }
}
