using System.Security.Cryptography;
using DropSync.Core.Content;
using DropSync.Embedded.Metadata;

namespace DropSync.Embedded.Tests.Metadata;

/// <summary>
/// WAL checkpoints off the commit path: the writer's commits never checkpoint (SQLite's automatic checkpoint is replaced),
/// a thread of its own does, the WAL stays bounded under a continuous write load, and nothing committed is lost.
/// Small thresholds (in WAL pages) make a few thousand small writes enough.
/// </summary>
public sealed class WalCheckpointerTests : IDisposable
{
    private const int PassiveFrames = 50;
    private const int BoundFrames = 200;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "dropsync-wal-" + Guid.NewGuid().ToString("N"));

    private string DatabasePath => Path.Combine(_folder, "metadata.db");

    [Fact]
    public async Task In_background_mode_no_commit_checkpoints_so_the_WAL_keeps_every_page_until_the_checkpointer_runs()
    {
        // A threshold it never reaches: if a commit still checkpointed (SQLite's automatic way, at 1,000 pages), the WAL would start over.
        using var store = new SqliteMetadataStore(DatabasePath, null, WalCheckpointMode.Background, int.MaxValue, int.MaxValue);
        var written = await WriteBlocksAsync(store, writers: 4, blocksEach: 400);

        Assert.True(store.WalFrames > 1_000, $"the WAL holds {store.WalFrames} pages after {written.Count} blocks");
        Assert.Equal(0, store.WalCheckpoints);
    }

    [Fact]
    public async Task Under_continuous_writes_the_checkpointer_keeps_the_WAL_bounded_and_loses_nothing()
    {
        var blocks = new List<(BlockHash Hash, byte[] Sealed)>();
        long walFramesWritten = 0;
        long maxWalBytes = 0;
        var lines = new List<string>();
        using (var store = new SqliteMetadataStore(DatabasePath, line => { lock (lines) { lines.Add(line); } }, WalCheckpointMode.Background, PassiveFrames, BoundFrames))
        {
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                var previous = 0;
                while (!sampling.IsCancellationRequested)
                {
                    var frames = store.WalFrames;
                    // The page count drops when the WAL starts over: count what was written, not where it stands.
                    walFramesWritten += frames >= previous ? frames - previous : frames;
                    previous = frames;
                    maxWalBytes = Math.Max(maxWalBytes, WalBytes());
                    await Task.Delay(1);
                }
            });

            blocks = await WriteBlocksAsync(store, writers: 8, blocksEach: 400);
            await sampling.CancelAsync();
            await sampler;
            maxWalBytes = Math.Max(maxWalBytes, WalBytes());

            Assert.True(store.WalCheckpoints > 0);
            Assert.True(store.WalPagesCheckpointedInBackground > 0);
            // The load wrote many times the bound through the WAL (at least one page per block), yet the file never grew
            // far past it: the WAL kept starting over. The slack covers the groups committed while a checkpoint ran (or the
            // writer's found the thread's under way) on a loaded machine; without the bound this load grew it to ~8,000 pages.
            Assert.True(blocks.Count > 15 * BoundFrames);
            const long pageWithHeader = 4096 + 24;
            Assert.True(maxWalBytes <= 5 * BoundFrames * pageWithHeader,
                $"the WAL grew to {maxWalBytes / 1024} KiB ({maxWalBytes / pageWithHeader} pages) over {store.WalCheckpoints} checkpoints, {store.WalCheckpointsOnCommit} of them on commit; " +
                $"{walFramesWritten} pages sampled; {string.Join(" | ", lines.TakeLast(3))}");
        }

        // Reopened: every block committed is there (a checkpoint only ever copies committed pages).
        using var reopened = new SqliteMetadataStore(DatabasePath);
        foreach (var (hash, sealedBytes) in blocks)
        {
            Assert.Equal(sealedBytes, await reopened.ReadInlineBlockAsync(hash, CancellationToken.None));
        }
    }

    [Fact]
    public async Task With_pauses_between_bursts_the_checkpoint_thread_alone_lets_the_WAL_start_over()
    {
        // No bound: only the thread checkpoints. (Without the bound, a load with no pause at all grows the WAL for ever:
        // the thread never reaches the WAL's end before the next write. That is what the bound is for.)
        using var store = new SqliteMetadataStore(DatabasePath, null, WalCheckpointMode.Background, PassiveFrames, int.MaxValue);
        var highest = 0;
        var startedOver = 0;
        for (var burst = 0; burst < 20; burst++)
        {
            var before = store.WalFrames;
            await WriteBlocksAsync(store, writers: 1, blocksEach: 20);
            startedOver += store.WalFrames < before ? 1 : 0;
            highest = Math.Max(highest, store.WalFrames);
            await Task.Delay(100);
        }

        Assert.Equal(0, store.WalCheckpointsOnCommit);
        Assert.True(store.WalPagesCheckpointedInBackground > 0);
        Assert.True(startedOver > 0, $"the WAL never started over; it reached {highest} pages");
    }

    [Fact]
    public async Task In_on_commit_mode_commits_checkpoint_as_SQLite_would()
    {
        var lines = new List<string>();
        using var store = new SqliteMetadataStore(DatabasePath, line => { lock (lines) { lines.Add(line); } }, WalCheckpointMode.OnCommit, PassiveFrames, BoundFrames);
        await WriteBlocksAsync(store, writers: 2, blocksEach: 200);

        Assert.True(store.WalCheckpoints > 0);
        Assert.True(store.WalFrames < BoundFrames, $"the WAL holds {store.WalFrames} pages");
        lock (lines)
        {
            Assert.Contains(lines, line => line.StartsWith("metadata checkpoint at ", StringComparison.Ordinal) && line.Contains("PASSIVE on commit", StringComparison.Ordinal));
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private long WalBytes()
    {
        var wal = new FileInfo(DatabasePath + "-wal");
        return wal.Exists ? wal.Length : 0;
    }

    /// <summary>Blocks of 3 KiB from <paramref name="writers"/> concurrent loops, each awaiting its own write before the next.</summary>
    private static async Task<List<(BlockHash Hash, byte[] Sealed)>> WriteBlocksAsync(SqliteMetadataStore store, int writers, int blocksEach)
    {
        var loops = Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            var written = new List<(BlockHash, byte[])>();
            for (var i = 0; i < blocksEach; i++)
            {
                var bytes = RandomNumberGenerator.GetBytes(3 * 1024);
                var hash = BlockHash.Of(bytes);
                await store.PutInlineBlockAsync(hash, bytes, DateTimeOffset.UtcNow, null, CancellationToken.None);
                written.Add((hash, bytes));
            }

            return written;
        }));
        return [.. (await Task.WhenAll(loops)).SelectMany(w => w)];
    }
}
