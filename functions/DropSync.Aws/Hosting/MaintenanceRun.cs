using System.Text.Json.Nodes;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.S3;
using DropSync.Core.Blocks;
using Microsoft.Extensions.Logging;

namespace DropSync.Aws.Hosting;

/// <summary>
/// The maintenance function's scheduled run: under the maintenance lease (<see cref="DynamoDbMaintenanceLease"/>, one
/// run at a time), the retention pass and garbage collection (<see cref="BlockCollector"/>), then the reference-count
/// backfill while it is not done, then cold tiering, then the namespaces whose commits were contended get more shards
/// (<see cref="HotNamespaceRaiser"/>). A run that cannot take the lease answers <c>{"skipped":true}</c> at
/// once and logs <see cref="SkippedMarker"/>, which the stack's metric filter counts (MaintenanceRunsSkipped).
/// </summary>
public sealed partial class MaintenanceRun(
    BlockCollector collector,
    DynamoDbMaintenanceLease lease,
    CurrentReferencesBackfill? backfill,
    ColdTiering? tiering,
    HotNamespaceRaiser? raiser,
    ILogger<MaintenanceRun> logger)
{
    /// <summary>The word in the log line of a skipped run (the stack's metric filter matches it).</summary>
    public const string SkippedMarker = "maintenance_run_skipped";

    public async Task<JsonObject> RunAsync(CancellationToken ct)
    {
        var owner = Guid.NewGuid().ToString("N");
        var held = await lease.TryAcquireAsync(owner, ct).ConfigureAwait(false);
        if (held is null)
        {
            LogSkipped(SkippedMarker);
            return new JsonObject { ["skipped"] = true };
        }

        await using (held.ConfigureAwait(false))
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, held.Lost);
            var result = new JsonObject();
            try
            {
                await RunHeldAsync(result, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (held.Lost.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                // The lease expired unrenewed and another run took it: stop rather than work beside it.
                LogLeaseLost(owner);
                result["lease_lost"] = true;
            }

            return result;
        }
    }

    private async Task RunHeldAsync(JsonObject result, CancellationToken ct)
    {
        var report = await collector.RunOnceAsync(ct).ConfigureAwait(false);
        result["expired_sessions"] = report.ExpiredSessions;
        result["collected_blocks"] = report.CollectedBlocks;
        result["swept_orphans"] = report.SweptOrphans;
        result["forgotten_revisions"] = report.ForgottenRevisions;
        result["forgotten_entries"] = report.ForgottenEntries;
        if (backfill is not null)
        {
            var counted = await backfill.RunOnceAsync(ct).ConfigureAwait(false);
            result["backfill_scanned"] = counted.Scanned;
            result["backfill_counted"] = counted.Counted;
            result["backfill_done"] = counted.Done;
        }

        if (tiering is not null)
        {
            var tiered = await tiering.RunOnceAsync(ct).ConfigureAwait(false);
            result["tiering_checked"] = tiered.Checked;
            result["tiering_more"] = tiered.More;
            result["tagged_cold"] = tiered.TaggedCold;
            result["tagged_warm"] = tiered.TaggedWarm;
        }

        if (raiser is not null)
        {
            var hot = await raiser.RunOnceAsync(ct).ConfigureAwait(false);
            result["hot_namespaces"] = hot.OverThreshold;
            result["raised_namespaces"] = new JsonArray(hot.Raised.Select(r => (JsonNode)new JsonObject
            {
                ["namespace_id"] = r.NamespaceId,
                ["retries"] = r.Retries,
                ["from"] = r.From,
                ["to"] = r.To,
            }).ToArray());
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Marker}: another maintenance run holds the lease; this one did nothing")]
    private partial void LogSkipped(string marker);

    [LoggerMessage(Level = LogLevel.Error, Message = "Maintenance run {Owner} lost its lease (expired unrenewed, taken over) and stopped")]
    private partial void LogLeaseLost(string owner);
}
