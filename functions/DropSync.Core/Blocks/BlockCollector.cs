using DropSync.Core.Files;
using DropSync.Core.Ports;
using DropSync.Core.Retention;

namespace DropSync.Core.Blocks;

/// <summary>
/// Garbage collection: forgets history past the retention policy (<see cref="HistoryCollector"/>), expires abandoned
/// upload sessions, then deletes blocks that no revision and no live session
/// references once they have been unreferenced for the grace period, and sweeps stored bytes the index never recorded
/// (left by a crash between writing a block and recording it).
/// </summary>
public sealed class BlockCollector(IBlockStore store, IBlockIndex index, IUploadSessionStore sessions, BlockLocks locks, HistoryCollector history, DropSyncOptions options, TimeProvider clock)
{
    public sealed record Report(int ExpiredSessions, int CollectedBlocks, int SweptOrphans)
    {
        public int ForgottenRevisions { get; init; }

        public int ForgottenEntries { get; init; }
    }

    public async Task<Report> RunOnceAsync(CancellationToken ct)
    {
        var forgotten = await history.RunOnceAsync(ct);
        var now = clock.GetUtcNow();
        var cutoff = now - options.BlockGracePeriod;
        var expired = await sessions.DeleteExpiredAsync(now, ct);

        var collected = 0;
        var looked = 0;
        while (looked < options.CollectionMaxBlocksPerRun)
        {
            var want = Math.Min(500, options.CollectionMaxBlocksPerRun - looked);
            var batch = await index.ListUnreferencedAsync(cutoff, now, want, ct);
            looked += batch.Count;
            var removedThisRound = 0;
            foreach (var block in batch)
            {
                using (await locks.AcquireAsync(block.Hash, ct))
                {
                    if (await index.TryForgetAsync(block.Hash, now, ct))
                    {
                        await store.DeleteAsync(block.Hash, ct);
                        await index.CompleteForgetAsync(block.Hash, ct);
                        removedThisRound++;
                    }
                }
            }

            collected += removedThisRound;
            if (batch.Count < want || removedThisRound == 0)
            {
                break;
            }
        }

        var swept = options.SweepUnrecordedBlocks ? await SweepAsync(cutoff, ct) : 0;
        return new Report(expired, collected, swept) { ForgottenRevisions = forgotten.ForgottenRevisions, ForgottenEntries = forgotten.ForgottenEntries };
    }

    /// <summary>Deletes stored bytes older than the cutoff that the index never recorded: lists the whole store.</summary>
    private async Task<int> SweepAsync(DateTimeOffset cutoff, CancellationToken ct)
    {
        var swept = 0;
        await foreach (var (hash, writtenAt) in store.ListAsync(ct))
        {
            if (writtenAt >= cutoff)
            {
                continue;
            }

            using (await locks.AcquireAsync(hash, ct))
            {
                if (!await index.IsKnownAsync(hash, ct))
                {
                    await store.DeleteAsync(hash, ct);
                    swept++;
                }
            }
        }

        return swept;
    }
}
