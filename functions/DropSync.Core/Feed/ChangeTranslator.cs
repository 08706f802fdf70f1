using DropSync.Core.Model;
using DropSync.Core.Sharing;

namespace DropSync.Core.Feed;

/// <summary>
/// Turns one journal entry of a namespace into what a user at one place sees of it: nothing if it happened outside,
/// and a move across the edge of a shared folder becomes an add or a delete.
/// </summary>
public static class ChangeTranslator
{
    public static IReadOnlyList<FeedEntry> Translate(ChangeRecord change, Location place)
    {
        var path = place.ToView(change.PathDisplay);
        var from = change.FromPath is null ? null : place.ToView(change.FromPath);
        var kind = FeedEntry.KindName(change.Kind);
        switch (change.Kind)
        {
            case ChangeKind.MemberLeft:
                // The folder is still there for the owner and the other members: deleting it on their devices would be
                // wrong (their devices would drop a folder the server keeps).
                return [];
            case ChangeKind.Moved when change.Part == MovePart.Source:
                return from is null ? [] : [FeedEntry.Deleted(from, change, kind)];
            case ChangeKind.Moved when change.Part == MovePart.Target:
                return path is null ? [] : [Present(change, path, from is null ? "added" : kind, from)];
            case ChangeKind.Deleted or ChangeKind.Unshared:
                return path is null ? [] : [FeedEntry.Deleted(path, change, kind)];
            case ChangeKind.Moved when from is not null && path is not null:
                return [FeedEntry.Deleted(from, change, kind), Present(change, path, kind, from)];
            case ChangeKind.Moved when from is not null:
                return [FeedEntry.Deleted(from, change, kind)];
            case ChangeKind.Moved when path is not null:
                return [Present(change, path, "added", null)];
            default:
                return path is null ? [] : [Present(change, path, kind, from)];
        }
    }

    private static FeedEntry Present(ChangeRecord change, string path, string kind, string? fromPath)
    {
        var name = path[(path.LastIndexOf('/') + 1)..];
        return change.EntryKind == EntryKind.Folder
            ? new FeedEntry("folder", path, name, null, null, null, null, null, kind, fromPath)
            : new FeedEntry("file", path, name, change.Rev, change.Size, change.ContentHash, change.Time, change.DeviceId, kind, fromPath);
    }
}
