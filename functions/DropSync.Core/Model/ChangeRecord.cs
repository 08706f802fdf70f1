namespace DropSync.Core.Model;

/// <summary>
/// One entry of a namespace's change journal. <see cref="Sequence"/> is assigned by the metadata store inside the same
/// atomic write as the change itself, strictly increasing per namespace; it is 0 until then.
/// </summary>
public sealed record ChangeRecord
{
    public required string NamespaceId { get; init; }

    public long Sequence { get; init; }

    public required ChangeKind Kind { get; init; }

    public required string PathDisplay { get; init; }

    /// <summary>For moves, where the entry was before.</summary>
    public string? FromPath { get; init; }

    public string? Rev { get; init; }

    public required EntryKind EntryKind { get; init; }

    public long Size { get; init; }

    public string? ContentHash { get; init; }

    public required string DeviceId { get; init; }

    public required DateTimeOffset Time { get; init; }

    /// <summary>
    /// The journal this entry is numbered in when it is not the namespace's own (null): a shard of a busy namespace
    /// (<see cref="Ports.IFileMetadataStore.GetJournalsAsync"/>). <see cref="Sequence"/> counts within it.
    /// </summary>
    public string? Journal { get; init; }

    /// <summary>
    /// Which half of a move this entry is, when the move's source and target are journalled apart (in two shards, each
    /// in order with its own path's other changes): the source half only removes <see cref="FromPath"/>, the target half
    /// only adds <see cref="PathDisplay"/>.
    /// </summary>
    public MovePart Part { get; init; }

    /// <summary>The journal this entry is numbered in: <see cref="Journal"/>, or the namespace's own.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string JournalId => Journal ?? NamespaceId;
}

/// <summary>A whole change, or one half of a move journalled in two places.</summary>
public enum MovePart
{
    Whole,
    Source,
    Target,
}
