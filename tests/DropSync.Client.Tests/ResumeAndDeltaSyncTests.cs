using DropSync.Client.Api;
using DropSync.Client.Chunking;
using DropSync.Client.Sync;
using DropSync.Client.Tests.Infrastructure;
using DropSync.Core.Content;

namespace DropSync.Client.Tests;

/// <summary>Only what is missing travels: a one-byte insert in a large file, an interrupted upload or download resumed.</summary>
[Collection("server")]
public sealed class ResumeAndDeltaSyncTests(ServerFixture fixture)
{
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

            // The old version's space is freed behind the sync (ReplacedFiles): nothing of it is left once settled.
            await b.Engine.SettleAsync();
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(b.Folder, LocalIndex.StateFolder, "tmp"), "*.dropsync-old"));
            Assert.Equal(edited, File.ReadAllBytes(b.PathOf("big.bin")));
        }
    }

    [Fact]
    public async Task A_block_of_the_old_version_changed_behind_the_index_is_fetched_not_reused()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            var data = TestData.RandomBytes(20 * 1024 * 1024, 12);
            a.Write("big.bin", data);
            await a.SyncAsync();
            await b.SyncAsync();

            // B's copy changes in its first quarter with its size and mtime kept (a disk error, a tool that restores
            // mtimes): the index still calls it unchanged, so its blocks are offered for reuse, each checked first
            // (by the XXH128 digest the download recorded, or SHA-256).
            var path = b.PathOf("big.bin");
            var mtime = File.GetLastWriteTimeUtc(path);
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
            {
                stream.Position = data.Length / 4;
                stream.Write(TestData.RandomBytes(4096, 13));
            }

            File.SetLastWriteTimeUtc(path, mtime);

            var edited = data.ToArray();
            edited[data.Length * 3 / 4] ^= 0xFF;
            a.Write("big.bin", edited);
            await a.SyncAsync();
            b.Counter.Reset();
            var down = await b.SyncAsync();

            Assert.Equal(edited, File.ReadAllBytes(path));
            // The changed block and the edited one came from the server; the rest was reused.
            Assert.InRange(b.Counter.Received, 2L * 256 * 1024, 10L * 1024 * 1024);
            Assert.True(down.BytesReusedLocally >= 10L * 1024 * 1024, $"{down.BytesReusedLocally} bytes reused");
        }
    }

    [Fact]
    public async Task A_large_file_goes_up_while_it_is_cut_with_its_block_list_in_a_few_parts()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            var data = TestData.RandomBytes(48 * 1024 * 1024, 31);
            a.Write("parts.bin", data);
            a.Counter.Reset();
            var report = await a.SyncAsync();

            Assert.Equal(1, report.FilesUploaded);
            Assert.Equal(data.Length, a.Counter.Sent);
            // ~48 blocks of 1 MiB: one begin, then parts that at least double the list, never a request per block.
            Assert.Equal(1, a.Counter.Requests("/files/upload"));
            Assert.InRange(a.Counter.Requests("/files/upload/blocks"), 0, 5);
            Assert.Equal(1, a.Counter.Requests("/files/upload/finish"));
            // The blocks go up by runs of up to 8 (embedded mode), a few alone where a part's answer overlaps the last.
            Assert.InRange(a.Counter.Requests("/blocks/run"), 48 / 8, 48 / 2);
            // The server advertises the block-list hash, so the client asked for it.
            Assert.StartsWith(ContentHash.BlockListPrefix, (await a.Api.GetMetadataAsync("/parts.bin", default)).ContentHash, StringComparison.Ordinal);
            await b.SyncAsync();
            Assert.Equal(data, File.ReadAllBytes(b.PathOf("parts.bin")));
        }
    }

    [Fact]
    public async Task A_server_without_block_lists_in_parts_gets_the_whole_list_at_begin()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            var data = TestData.RandomBytes(24 * 1024 * 1024, 37);
            a.Write("older.bin", data);
            a.Counter.PlayOlderServer = true;
            a.Counter.Reset();
            var report = await a.SyncAsync();

            Assert.Equal(1, report.FilesUploaded);
            Assert.Equal(data.Length, a.Counter.Sent);
            Assert.Equal(1, a.Counter.Requests("/files/upload"));
            Assert.Equal(0, a.Counter.Requests("/files/upload/blocks"));
            // Nor does it ask for the block-list hash: the revision gets Dropbox's.
            Assert.Equal(ContentHasher.Compute(data), (await a.Api.GetMetadataAsync("/older.bin", default)).ContentHash);
            await b.SyncAsync();
            Assert.Equal(data, File.ReadAllBytes(b.PathOf("older.bin")));
        }
    }

    [Fact]
    public async Task A_device_that_recorded_dropboxs_hash_takes_a_b1_revision_of_the_same_bytes_as_unchanged()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            var data = TestData.RandomBytes(12 * 1024 * 1024, 41);
            a.Write("same.bin", data);
            a.Counter.PlayOlderServer = true;
            await a.SyncAsync();
            a.Counter.PlayOlderServer = false;
            await b.SyncAsync();
            var before = await b.Api.GetMetadataAsync("/same.bin", default);
            Assert.Equal(ContentHasher.Compute(data), before.ContentHash);

            // Another device commits the very same blocks again asking for b1 (nothing to PUT): a new rev, other kind.
            var list = await a.Api.GetBlocksAsync("/same.bin", null, 0, default);
            Assert.False(list.HasMore);
            var specs = list.Blocks.Select(x => new BlockSpec(x.Hash, x.Size)).ToList();
            var session = await a.Api.BeginUploadAsync("/same.bin", data.Length, specs, "overwrite", null, default, blockListHash: true);
            Assert.Empty(session.Missing);
            var after = await a.Api.FinishUploadAsync(session.UploadId, default);
            Assert.StartsWith(ContentHash.BlockListPrefix, after.ContentHash, StringComparison.Ordinal);
            Assert.NotEqual(before.Rev, after.Rev);

            // b derives the b1 value from the block list it recorded: the same bytes, so no download and no conflicted copy.
            b.Counter.Reset();
            var report = await b.SyncAsync();
            Assert.Empty(report.Conflicts);
            Assert.Equal(0, report.FilesDownloaded);
            Assert.Equal(0, b.Counter.BlockGets);
            Assert.Equal(["same.bin"], b.Files());
            Assert.Equal(data, File.ReadAllBytes(b.PathOf("same.bin")));

            // And b's next edit goes up as an update of the b1 revision (its index took the new rev), not a conflict.
            var edited = data.ToArray();
            edited[100] ^= 1;
            b.Write("same.bin", edited);
            var up = await b.SyncAsync();
            Assert.Empty(up.Conflicts);
            Assert.Equal(1, up.FilesUploaded);
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
            // Two block requests: each a run of up to 8 blocks or a block alone.
            a.Counter.CancelAfterBlocks = (2, cancel);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a.SyncAsync(ct: cancel.Token, blockParallelism: 1));
            var first = a.Counter.Sent;
            Assert.InRange(first, 1, data.Length * 3 / 4);

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
            // Cut a third of the way in: inside a run of blocks (embedded mode fetches up to eight per GET).
            b.Counter.CancelAfterReceivedBytes = (data.Length / 3, cancel);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b.SyncAsync(ct: cancel.Token, blockParallelism: 1));
            var first = b.Counter.Delivered;
            Assert.InRange(first, 1, data.Length / 2);
            Assert.False(b.Exists("disk.img"));

            b.Counter.CancelAfterReceivedBytes = null;
            b.Counter.Reset();
            var report = await b.SyncAsync(blockParallelism: 1);
            Assert.Equal(1, report.FilesDownloaded);
            // Only the rest comes down; the block whose bytes were cut off by the cancel (at most one, ≤ 4 MiB) again.
            Assert.InRange(b.Counter.Received, data.Length - first, data.Length - first + (4 * 1024 * 1024));
            Assert.True(b.Counter.Received < data.Length * 3 / 4);
            // And it comes by runs: the server was asked for the stretch still needed (its runs cut from the first block
            // missing), then sent that stretch in run GETs, with at most the stretch's last block alone.
            var stillNeeded = FastCdc.Chunk(data, ChunkerOptions.ForLength(data.Length)).Count(c => c.Offset + c.Size > first);
            var runs = b.Counter.Requests("/blocks/run");
            Assert.True(runs >= 1, $"no run GET for the {stillNeeded} blocks still needed");
            Assert.InRange(b.Counter.BlockGets - runs, 0, 1);
            Assert.True(b.Counter.BlockGets < stillNeeded, $"{b.Counter.BlockGets} block GETs for {stillNeeded} blocks");
            Assert.Equal(data, File.ReadAllBytes(b.PathOf("disk.img")));
        }
    }
    [Fact]
    public async Task A_resumed_download_fetches_a_damaged_kept_block_alone_and_the_rest_by_runs()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            var data = TestData.RandomBytes(24 * 1024 * 1024, 37);
            var chunks = FastCdc.Chunk(data, ChunkerOptions.ForLength(data.Length));
            a.Write("disk.img", data);
            await a.SyncAsync();

            using var cancel = new CancellationTokenSource();
            b.Counter.CancelAfterReceivedBytes = (data.Length / 2, cancel);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b.SyncAsync(ct: cancel.Token, blockParallelism: 1));
            var first = b.Counter.Delivered;
            Assert.True(first > chunks[0].Size + chunks[1].Size, $"the cut came after {first} bytes, before the second block ended");

            // The part file's second block damaged on disk since: it must not be kept, and comes alone by its own URL.
            var part = Directory.GetFiles(Path.Combine(b.Folder, LocalIndex.StateFolder, "tmp"), "*.dropsync-part").Single();
            using (var file = File.OpenHandle(part, FileMode.Open, FileAccess.ReadWrite))
            {
                var one = new byte[1];
                RandomAccess.Read(file, one, chunks[1].Offset + 100);
                one[0] ^= 1;
                RandomAccess.Write(file, one, chunks[1].Offset + 100);
            }

            b.Counter.CancelAfterReceivedBytes = null;
            b.Counter.Reset();
            var report = await b.SyncAsync(blockParallelism: 1);
            Assert.Equal(1, report.FilesDownloaded);
            Assert.Equal(data, File.ReadAllBytes(b.PathOf("disk.img")));
            // The damaged block and the rest (from the block the cut was in), nothing of the blocks kept.
            Assert.InRange(b.Counter.Received, data.Length - first + chunks[1].Size, data.Length - first + chunks[1].Size + (4 * 1024 * 1024));
            var runs = b.Counter.Requests("/blocks/run");
            var singles = b.Counter.BlockGets - runs;
            Assert.True(runs >= 1, "the blocks after the cut came without a run GET");
            // The damaged block alone, and at most the needed stretch's last block.
            Assert.InRange(singles, 1, 2);
        }
    }
}
