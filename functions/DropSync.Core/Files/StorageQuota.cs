using System.Collections.Concurrent;
using DropSync.Core.Errors;
using DropSync.Core.Ports;

namespace DropSync.Core.Files;

/// <summary>
/// The storage quota (<see cref="DropSyncOptions.StorageQuota"/>, per user): a write that would take a namespace's
/// current files past it answers 409 insufficient_space, before any block is stored where the size is declared up
/// front, and in any case before the commit is written. A namespace is charged to its owner, as get_space_usage
/// counts it: a file saved into a shared folder counts for the folder's owner, not for the member who saved it (so a
/// member cannot be locked out of their own space by someone else's folder, and an owner's quota bounds the folder).
/// <para>
/// Cheap: usage is measured (one pass over the namespace, as get_space_usage does) once per namespace and server, and
/// each commit adds its size to the cached figure, so a burst of uploads is checked against a running total. Once the
/// figure is <see cref="DropSyncOptions.QuotaUsageCacheLifetime"/> old, the next check starts a new measurement in the
/// background and is answered from the running total meanwhile: on the request path the pass (0.5 s over 20,000 files
/// on a loaded machine) made one save a minute the slowest of the latency benchmark's run
/// (docs/performance/client-history.md, "Save → complete p99, round 9").
/// Only a namespace's first check waits for its measurement. Commits charged while a measurement runs are added to what it
/// finds (one that committed just before its snapshot counts twice until the next one: towards refusing). Deletes are
/// seen at the next measurement; the cache errs towards refusing, never towards storing past the quota for long. In
/// AWS mode each Lambda instance keeps its own cache.
/// </para>
/// </summary>
public sealed class StorageQuota(IRetentionStore usage, DropSyncOptions options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, NamespaceUsage> _usage = new(StringComparer.Ordinal);

    /// <summary>Throws 409 insufficient_space unless <paramref name="bytes"/> more fit in the namespace's quota.</summary>
    public async Task RequireRoomAsync(string namespaceId, long bytes, CancellationToken ct)
    {
        if (bytes <= 0)
        {
            return;
        }

        var used = await UsedAsync(namespaceId, ct);
        if (used + bytes > options.StorageQuota)
        {
            throw Errors.Errors.Conflict(
                ErrorCodes.InsufficientSpace,
                $"This needs {bytes} bytes but only {Math.Max(0, options.StorageQuota - used)} of the {options.StorageQuota}-byte quota are free; delete files (and their history) to make room.",
                new Dictionary<string, object?> { ["used"] = used, ["allocated"] = options.StorageQuota });
        }
    }

    /// <summary>Adds a committed file's size to the cached usage, so the next check sees it before the next measurement.</summary>
    public void Charge(string namespaceId, long bytes)
    {
        var entry = _usage.GetOrAdd(namespaceId, _ => new NamespaceUsage());
        lock (entry.Gate)
        {
            entry.Used += bytes;
            if (entry.Measurement is not null)
            {
                entry.ChargedDuringMeasurement += bytes;
            }
        }
    }

    private async Task<long> UsedAsync(string namespaceId, CancellationToken ct)
    {
        var entry = _usage.GetOrAdd(namespaceId, _ => new NamespaceUsage());
        Task<long> first;
        lock (entry.Gate)
        {
            if (entry.MeasuredAt != default)
            {
                if (entry.Measurement is null && clock.GetUtcNow() - entry.MeasuredAt >= options.QuotaUsageCacheLifetime)
                {
                    // A failed refresh leaves the figure as it was; the next check starts another.
                    _ = StartMeasurement(namespaceId, entry).ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                }

                return entry.Used;
            }

            first = entry.Measurement ?? StartMeasurement(namespaceId, entry);
        }

        return await first.WaitAsync(ct);
    }

    /// <summary>Measures the namespace on the thread pool (never inline: the caller holds the entry's lock); one at a time per namespace.</summary>
    private Task<long> StartMeasurement(string namespaceId, NamespaceUsage entry)
    {
        entry.ChargedDuringMeasurement = 0;
        return entry.Measurement = Task.Run(async () =>
        {
            var startedAt = clock.GetUtcNow();
            try
            {
                var measured = (await usage.MeasureAsync(namespaceId, CancellationToken.None)).CurrentBytes;
                lock (entry.Gate)
                {
                    entry.Used = measured + entry.ChargedDuringMeasurement;
                    entry.MeasuredAt = startedAt;
                    return entry.Used;
                }
            }
            finally
            {
                lock (entry.Gate)
                {
                    entry.Measurement = null;
                }
            }
        });
    }

    /// <summary>One namespace's usage: the last measurement plus what was charged since (all under <see cref="Gate"/>).</summary>
    private sealed class NamespaceUsage
    {
        public Lock Gate { get; } = new();

        public long Used { get; set; }

        /// <summary>When the figure's measurement started; default until the first one finished.</summary>
        public DateTimeOffset MeasuredAt { get; set; }

        public Task<long>? Measurement { get; set; }

        public long ChargedDuringMeasurement { get; set; }
    }
}
