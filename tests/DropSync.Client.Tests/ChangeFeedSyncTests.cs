using System.Diagnostics;
using DropSync.Client.Sync;
using DropSync.Client.Tests.Infrastructure;
using static DropSync.Testing.Eventually;

namespace DropSync.Client.Tests;

[Collection("server")]
public sealed class ChangeFeedSyncTests(ServerFixture fixture)
{
    [Fact]
    public async Task An_offline_device_catches_up_by_cursor_without_listing_and_replays_moves_as_renames()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            var big = TestData.RandomBytes(200_000, 1);
            a.Write("keep.txt", "keep");
            a.Write("edit.txt", "v1");
            a.Write("gone.txt", "gone");
            a.Write("Photos/big.bin", big);
            a.Write("Trip/one.bin", TestData.RandomBytes(50_000, 2));
            a.Write("Trip/Deep/two.bin", TestData.RandomBytes(60_000, 3));
            a.Write("Old/x.txt", "x");
            a.Write("Old/Sub/y.txt", "y");
            await a.SyncAsync();
            await b.SyncAsync();
            Assert.Equal(1, b.Source.FullListings);

            // B is offline while A (and the API directly) changes things.
            a.Write("edit.txt", "v2 edited");
            a.Write("new.txt", "brand new");
            File.Delete(a.PathOf("gone.txt"));
            await a.SyncAsync();
            await a.Api.MoveAsync("/Photos/big.bin", "/Archive/big-renamed.bin", default);
            await a.Api.MoveAsync("/Trip", "/Holidays/Trip 2025", default);
            await a.Api.DeleteAsync("/Old", default);

            b.Counter.Reset();
            b.Source.PageSize = 2; // Several pages: has_more is followed.
            var report = await b.SyncAsync();

            Assert.Equal(0, b.Counter.Requests("/files/list_folder"));
            Assert.True(b.Counter.Requests("/files/list_folder/continue") >= 3);
            Assert.Equal(1, b.Source.FullListings);
            Assert.Empty(report.Errors);
            Assert.Equal(
                ["Archive/big-renamed.bin", "Holidays/Trip 2025/Deep/two.bin", "Holidays/Trip 2025/one.bin", "edit.txt", "keep.txt", "new.txt"],
                b.Files());
            Assert.Equal("v2 edited", b.Read("edit.txt"));
            Assert.Equal(big, File.ReadAllBytes(b.PathOf("Archive/big-renamed.bin")));
            // The moves were renames: only the edited and the new file came down.
            Assert.Equal(3, report.Moved);
            Assert.Equal(2, report.FilesDownloaded);
            Assert.True(b.Counter.Received < 100, $"received {b.Counter.Received} bytes");
            Assert.False(Directory.Exists(b.PathOf("Old")));
            Assert.False(Directory.Exists(b.PathOf("Trip")));

