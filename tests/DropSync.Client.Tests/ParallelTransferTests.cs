using DropSync.Client.Chunking;
using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

/// <summary>
/// Block PUTs and GETs run side by side: a dropped request is retried rather than failing the file, blocks land at
/// their own offsets whatever order they finish in, and a block that keeps failing fails its file, not the sync.
/// </summary>
[Collection("server")]
public sealed class ParallelTransferTests(ServerFixture fixture)
{
    [Fact]
    public async Task Failed_block_puts_and_gets_are_retried_and_the_file_arrives_whole_and_in_order()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            var data = TestData.RandomBytes(12 * 1024 * 1024, 91);
            using var stream = new MemoryStream(data);
            var blocks = (await FastCdc.ChunkAsync(stream)).Count;
            Assert.True(blocks >= 6, $"{blocks} blocks; the test needs several in flight at once");
            a.Write("film.bin", data);

            a.Counter.FailBlockPuts = 3;
            var up = await a.SyncAsync(blockParallelism: 8);
            Assert.Empty(up.Errors);
            Assert.Equal(1, up.FilesUploaded);
            Assert.Equal(0, a.Counter.FailBlockPuts);
            Assert.Equal(data.Length, a.Counter.Sent);

            b.Counter.FailBlockGets = 3;
            var down = await b.SyncAsync(blockParallelism: 8);
            Assert.Empty(down.Errors);
            Assert.Equal(0, b.Counter.FailBlockGets);
            Assert.Equal(data, File.ReadAllBytes(b.PathOf("film.bin")));
        }
    }

    [Fact]
    public async Task A_run_put_that_fails_is_sent_again_block_by_block()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            var data = TestData.RandomBytes(12 * 1024 * 1024, 93);
            a.Write("runs.bin", data);

            // The first block request is the first run (the first part's blocks, all missing): it fails, and its blocks
            // go one by one with their retries.
            a.Counter.Reset();
            a.Counter.FailBlockPuts = 1;
            var up = await a.SyncAsync(blockParallelism: 2);

            Assert.Empty(up.Errors);
            Assert.Equal(0, a.Counter.FailBlockPuts);
            Assert.Equal(data.Length, a.Counter.Sent);
            Assert.InRange(a.Counter.Requests("/blocks/run"), 2, 12);
            await b.SyncAsync();
            Assert.Equal(data, File.ReadAllBytes(b.PathOf("runs.bin")));
        }
    }

    [Fact]
    public async Task A_block_put_that_keeps_failing_fails_its_file_not_the_sync_and_the_next_sync_sends_it()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            var data = TestData.RandomBytes(8 * 1024 * 1024, 92);
            a.Write("big.bin", data);
            a.Write("note.txt", "small files still go up");

            a.Counter.FailBlockPuts = int.MaxValue;
            var failed = await a.SyncAsync(blockParallelism: 4);
            Assert.Contains(failed.Errors, e => e.Contains("big.bin", StringComparison.Ordinal));
            Assert.Equal(1, failed.FilesUploaded);

            a.Counter.FailBlockPuts = 0;
            a.Counter.Reset();
            var retried = await a.SyncAsync(blockParallelism: 4);
            Assert.Empty(retried.Errors);
            Assert.Equal(data.Length, a.Counter.Sent);

            await b.SyncAsync();
            Assert.Equal(data, File.ReadAllBytes(b.PathOf("big.bin")));
            Assert.Equal("small files still go up", b.Read("note.txt"));
        }
    }

    [Fact]
    public async Task Cancelling_a_parallel_download_stops_it_and_leaves_no_partial_file_in_place()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            var data = TestData.RandomBytes(16 * 1024 * 1024, 93);
            a.Write("disk.img", data);
            await a.SyncAsync();

            using var cancel = new CancellationTokenSource();
            b.Counter.CancelAfterReceivedBytes = (data.Length / 4, cancel);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b.SyncAsync(ct: cancel.Token, blockParallelism: 8));
            Assert.False(b.Exists("disk.img"));

            b.Counter.CancelAfterReceivedBytes = null;
            var report = await b.SyncAsync(blockParallelism: 8);
            Assert.Empty(report.Errors);
            Assert.Equal(data, File.ReadAllBytes(b.PathOf("disk.img")));
        }
    }
}
