using System.Diagnostics;
using DropSync.Client.Sync;
using DropSync.Client.Tests.Infrastructure;
using static DropSync.Testing.Eventually;

namespace DropSync.Client.Tests;

/// <summary>`sync --watch`: when its passes run, and that its safety nets hold across passes.</summary>
[Collection("server")]
public sealed class WatcherTests(ServerFixture fixture)
{
    private static async Task<int> ServerFileCountAsync(Device d) => (await d.Api.ListFolderAsync("", true, default)).Count(e => e.IsFile);

    [Fact]
    public async Task A_folder_emptied_over_several_passes_trips_the_mass_deletion_net_on_the_cumulative_count()
    {
        var (a, _) = await fixture.TwoDevicesAsync();
        using (a)
        {
            for (var i = 0; i < 40; i++)
            {
                a.Write($"file{i:00}.txt", $"content {i}");
            }

            await a.SyncAsync();
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            var watching = new SyncWatcher(a.Engine, a.Source).RunAsync(new SyncOptions(), TimeSpan.FromMinutes(5), _ => { }, _ => { }, stop.Token);
            try
            {
                // A drive going away, or an rm -rf the watcher reacts to mid-way: 8 files a pass. Each pass alone deletes
                // less than half of what is left; together they would empty the folder.
                var deleted = 0;
                Exception? stopped = null;
                for (var batch = 0; batch < 5 && stopped is null; batch++)
                {
                    for (var i = 0; i < 8; i++, deleted++)
                    {
                        File.Delete(a.PathOf($"file{deleted:00}.txt"));
                    }

                    var sw = Stopwatch.StartNew();
                    while (stopped is null && await ServerFileCountAsync(a) != 40 - deleted)
                    {
                        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"batch {batch} did not reach the server");
                        if (watching.IsCompleted)
                        {
                            stopped = await Record.ExceptionAsync(() => watching);
                        }

                        await Task.Delay(50);
                    }
                }

                var safety = Assert.IsType<SyncSafetyException>(stopped);
                // The third batch (24 of the 40 files synced when the deleting started) is more than half: not sent.
                Assert.Equal(24, await ServerFileCountAsync(a));
                Assert.Contains("would delete 8 of the 24 synced files (8 on the server, 0 in", safety.Message, StringComparison.Ordinal);
                Assert.Contains("24 of the 40 files", safety.Message, StringComparison.Ordinal);
                Assert.Contains("--force", safety.Message, StringComparison.Ordinal);
            }
            finally
            {
                await stop.CancelAsync();
                await Record.ExceptionAsync(() => watching);
            }
        }
    }

    [Fact]
    public async Task The_mass_deletion_message_counts_files_in_deleted_folders_on_the_server_side()
    {
        var (a, _) = await fixture.TwoDevicesAsync();
        using (a)
        {
            for (var i = 0; i < 7; i++)
            {
                a.Write($"Photos/p{i}.jpg", $"photo {i}");
            }

            a.Write("one.txt", "1");
            a.Write("two.txt", "2");
            a.Write("three.txt", "3");
            await a.SyncAsync();

            Directory.Delete(a.PathOf("Photos"), recursive: true);
            var stop = await Assert.ThrowsAsync<SyncSafetyException>(() => a.SyncAsync());

            Assert.Contains("would delete 7 of the 10 synced files (7 on the server, 0 in", stop.Message, StringComparison.Ordinal);
            Assert.Equal(10, await ServerFileCountAsync(a));
        }
    }

    [Fact]
    public async Task A_burst_of_local_changes_is_synced_in_one_pass_once_it_settles()
    {
        var (a, _) = await fixture.TwoDevicesAsync();
        using (a)
        {
            a.Write("existing.txt", "x");
            await a.SyncAsync();
            var reports = new System.Collections.Concurrent.ConcurrentQueue<SyncReport>();
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            // Quiet for 1 s, not the default 150 ms: under load a 100 ms pause between two copies can stretch past 150 ms,
            // and the test is about a pass waiting for the burst to end, not about the default's length.
            var watcher = new SyncWatcher(a.Engine, a.Source) { QuietPeriod = TimeSpan.FromSeconds(1) };
            var watching = watcher.RunAsync(new SyncOptions(), TimeSpan.FromMinutes(5), reports.Enqueue, _ => { }, stop.Token);
            try
            {
                // Connecting to the live feed wakes a catch-up pass of its own: let it be done first.
                await WaitUntilAsync(() => !reports.IsEmpty && a.Source.Connected, TimeSpan.FromSeconds(10));
                await Task.Delay(500);

                // A copy of 20 files that takes 2 s: a pass in the middle of it would read half a copy.
                for (var i = 0; i < 20; i++)
                {
                    a.Write($"copy/f{i}.txt", $"copied {i}");
                    await Task.Delay(100);
                }

                await WaitUntilAsync(() => reports.Sum(r => r.FilesUploaded) >= 20, TimeSpan.FromSeconds(20));
                Assert.Equal(1, reports.Count(r => r.FilesUploaded > 0));
                Assert.Equal(21, await ServerFileCountAsync(a));
            }
            finally
            {
                await stop.CancelAsync();
                await watching;
            }
        }
    }

    [Fact]
    public async Task A_file_saved_while_a_pass_downloads_is_synced_right_after_that_pass()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Write("existing.txt", "x");
            await a.SyncAsync();
            var saved = 0;
            // Saved on B while B is downloading big.bin: after the pass's scan, so only a later pass can see it.
            var progress = new Progress(p =>
            {
                if (p.CurrentPath?.Contains("big.bin", StringComparison.Ordinal) == true && Interlocked.Exchange(ref saved, 1) == 0)
                {
                    b.Write("during.txt", "saved during a download");
                }
            });
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            // The catch-up is 5 minutes away: only the event seen during the pass can bring the file up in time.
            var watching = new SyncWatcher(b.Engine, b.Source).RunAsync(
                new SyncOptions { Progress = progress }, TimeSpan.FromMinutes(5), _ => { }, _ => { }, stop.Token);
            try
            {
                await WaitUntilAsync(() => b.Exists("existing.txt") && b.Source.Connected, TimeSpan.FromSeconds(15));
                a.Write("big.bin", TestData.RandomBytes(6 * 1024 * 1024, 77));
                await a.SyncAsync();

                await WaitUntilAsync(() => Volatile.Read(ref saved) == 1, TimeSpan.FromSeconds(15));
                var sw = Stopwatch.StartNew();
                while (!(await a.Api.ListFolderAsync("", true, default)).Any(e => e.Path == "/during.txt"))
                {
                    Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15), "the file saved during the pass was not synced");
                    await Task.Delay(100);
                }
            }
            finally
            {
                await stop.CancelAsync();
                await watching;
            }
        }
    }

    private sealed class Progress(Action<TransferProgress> report) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value) => report(value);
    }
}
