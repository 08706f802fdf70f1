using DropSync.Core.Content;

namespace DropSync.Core.Model;

/// <summary>A resumable upload: the file's declared block list, kept until it is finished or expires. Its blocks are pinned
/// against garbage collection while it lives.</summary>
public sealed record UploadSession
{
    public required string UploadId { get; init; }

    public required string UserId { get; init; }

    public required string DeviceId { get; init; }

    public required string NamespaceId { get; init; }

    public required string PathDisplay { get; init; }

    public required long Size { get; init; }

    public required IReadOnlyList<BlockRef> Blocks { get; init; }

    public required WriteMode Mode { get; init; }

    public string? ExpectedRev { get; init; }

    /// <summary>The content hash the client computed, if it sent one (of <see cref="ContentHashKind"/>); checked at finish.</summary>
    public string? ClientContentHash { get; init; }

    /// <summary>The kind of content hash the finish gives the revision: <see cref="Content.ContentHashKind.BlockList"/> when
    /// the client asked for it at begin.</summary>
    public ContentHashKind ContentHashKind { get; init; }

    /// <summary>
    /// What a store keeps in its one client-hash field, so that the kind needs no new column: the declared hash (its text
    /// carries its kind), or for a block-list upload that declared none the bare tag <c>b1:</c>.
    /// </summary>
    public string? StoredClientHash =>
        ContentHashKind == ContentHashKind.BlockList ? ClientContentHash ?? ContentHash.BlockListPrefix : ClientContentHash;

    /// <summary>Reads <see cref="StoredClientHash"/> back: the kind asked for and the declared hash, if any.</summary>
    public static (ContentHashKind Kind, string? Declared) ParseStoredClientHash(string? stored) =>
        stored == ContentHash.BlockListPrefix ? (ContentHashKind.BlockList, null) : (ContentHash.KindOf(stored), stored);

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Set once finished, so that a retried finish answers the same file instead of failing.</summary>
    public string? CommittedRev { get; init; }

    /// <summary>Set when the client gave the upload up (/files/upload/abort): no longer open, and never finished.</summary>
    public DateTimeOffset? AbortedAt { get; init; }
}
