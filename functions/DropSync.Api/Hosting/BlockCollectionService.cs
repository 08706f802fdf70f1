using DropSync.Core.Blocks;
using DropSync.Core.Files;

namespace DropSync.Api.Hosting;

/// <summary>Runs garbage collection (retention of history, then blocks) at start and every DropSync:CollectionInterval in the embedded server.</summary>
internal sealed partial class BlockCollectionService(BlockCollector collector, DropSyncOptions options, ILogger<BlockCollectionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.CollectionInterval);
        do
        {
            try
            {
                var report = await collector.RunOnceAsync(stoppingToken);
                LogCollected(report.ForgottenRevisions, report.ForgottenEntries, report.ExpiredSessions, report.CollectedBlocks, report.SweptOrphans);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Garbage collection: {ForgottenRevisions} revisions and {ForgottenEntries} deleted entries past the retention policy forgotten, {ExpiredSessions} expired uploads, {CollectedBlocks} blocks collected, {SweptOrphans} orphaned blocks swept")]
    private partial void LogCollected(int forgottenRevisions, int forgottenEntries, int expiredSessions, int collectedBlocks, int sweptOrphans);

    [LoggerMessage(Level = LogLevel.Error, Message = "Garbage collection failed; it will run again at the next interval")]
    private partial void LogFailed(Exception error);
}
