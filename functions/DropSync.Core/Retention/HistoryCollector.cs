using DropSync.Core.Files;
using DropSync.Core.Ports;

namespace DropSync.Core.Retention;

/// <summary>
/// Forgets revisions and deleted files past the retention policy (<see cref="RetentionRule"/>); the block collector then
/// frees the blocks no kept revision references, after the grace period. One pass looks at no more than
/// <see cref="DropSyncOptions.RetentionMaxFilesPerRun"/> due files, a page at a time; the next pass goes on.
/// </summary>
public sealed class HistoryCollector(IRetentionStore store, DropSyncOptions options, TimeProvider clock)
{
    public sealed record Report(int CheckedFiles, int ForgottenRevisions, int ForgottenEntries);

    public RetentionPolicy Policy { get; } = RetentionPolicy.From(options);

    public const int PageSize = 1000;

    public async Task<Report> RunOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var budget = Math.Max(1, options.RetentionMaxFilesPerRun);
        var (checkedFiles, revisions, entries) = (0, 0, 0);
        while (checkedFiles < budget)
        {
            // Each verdict moves its file's due time past now (or clears it), so the next page holds other files.
            var requested = Math.Min(PageSize, budget - checkedFiles);
            var due = await store.ListDueAsync(now, requested, ct);
            foreach (var history in due)
            {
                var verdict = RetentionRule.Apply(history, Policy, now);
                if (await store.ForgetAsync(history, verdict, now, ct))
                {
                    revisions += verdict.ExpiredRevs.Count;
                    entries += verdict.ForgetEntry ? 1 : 0;
                }
            }

            checkedFiles += due.Count;
            if (due.Count < requested)
            {
                break;
            }
        }

        return new Report(checkedFiles, revisions, entries);
    }
}
