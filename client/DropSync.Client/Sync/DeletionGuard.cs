namespace DropSync.Client.Sync;

/// <summary>
/// The safety nets that stop a sync before it changes anything: a folder that is empty though files were synced from
/// it (a drive not mounted), and a plan that deletes more than <see cref="SyncOptions.MaxDeleteFraction"/> of the
/// synced files (with the recent passes of a watcher counted too). <see cref="SyncOptions.Force"/> goes past both.
/// </summary>
public static class DeletionGuard
{
    public static void CheckNotEmptied(string root, IReadOnlyDictionary<string, IndexEntry> index, IReadOnlyDictionary<string, LocalItem> local, SyncOptions o) =>
        CheckNotEmptied(root, index.Values.Count(e => !e.IsDir), local, o);

    /// <param name="indexedFiles">How many files the index holds.</param>
    public static void CheckNotEmptied(string root, int indexedFiles, IReadOnlyDictionary<string, LocalItem> local, SyncOptions o)
    {
        if (!o.Force && indexedFiles > 0 && !local.Values.Any(l => !l.IsDir))
        {
            throw new SyncSafetyException(
                $"The sync folder {root} is empty, but {indexedFiles} files were synced from it before. If it is on a drive that is " +
                "not mounted, mount it and try again. If you deleted everything on purpose, run again with --force to delete them on the server too.");
        }
    }

    /// <param name="window">Deletions earlier passes made recently (a watcher's): judged one by one, an emptying folder never deleted "more than half".</param>
    public static void CheckMassDeletion(string root, SyncPlan plan, int indexedFiles, SyncOptions o, DeletionWindow? window)
    {
        var onServer = plan.RemoteFileDeletions;
        var deletions = plan.Deletions;
        var (earlier, baseline) = window?.Recent(indexedFiles) ?? (0, indexedFiles);
        if (!o.Force && deletions > 0 && baseline >= o.MassDeleteMinimumFiles && earlier + deletions > o.MaxDeleteFraction * baseline)
        {
            var recently = earlier == 0
                ? ""
                : $" Together with the {earlier} files deleted by the syncs of the last {window!.Length.TotalMinutes:0.#} minutes, that is " +
                  $"{earlier + deletions} of the {baseline} files synced then.";
            throw new SyncSafetyException(
                $"This sync would delete {deletions} of the {indexedFiles} synced files ({onServer} on the server, " +
                $"{plan.DeleteLocal.Count} in {root}).{recently} This sync deleted nothing. If that is what you meant, run again with --force. If a drive is not mounted or " +
                "files were moved away by mistake, put them back first; deleted files can also be restored with `dropsync restore`.");
        }
    }
}
