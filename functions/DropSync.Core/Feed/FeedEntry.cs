using DropSync.Core.Files;
using DropSync.Core.Model;

namespace DropSync.Core.Feed;

/// <summary>
/// One change as a device applies it: the entry's state now (tag "file", "folder" or "deleted") and what happened
/// ("added", "edited", "moved" with <see cref="FromPath"/>, ...).
/// </summary>
public sealed record FeedEntry(
    string Tag,
    string Path,
    string Name,
    string? Rev,
    long? Size,
    string? ContentHash,
    DateTimeOffset? ServerModified,
    string? DeviceId,
    string Change,
    string? FromPath)
{
    /// <summary>The path's comparison key, as in <see cref="FileMetadata.PathLower"/>.</summary>
    public string PathLower => Paths.DropPath.KeyOf(Path);

    /// <summary>A move's old path's comparison key (null for anything but a move).</summary>
    public string? FromPathLower => FromPath is null ? null : Paths.DropPath.KeyOf(FromPath);

    public static FeedEntry From(FileMetadata m, string change, string? fromPath = null) =>
        new(m.Tag, m.Path, m.Name, m.Rev, m.Size, m.ContentHash, m.ServerModified, m.DeviceId, change, fromPath);

    public static FeedEntry Deleted(string path, ChangeRecord change, string kind) =>
        new("deleted", path, path[(path.LastIndexOf('/') + 1)..], null, null, null, change.Time, change.DeviceId, kind, null);

    public static string KindName(ChangeKind kind) => kind switch
    {
        ChangeKind.FolderCreated => "folder_created",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
