using DropSync.Core.Content;

namespace DropSync.Core.Model;

/// <summary>
/// The head of one path in a namespace: what is there now. Deleted entries stay as tombstones so that their revisions can
/// still be listed and restored. <see cref="Rev"/> changes on every write, so it doubles as the optimistic-concurrency token.
/// </summary>
public sealed record FileEntry
{
    public required string NamespaceId { get; init; }

    /// <summary>The path as shown (NFC, the casing it was created with).</summary>
    public required string PathDisplay { get; init; }

    /// <summary>The identity of the path (NFC, case-folded); unique within a namespace.</summary>
    public string PathKey => Paths.DropPath.KeyOf(PathDisplay);

    public required EntryKind Kind { get; init; }

    public required string Rev { get; init; }

    public long Size { get; init; }

    /// <summary>Dropbox-style content hash of a file; null for folders.</summary>
    public string? ContentHash { get; init; }

    public required DateTimeOffset ServerModified { get; init; }

    public required string DeviceId { get; init; }

    public bool IsDeleted { get; init; }

    /// <summary>
    /// A tombstone left by a move or rename: the item lives on at its new path, so it is not among the deleted files
    /// (its revisions stay listable and restorable at this path all the same).
    /// </summary>
    public bool MovedAway { get; init; }

    public string Name => PathDisplay[(PathDisplay.LastIndexOf('/') + 1)..];

    public bool IsLiveFile => !IsDeleted && Kind == EntryKind.File;

    public bool IsLiveFolder => !IsDeleted && Kind == EntryKind.Folder;
}
