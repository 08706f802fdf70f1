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
}
