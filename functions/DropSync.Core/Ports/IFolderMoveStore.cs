using DropSync.Core.Model;

namespace DropSync.Core.Ports;

/// <summary>
/// A store that can land a folder moved within its namespace as a few set-based statements, instead of the four or
/// five writes an entry that <see cref="IFileMetadataStore.ApplyAsync"/> would take (the embedded store spent ~0.1 ms
/// an entry that way: ~0.5 s for a folder of 5,000 files). The outcome is the same as applying, in one batch,
/// <see cref="FolderMove.Before"/> and then for each entry: a moved-away tombstone at its old path (expecting its rev),
/// the entry at its new path (over nothing live), a copy of a file's revision under the new rev, and a Moved change.
/// </summary>
public interface IFolderMoveStore
{
    /// <summary>Applies <paramref name="move"/> all-or-nothing, as <see cref="IFileMetadataStore.ApplyAsync"/> does a batch.</summary>
    Task<BatchResult> ApplyFolderMoveAsync(FolderMove move, CancellationToken cancellationToken);
}

/// <summary>A folder and everything below it moved within <paramref name="NamespaceId"/>.</summary>
/// <param name="Before">Writes applied first in the same batch (parent folders, shares that move with the folder).</param>
/// <param name="Entries">The folder first, then what is below it, as read.</param>
public sealed record FolderMove(string NamespaceId, IReadOnlyList<MetadataWrite> Before, IReadOnlyList<MovedEntry> Entries, DateTimeOffset Now, string DeviceId);

/// <summary>
/// One entry of a <see cref="FolderMove"/>: <paramref name="From"/> as read (its rev is expected), its new path
/// (display and key), the rev of the tombstone left behind and the rev it gets at the new path.
/// </summary>
public sealed record MovedEntry(FileEntry From, string FromKey, string ToDisplay, string ToKey, string TombstoneRev, string NewRev);
