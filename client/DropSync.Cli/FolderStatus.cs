using DropSync.Client.Api;
using DropSync.Client.Sync;
using Microsoft.Data.Sqlite;

namespace DropSync.Cli;

/// <summary>Files one side of a sync would change, by path ('/'-rooted, sorted).</summary>
public sealed record PendingChanges(IReadOnlyList<string> New, IReadOnlyList<string> Changed, IReadOnlyList<string> Deleted)
{
    public int Count => New.Count + Changed.Count + Deleted.Count;
}

/// <summary>
/// What the next sync of a folder would send (local edits since the index) and fetch (server changes since the
/// index's cursor). <see cref="ToFetch"/> is null when the server was not asked (not signed in, or unreachable).
/// <see cref="Plan"/> is what a sync would do now, one action a line, planned by the sync's own <see cref="SyncPlanner"/>
/// (null without the server's tree).
/// </summary>
public sealed record FolderStatus(int SyncedFiles, PendingChanges ToSend, PendingChanges? ToFetch, IReadOnlyList<string>? Plan = null)
{
    /// <summary>Whether the folder has sync state (an index) at all; without one it has never been synced.</summary>
    public static bool IsSyncFolder(string folder) => File.Exists(IndexFile(folder));

    private static string IndexFile(string folder) => Path.Combine(folder, LocalIndex.StateFolder, "index.db");

    /// <summary>
    /// Compares the folder, the index and the server the way a sync does, without changing any of them. The sync engine
    /// plans privately and writes as it goes (the cursor change source stores the advanced cursor and tree in the
    /// index), so this runs the engine's own pieces (<see cref="LocalIndex"/>, <see cref="IgnoreRules"/>,
    /// <see cref="CursorChangeSource"/>) on a throwaway copy of the index: the real index and cursor stay as they are.
    /// </summary>
    public static async Task<FolderStatus> ComputeAsync(string folder, DropSyncApi? api, CancellationToken ct)
    {
        folder = Path.GetFullPath(folder);
        var scratch = Directory.CreateTempSubdirectory("dropsync-status-");
        try
        {
            CopyIndex(IndexFile(folder), Path.Combine(scratch.FullName, LocalIndex.StateFolder));
            using var index = LocalIndex.Open(scratch.FullName);
            var indexed = index.LoadAll().Values.Where(e => !e.IsDir).ToDictionary(e => e.Key, StringComparer.Ordinal);
            var ignore = IgnoreRules.Load(folder);
            var scan = LocalScan.Scan(folder, ignore);
            var local = scan.Values.Where(l => !l.IsDir).ToDictionary(l => l.Key, StringComparer.Ordinal);

            var toSend = Changes(
                local.Values.Where(l => !indexed.ContainsKey(l.Key)).Select(l => "/" + l.Rel),
                local.Values.Where(l => indexed.TryGetValue(l.Key, out var i) && (l.Size != i.Size || l.Mtime != i.Mtime)).Select(l => "/" + l.Rel),
                indexed.Values.Where(i => !local.ContainsKey(i.Key)).Select(i => i.Path));

            PendingChanges? toFetch = null;
            IReadOnlyList<string>? plan = null;
            if (api is not null)
            {
                await using var source = new CursorChangeSource(api);
                var tree = SyncPlanner.Visible(await source.GetSnapshotAsync(index, ct), ignore);
                plan = SyncPlanner.Plan(new PlannerInput(scan, index.LoadAll(), tree, index.LoadLocalOnly())).Actions.Select(a => a.Describe()).ToList();
                var remote = tree.Values.Where(r => r.IsFile).ToDictionary(r => SyncEngine.KeyOf(r.Path), StringComparer.Ordinal);
                toFetch = Changes(
                    remote.Where(kv => !indexed.ContainsKey(kv.Key)).Select(kv => kv.Value.Path),
                    remote.Where(kv => indexed.TryGetValue(kv.Key, out var i) && i.Rev != kv.Value.Rev).Select(kv => kv.Value.Path),
                    indexed.Values.Where(i => !remote.ContainsKey(i.Key)).Select(i => i.Path));
            }

            return new FolderStatus(indexed.Count, toSend, toFetch, plan);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static PendingChanges Changes(IEnumerable<string> added, IEnumerable<string> changed, IEnumerable<string> deleted) =>
        new(added.Order(StringComparer.Ordinal).ToList(), changed.Order(StringComparer.Ordinal).ToList(), deleted.Order(StringComparer.Ordinal).ToList());

    /// <summary>
    /// SQLite's online backup: a consistent copy even while a `sync --watch` writes the index. The source connection only
    /// reads, but it is not opened read-only: a read-only connection to a WAL database leaves its -wal and -shm files
    /// behind, where a read-write one removes them again when it closes.
    /// </summary>
    private static void CopyIndex(string from, string toFolder)
    {
        Directory.CreateDirectory(toFolder);
        using var source = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = from, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        using var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(toFolder, "index.db"), Pooling = false }.ToString());
        source.Open();
        copy.Open();
        source.BackupDatabase(copy);
    }
}
