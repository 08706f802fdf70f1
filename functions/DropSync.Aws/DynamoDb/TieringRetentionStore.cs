using DropSync.Core.Ports;
using DropSync.Core.Retention;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// The retention store, with cold tiering's bookkeeping riding on its pass: every due path the retention collector
/// reads (a path is due from each write of it until checked) is first shown to <see cref="DynamoDbCurrentReferences"/>,
/// before the verdict can forget the revision that was current. Why here and not in the commit: a commit stays at its
/// own write units (nothing added per block or per commit), and the retention index is already a bounded, resumable
/// cursor over what changed — a path not reached in this pass stays due for the next.
/// </summary>
public sealed class TieringRetentionStore(IRetentionStore inner, DynamoDbCurrentReferences references, TimeProvider clock) : IRetentionStore
{
    public async Task<IReadOnlyList<FileHistory>> ListDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        var due = await inner.ListDueAsync(now, limit, cancellationToken).ConfigureAwait(false);
        var observedAt = clock.GetUtcNow();
        foreach (var history in due)
        {
            await references.ObserveAsync(history, observedAt, cancellationToken).ConfigureAwait(false);
        }

        return due;
    }

    /// <summary>
    /// Forgets as the inner store does; when that forgot the path itself, its <c>t#</c> item (tiering's record of what
    /// was counted for the path) goes too, so a deleted path leaves nothing behind.
    /// </summary>
    public async Task<bool> ForgetAsync(FileHistory history, RetentionVerdict verdict, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(verdict);
        var forgotten = await inner.ForgetAsync(history, verdict, now, cancellationToken).ConfigureAwait(false);
        if (forgotten && verdict.ForgetEntry)
        {
            await references.ForgetPathAsync(history.Entry.NamespaceId, history.Entry.PathKey, cancellationToken).ConfigureAwait(false);
        }

        return forgotten;
    }

    public Task<FileHistory?> GetHistoryAsync(string namespaceId, string pathKey, int limit, CancellationToken cancellationToken) =>
        inner.GetHistoryAsync(namespaceId, pathKey, limit, cancellationToken);

    public Task<SpaceUsage> MeasureAsync(string namespaceId, CancellationToken cancellationToken) => inner.MeasureAsync(namespaceId, cancellationToken);
}
