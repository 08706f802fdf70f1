using DropSync.Core.Content;

namespace DropSync.Core.Model;

/// <summary>One stored version of a file's content: immutable once written, kept after the file is deleted.</summary>
public sealed record FileRevision
{
    public required string NamespaceId { get; init; }

    public required string Rev { get; init; }

    public required string PathDisplay { get; init; }

    public string PathKey => Paths.DropPath.KeyOf(PathDisplay);

    public required long Size { get; init; }

    public required string ContentHash { get; init; }

    public required DateTimeOffset ServerModified { get; init; }

    public required string DeviceId { get; init; }

    public required IReadOnlyList<BlockRef> Blocks { get; init; }
}
