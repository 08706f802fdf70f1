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
/// Cheap: usage is measured (one pass over the namespace, as get_space_usage does) at most once per
/// <see cref="DropSyncOptions.QuotaUsageCacheLifetime"/> per namespace and server, and each commit adds its size to the
/// cached figure meanwhile, so a burst of uploads is checked against a running total. Deletes are seen at the next
/// measurement; the cache errs towards refusing, never towards storing past the quota for long. In AWS mode each Lambda
/// instance keeps its own cache.
/// </para>
/// </summary>
public sealed class StorageQuota(IRetentionStore usage, DropSyncOptions options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, (long Used, DateTimeOffset MeasuredAt)> _used = new(StringComparer.Ordinal);

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
    public void Charge(string namespaceId, long bytes) =>
        _used.AddOrUpdate(namespaceId, _ => default, (_, cached) => (cached.Used + bytes, cached.MeasuredAt));

    private async Task<long> UsedAsync(string namespaceId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_used.TryGetValue(namespaceId, out var cached) && cached.MeasuredAt != default && now - cached.MeasuredAt < options.QuotaUsageCacheLifetime)
        {
            return cached.Used;
        }

        var measured = (await usage.MeasureAsync(namespaceId, ct)).CurrentBytes;
        _used[namespaceId] = (measured, now);
        return measured;
    }
}
