using DropSync.Core.Files;
using DropSync.Core.Model;
using DropSync.Core.Ports;

namespace DropSync.Core.Feed;

/// <summary>
/// Keeps each namespace's change journal bounded: entries older than <see cref="DropSyncOptions.JournalRetention"/>, and
/// any beyond the newest <see cref="DropSyncOptions.JournalMaxEntries"/>, are compacted away; a device whose cursor is
/// older then gets <c>reset</c> and lists afresh. It runs from the fan-out, which sees every change of every namespace,
/// once every <see cref="DropSyncOptions.JournalCompactionInterval"/> changes of a namespace — so there is no scan over
/// all namespaces, a quiet namespace (whose journal stays small) costs nothing, and one run's work is bounded.
/// </summary>
public sealed class JournalRetention(IFileMetadataStore meta, DropSyncOptions options, TimeProvider clock)
{
    private const int PageSize = 1000;

    /// <summary>Whether this change is the one that triggers a retention pass over its namespace.</summary>
    public bool IsDue(ChangeRecord change) =>
        change.Sequence > 0 && change.Sequence % Math.Max(1, options.JournalCompactionInterval) == 0;

    /// <summary>
    /// Compacts the namespace's journal through the newest entry that has outlived the retention rules, at most
    /// <see cref="DropSyncOptions.JournalMaxCompactedPerRun"/> entries further than before. Answers how far it is now compacted.
    /// </summary>
    public async Task<long> CompactAsync(string namespaceId, CancellationToken ct)
    {
        var compacted = await meta.GetCompactedThroughAsync(namespaceId, ct);
        var latest = await meta.GetLatestSequenceAsync(namespaceId, ct);
        var limit = Math.Min(latest, compacted + Math.Max(1, options.JournalMaxCompactedPerRun));

        // Beyond the newest JournalMaxEntries everything goes, whatever its age.
        var through = Math.Min(limit, Math.Max(compacted, latest - Math.Max(1, options.JournalMaxEntries)));

        // Then every entry older than the retention period, walking forward from there until the first young one.
        var cutoff = clock.GetUtcNow() - options.JournalRetention;
        var young = false;
        while (!young && through < limit)
        {
            var page = await meta.ReadJournalAsync(namespaceId, through, (int)Math.Min(PageSize, limit - through), ct);
            if (page.Count == 0)
            {
                break;
            }

            foreach (var entry in page)
            {
                if (entry.Time >= cutoff)
                {
                    young = true;
                    break;
                }

                through = entry.Sequence;
            }
        }

        if (through > compacted)
        {
            await meta.CompactJournalAsync(namespaceId, through, ct);
        }

        return Math.Max(through, compacted);
    }
}
