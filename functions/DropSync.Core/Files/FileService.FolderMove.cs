using DropSync.Core.Accounts;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Ports;

namespace DropSync.Core.Files;

/// <summary>A folder moved within its namespace, landed by a store that does it set-based (<see cref="IFolderMoveStore"/>).</summary>
public sealed partial class FileService
{
    /// <summary>
    /// Whether <see cref="RelocateAsync"/> may hand this relocation to <see cref="IFolderMoveStore"/>: a folder moved
    /// within its namespace to another key, with no live link to carry along (links follow their items write by write).
    /// </summary>
    private bool CanMoveFolderAtOnce(bool move, bool crossNamespace, bool caseOnlyRename, FileEntry source, ILookup<string, SharedLink> links) =>
        meta is IFolderMoveStore && move && !crossNamespace && !caseOnlyRename && source.Kind == EntryKind.Folder && links.Count == 0;

    /// <summary>
    /// Lands the move in one batch; the moved folder as stored, or null if something changed since it was read (the
    /// caller reads again). <paramref name="tombstones"/> gets each old path's tombstone, for links made meanwhile.
    /// </summary>
    private async Task<FileEntry?> MoveFolderAtOnceAsync(
        string ns, FileEntry source, IReadOnlyList<FileEntry> subtree, DropPath sourcePath, DropPath newTop, IReadOnlyList<MetadataWrite> before,
        Caller caller, DateTimeOffset now, Dictionary<string, (string Rev, string NewPath)> tombstones, CancellationToken ct)
    {
        var entries = new List<MovedEntry>(subtree.Count + 1);
        foreach (var entry in subtree.Prepend(source))
        {
            var fromPath = DropPath.Parse(entry.PathDisplay, false);
            var newPath = fromPath.Rebase(sourcePath, newTop);
            var moved = new MovedEntry(entry, fromPath.Key, newPath.Display, newPath.Key, Ids.NewRev(), Ids.NewRev());
            entries.Add(moved);
            tombstones[moved.FromKey] = (moved.TombstoneRev, moved.ToDisplay);
        }

        var result = await ((IFolderMoveStore)meta).ApplyFolderMoveAsync(new FolderMove(ns, before, entries, now, caller.DeviceId), ct);
        if (!result.Applied)
        {
            tombstones.Clear();
            return null;
        }

        await publisher.PublishAsync(result.Changes, CancellationToken.None);
        return source with { PathDisplay = entries[0].ToDisplay, Rev = entries[0].NewRev, ServerModified = now, DeviceId = caller.DeviceId };
    }
}
