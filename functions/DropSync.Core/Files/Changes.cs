using DropSync.Core.Model;

namespace DropSync.Core.Files;

internal static class Changes
{
    public static ChangeRecord For(FileEntry entry, ChangeKind kind, DateTimeOffset now, string? fromPath = null) => new()
    {
        NamespaceId = entry.NamespaceId,
        Kind = kind,
        PathDisplay = entry.PathDisplay,
        FromPath = fromPath,
        Rev = entry.Rev,
        EntryKind = entry.Kind,
        Size = entry.Size,
        ContentHash = entry.ContentHash,
        DeviceId = entry.DeviceId,
        Time = now,
    };
}
