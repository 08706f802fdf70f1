using DropSync.Client.Api;
using DropSync.Client.Transfer;
using DropSync.Core.Paths;

namespace DropSync.Client.Sync;

/// <summary>A file or folder found in the sync folder: its path relative to the folder ('/'-separated, as on disk).</summary>
public sealed record LocalItem(string Key, string Rel, bool IsDir, long Size, long Mtime);

/// <summary>
/// Two-way sync of one local folder with the account's root: each pass (<see cref="SyncPass"/>) plans with
/// <see cref="SyncPlanner"/> from the folder (scanned), the server (<see cref="IRemoteChangeSource"/>) and the index
/// (what both were when they last agreed), then runs the plan. Nothing is ever resolved by discarding a side:
/// conflicting edits become conflicted copies, an edit beats a delete, a clash of names or kinds renames the local item.
/// </summary>
public sealed class SyncEngine(DropSyncApi api, string root, IRemoteChangeSource remote, string deviceName)
{
    public string Root { get; } = Path.GetFullPath(root);

    private DropSyncApi Api { get; } = api;
    private IRemoteChangeSource Remote { get; } = remote;
    private string DeviceName { get; } = deviceName;

    private readonly ReplacedFiles _replaced = new();

    /// <summary>
    /// Completes once the space of every file the syncs so far replaced is freed (<see cref="ReplacedFiles"/>): a sync
    /// answers when its files are in place, and a process that ends after it waits for this first.
    /// </summary>
    public Task SettleAsync() => _replaced.SettleAsync();

    public static string KeyOf(string remotePath) => DropPath.Parse(remotePath, allowRoot: false).Key;

    /// <summary>
    /// Makes sure the sync folder exists. A missing folder is never created silently: a mistyped path would fill a new
    /// folder with the whole account, and a folder synced before that is missing is usually a drive that is not mounted
    /// (syncing into a fresh one there would download everything, or worse). Only an explicit
    /// <see cref="SyncOptions.CreateFolder"/> or <see cref="SyncOptions.Force"/> creates it.
    /// </summary>
    public void PrepareFolder(SyncOptions options)
    {
        if (Directory.Exists(Root))
        {
            return;
        }

        if (!options.CreateFolder && !options.Force)
        {
            throw new SyncSafetyException(
                $"The sync folder {Root} does not exist. If it was synced before and is on a drive that is not mounted, mount it and try again. " +
                $"To start syncing a new folder, create it first (mkdir \"{Root}\"), or run with --force to create it.");
        }

        Directory.CreateDirectory(Root);
    }

    public Task<SyncReport> SyncAsync(SyncOptions options, CancellationToken ct = default) => SyncAsync(options, null, ct);

    /// <param name="deletions">Deletions earlier syncs made recently (a watcher's passes): the mass-deletion net counts them too.</param>
    /// <param name="scope">For an incremental pass: the local paths that changed (the server's side is its delta). Null: everything.</param>
    /// <param name="openIndex">The index, kept open by a watcher between its passes (so it is read once); null opens it for this sync.</param>
    internal async Task<SyncReport> SyncAsync(SyncOptions options, DeletionWindow? deletions, CancellationToken ct, LocalScope? scope = null, LocalIndex? openIndex = null)
    {
        PrepareFolder(options);
        var report = new SyncReport();
        using var owned = openIndex is null ? LocalIndex.Open(Root) : null;
        var index = openIndex ?? owned!;
        _replaced.ClearLeftoversOnce(index.TempFolder);
        // A second pass uploads local versions that this pass set aside as conflicted copies. It reads everything: what
        // the first one renamed aside is outside its scope. Only a two-way sync reads part of the folder: one that
        // leaves a side unchanged on purpose keeps differences that only a full comparison sees again.
        for (var pass = 0; pass < 2; pass++)
        {
            var run = new SyncPass(Api, Root, DeviceName, index, options, report)
            {
                Scope = pass == 0 && options.Direction == SyncDirection.Both ? scope : null,
                Replaced = _replaced,
            };
            await run.LoadAsync(Remote, ct);
            var at = System.Diagnostics.Stopwatch.GetTimestamp();
            var plan = run.Plan();
            at = report.Timed("plan", at);
            bool again;
            using (run.PieceBuffers)
            {
                again = await run.ExecuteAsync(plan, deletions, ct);
            }

            at = report.Timed("execute", at);
            index.Flush();
            report.Timed("flush", at);
            if (!again || options.Direction == SyncDirection.Pull)
            {
                break;
            }
        }

        return report;
    }
}
