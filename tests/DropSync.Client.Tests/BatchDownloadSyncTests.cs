using DropSync.Client.Api;
using DropSync.Client.Sync;
using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

/// <summary>Small files come down many to a request (/files/download_batch) when the server offers it, one by one when not.</summary>
[Collection("server")]
public sealed class BatchDownloadSyncTests(ServerFixture fixture)
{
    [Fact]
    public async Task Small_files_come_down_in_batches_and_large_ones_alone()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            for (var i = 0; i < 60; i++)
            {
                a.Write($"notes/{i:00}.txt", TestData.RandomBytes(100 + (i * 50), 700 + i));
            }

            a.Write("notes/empty.txt", []);
            var large = TestData.RandomBytes(5 * 1024 * 1024, 799);
            a.Write("large.bin", large);
            Assert.Empty((await a.SyncAsync()).Errors);

            var down = await b.SyncAsync();

            Assert.Empty(down.Errors);
            Assert.Equal(62, down.FilesDownloaded);
            Assert.InRange(b.Counter.Requests("/files/download_batch"), 1, 8);
            // The 5 MiB file is over a batch's per-file limit (one block): it came by itself.
            Assert.Equal(0, b.Counter.Requests("/files/download"));
            Assert.Equal(1, b.Counter.Requests("/files/get_blocks"));
            Assert.Equal(TestData.RandomBytes(100 + (59 * 50), 759), File.ReadAllBytes(b.PathOf("notes/59.txt")));
            Assert.Empty(File.ReadAllBytes(b.PathOf("notes/empty.txt")));
            Assert.Equal(large, File.ReadAllBytes(b.PathOf("large.bin")));
            // Each part file was renamed into place: none is left, next to the files or in the state folder.
            Assert.Empty(Directory.GetFiles(b.Folder, "*.dropsync-part", SearchOption.AllDirectories));
            Assert.Empty((await b.SyncAsync()).Errors);
        }
    }

    [Fact]
    public async Task Without_batch_download_in_config_files_come_one_by_one()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            // What a server from before /files/download_batch advertises (no max_download_batch_files).
            b.Api.ConfigOverride = (await b.Api.GetConfigAsync(default)) with { MaxDownloadBatchFiles = null, MaxDownloadBatchBytes = null };
            for (var i = 0; i < 12; i++)
            {
                a.Write($"few/{i:00}.txt", $"file {i}");
            }

            await a.SyncAsync();

            var down = await b.SyncAsync();

            Assert.Empty(down.Errors);
            Assert.Equal(12, down.FilesDownloaded);
            Assert.Equal(0, b.Counter.Requests("/files/download_batch"));
            Assert.Equal(12, b.Counter.Requests("/files/download"));
            Assert.Equal("file 11", b.Read("few/11.txt"));
        }
    }

    [Fact]
    public async Task A_part_file_left_by_an_interrupted_run_is_replaced_not_written_over()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            var content = TestData.RandomBytes(3000, 811);
            a.Write("notes/stale.txt", content);
            Assert.Empty((await a.SyncAsync()).Errors);
            // The part file the download writes next to the file, left longer than the file by an earlier run.
            var part = PartFiles.InFolder(b.PathOf("notes/stale.txt"), SyncEngine.KeyOf("/notes/stale.txt"));
            Directory.CreateDirectory(Path.GetDirectoryName(part)!);
            File.WriteAllBytes(part, TestData.RandomBytes(9000, 812));

            var down = await b.SyncAsync();

            Assert.Empty(down.Errors);
            Assert.Equal(1, down.FilesDownloaded);
            Assert.Equal(content, File.ReadAllBytes(b.PathOf("notes/stale.txt")));
            Assert.False(File.Exists(part));
            Assert.Empty(Directory.GetFiles(b.Folder, "*.dropsync-part", SearchOption.AllDirectories));
        }
    }

    [Fact]
    public async Task The_server_advertises_batch_download_limits()
    {
        using var device = await fixture.DeviceAsync(await fixture.NewAccountAsync(), "config");
        var config = await device.Api.GetConfigAsync(default);
        Assert.Equal(Core.Files.DownloadBatches.MaxFiles, config.MaxDownloadBatchFiles);
        Assert.Equal(16L * 1024 * 1024, config.MaxDownloadBatchBytes);
    }
}