            // And the next sync is one continue with nothing in it.
            b.Counter.Reset();
            var idle = await b.SyncAsync();
            Assert.Equal(0, idle.FilesDownloaded + idle.FilesUploaded + idle.Moved);
            Assert.Equal(0, b.Counter.Requests("/files/list_folder"));
            Assert.Equal(1, b.Counter.Requests("/files/list_folder/continue"));
        }
    }

    [Fact]
    public async Task A_listing_cut_off_part_way_goes_on_from_its_last_stored_page_next_time()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Write("first.txt", "first");
            await a.SyncAsync();
            await b.SyncAsync();
            for (var i = 0; i < 9; i++)
            {
                a.Write($"f{i}.txt", $"file {i}");
            }

            await a.SyncAsync();

            // B's listing of the nine new files comes two to a page (the first continue and two more), and the
            // connection is lost at the fourth.
            b.Source.PageSize = 2;
            b.Source.StoreEvery = 2;
            b.Counter.ContinuesBeforeLostConnection = 3;
            using var index = LocalIndex.Open(b.Folder);
            var before = index.GetSetting(LocalIndex.RemoteCursorSetting);
            await Assert.ThrowsAsync<HttpRequestException>(() => b.Source.GetSnapshotAsync(index, default));

            // The three pages it had are stored, with the cursor after them.
            Assert.Equal(7, index.LoadRemote().Count);
            Assert.NotEqual(before, index.GetSetting(LocalIndex.RemoteCursorSetting));

            b.Counter.Reset();
            var tree = await b.Source.GetSnapshotAsync(index, default);
            Assert.Equal(
                Enumerable.Range(0, 9).Select(i => $"/f{i}.txt").Append("/first.txt").Order(StringComparer.Ordinal),
                tree.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(1, b.Source.FullListings);
            Assert.Equal(0, b.Counter.Requests("/files/list_folder"));
            // The two pages left (two files, then one), not the nine files again.
            Assert.Equal(2, b.Counter.Requests("/files/list_folder/continue"));
            Assert.Equal(10, index.LoadRemote().Count);
        }
    }

    [Fact]
    public async Task A_rejected_cursor_or_a_reset_falls_back_to_a_full_listing_and_recovers()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Write("one.txt", "1");
            a.Write("two.txt", "2");
            await a.SyncAsync();
            await b.SyncAsync();

            // A cursor the server does not accept (corrupted in the index).
            using (var index = LocalIndex.Open(b.Folder))
            {
                index.SetSetting(LocalIndex.RemoteCursorSetting, "not-a-cursor");
            }

            a.Write("three.txt", "3");
            File.Delete(a.PathOf("one.txt"));
            await a.SyncAsync();
            b.Counter.Reset();
            var recovered = await b.SyncAsync();
            Assert.Empty(recovered.Errors);
            Assert.Equal(2, b.Source.FullListings);
            Assert.Equal(1, b.Counter.Requests("/files/list_folder"));
            Assert.Equal(["three.txt", "two.txt"], b.Files());

            // The server's journal compacted past the cursor: 409 reset.
            a.Write("four.txt", "4");
            await a.SyncAsync();
            b.Counter.Reset();
            b.Counter.ResetContinues = 1;
            var reset = await b.SyncAsync();
            Assert.Empty(reset.Errors);
            Assert.Equal(3, b.Source.FullListings);
            Assert.Equal(["four.txt", "three.txt", "two.txt"], b.Files());
            Assert.Equal(1, reset.FilesDownloaded);

            // Back on the cursor afterwards.
            b.Counter.Reset();
            await b.SyncAsync();
            Assert.Equal(0, b.Counter.Requests("/files/list_folder"));
            Assert.Equal(1, b.Counter.Requests("/files/list_folder/continue"));
        }
    }

    [Fact]
    public async Task A_watching_device_gets_a_file_saved_on_another_device_within_a_couple_of_seconds()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            a.Write("existing.txt", "x");
            await a.SyncAsync();
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var errors = new List<string>();
            // The fallback catch-up is 5 minutes away: only the live feed can bring the change in time.
            var watching = new SyncWatcher(b.Engine, b.Source).RunAsync(
                new SyncOptions(), TimeSpan.FromMinutes(5), _ => { }, e => errors.Add(e.Message), stop.Token);
            try
            {
                await WaitUntilAsync(() => b.Exists("existing.txt") && b.Source.Connected, TimeSpan.FromSeconds(15));

                for (var i = 0; i < 3; i++)
                {
                    var text = $"saved on A, round {i}";
                    a.Write("note.txt", text);
                    var sw = Stopwatch.StartNew();
                    await a.SyncAsync();
                    await WaitUntilAsync(() => b.Exists("note.txt") && SafeRead(b.PathOf("note.txt")) == text, TimeSpan.FromSeconds(3));
                    Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"took {sw.Elapsed}");
                }

                Assert.True(b.Source.Events >= 3);
                Assert.Empty(errors);
            }
            finally
            {
                await stop.CancelAsync();
                await watching;
            }
        }
    }

    [Fact]
    public async Task Many_small_files_go_up_in_a_few_batched_requests()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            for (var i = 0; i < 300; i++)
            {
                a.Write($"dir{i % 7}/file{i}.txt", $"content {i}");
            }

            a.Write("large.bin", TestData.RandomBytes(1_500_000, 9));
            a.Counter.Reset();
            var up = await a.SyncAsync();

            Assert.Empty(up.Errors);
            Assert.Equal(301, up.FilesUploaded);
            Assert.InRange(a.Counter.Requests("/files/upload_batch"), 1, 8);
            var down = await b.SyncAsync();
            Assert.Equal(301, down.FilesDownloaded);
            Assert.Equal("content 123", b.Read("dir4/file123.txt"));

            // Idle: nothing goes up again.
            a.Counter.Reset();
            var idle = await a.SyncAsync();
            Assert.Equal(0, idle.FilesUploaded);
            Assert.Equal(0, a.Counter.Requests("/files/upload_batch"));
        }
    }

    private static string? SafeRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
