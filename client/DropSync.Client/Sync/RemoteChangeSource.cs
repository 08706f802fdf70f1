using DropSync.Client.Api;
using DropSync.Core.Paths;

namespace DropSync.Client.Sync;

/// <summary>
/// Where the sync engine learns the server's state. Today: a full recursive <c>list_folder</c> each time, diffed
/// against the index, and polling to wait for changes. When the server answers a <c>cursor</c> and
/// <c>/files/list_folder/continue</c> (with <c>reset</c>) and pushes events on <c>/notifications/ws</c>, an
/// implementation keeps the snapshot up to date from deltas and wakes on pushed events instead, with no engine change.
/// </summary>
public interface IRemoteChangeSource
{
    /// <summary>Every live file and folder on the server, by path key (NFC + case-folded).</summary>
    Task<IReadOnlyDictionary<string, RemoteEntry>> GetSnapshotAsync(CancellationToken ct);

    /// <summary>Completes when the server may have changed (or after <paramref name="atMost"/>).</summary>
    Task WaitForChangeAsync(TimeSpan atMost, CancellationToken ct);
}

/// <summary>The interim source: one recursive listing per sync; waiting is plain polling.</summary>
public sealed class ListFolderChangeSource(DropSyncApi api) : IRemoteChangeSource
{
    public async Task<IReadOnlyDictionary<string, RemoteEntry>> GetSnapshotAsync(CancellationToken ct)
    {
        var entries = await api.ListFolderAsync("", recursive: true, ct);
        var map = new Dictionary<string, RemoteEntry>(entries.Count, StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (e.Tag is "file" or "folder" && e.Path is not ("" or "/"))
            {
                map[DropPath.Parse(e.Path, allowRoot: false).Key] = e;
            }
        }

        return map;
    }

    public Task WaitForChangeAsync(TimeSpan atMost, CancellationToken ct) => Task.Delay(atMost, ct);
}
