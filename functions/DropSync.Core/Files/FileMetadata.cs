using DropSync.Core.Model;

namespace DropSync.Core.Files;

/// <summary>The public view of an entry, as the API answers it (<c>tag</c> is "file", "folder" or "deleted").</summary>
public sealed record FileMetadata(
    string Tag,
    string Path,
    string Name,
    string? Rev,
    long? Size,
    string? ContentHash,
    DateTimeOffset? ServerModified,
    string? DeviceId)
{
    /// <summary>
    /// The key under which paths compare (<see cref="Paths.DropPath.KeyOf"/>): two entries are the same item when their
    /// path_lower match. Clients compare these rather than re-deriving the server's case rule.
    /// </summary>
    public string PathLower => Paths.DropPath.KeyOf(Path);

    public static FileMetadata From(FileEntry e) => e switch
    {
        { IsDeleted: true } => new("deleted", e.PathDisplay, e.Name, e.Rev, null, null, e.ServerModified, e.DeviceId),
        { Kind: EntryKind.Folder } => new("folder", e.PathDisplay, e.Name, null, null, null, null, null),
        _ => new("file", e.PathDisplay, e.Name, e.Rev, e.Size, e.ContentHash, e.ServerModified, e.DeviceId),
    };

    /// <summary>The entry as the user at <paramref name="at"/> sees it (its path mapped into their tree).</summary>
    public static FileMetadata From(FileEntry e, Sharing.Location at)
    {
        var metadata = From(e);
        return metadata with { Path = at.ToView(e.PathDisplay) ?? e.PathDisplay, Name = at.IsMountRoot && at.Inner.Key == e.PathKey ? at.ViewRoot.Name : metadata.Name };
    }

    /// <summary>
    /// The entry as an anonymous visitor of a shared link sees it: revision and device ids are dropped, because they
    /// describe the owner's devices and history, and the visitor can use neither (links download only the current
    /// content). Null fields are left out of the JSON.
    /// </summary>
    public FileMetadata ForLinkVisitor() => this with { Rev = null, DeviceId = null };

    public static FileMetadata RootFolder { get; } = new("folder", "/", "", null, null, null, null, null);
}
