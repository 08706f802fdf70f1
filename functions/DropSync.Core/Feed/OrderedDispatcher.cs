using DropSync.Core.Model;
using DropSync.Core.Ports;

namespace DropSync.Core.Feed;

/// <summary>
/// Hands changes to the fan-out strictly in journal order per namespace, with none skipped: commits publish after they
/// land, so two racing commits can publish out of order; a change that arrives ahead of its predecessors first pulls
/// the missing ones from the journal, and one already handled that way is dropped. Per journal: a sharded namespace's
/// shards are numbered apart (<see cref="ChangeRecord.JournalId"/>). Single-threaded by design.
/// </summary>
public sealed class OrderedDispatcher(IFileMetadataStore meta, ChangeFanout fanout)
{
    private readonly Dictionary<string, long> _dispatched = new(StringComparer.Ordinal);

    public Task HandleAsync(ChangeRecord change, CancellationToken ct) => HandleAsync(change, new FanoutLookups(), ct);

    /// <summary>
    /// Changes that arrived together (a batch upload's commits), in order, sharing the fan-out's reads
    /// (<see cref="FanoutLookups"/>); one that fails is handed to <paramref name="failed"/> and the rest go on.
    /// </summary>
    public async Task HandleAsync(IReadOnlyList<ChangeRecord> changes, Action<ChangeRecord, Exception> failed, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(failed);
        var lookups = new FanoutLookups();
        foreach (var change in changes)
        {
            try
            {
                await HandleAsync(change, lookups, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed(change, e);
            }
        }
    }

    private async Task HandleAsync(ChangeRecord change, FanoutLookups lookups, CancellationToken ct)
    {
        var last = _dispatched.TryGetValue(change.JournalId, out var seen) ? seen : change.Sequence - 1;
        if (change.Sequence <= last)
        {
            return;
        }

        while (last + 1 < change.Sequence)
        {
            var missing = await meta.ReadJournalAsync(change.JournalId, last, (int)Math.Min(1000, change.Sequence - last - 1), ct);
            if (missing.Count == 0)
            {
                break;
            }

            foreach (var earlier in missing.Where(m => m.Sequence < change.Sequence))
            {
                await fanout.DispatchAsync(earlier, lookups, ct);
                last = earlier.Sequence;
            }
        }

        await fanout.DispatchAsync(change, lookups, ct);
        _dispatched[change.JournalId] = change.Sequence;
    }
}
