using DropSync.Core.Model;

namespace DropSync.Core.Ports;

/// <summary>What an entry must look like for a batch to apply (optimistic concurrency).</summary>
public abstract record EntryExpectation
{
    private EntryExpectation()
    {
    }

    /// <summary>No entry, or a deleted one.</summary>
    public sealed record Absent : EntryExpectation;

    /// <summary>The entry exists (live or deleted) with exactly this rev.</summary>
    public sealed record HasRev(string Rev) : EntryExpectation;

    /// <summary>A live folder is there.</summary>
    public sealed record LiveFolder : EntryExpectation;

    public static readonly EntryExpectation IsAbsent = new Absent();
    public static readonly EntryExpectation IsLiveFolder = new LiveFolder();

    public static EntryExpectation Matching(FileEntry? current) => current is null ? IsAbsent : new HasRev(current.Rev);
}

/// <summary>One write of an atomic metadata batch.</summary>
public abstract record MetadataWrite
{
    private MetadataWrite()
    {
    }

    /// <summary>Writes the head of a path, if it meets <paramref name="Expected"/>.</summary>
    public sealed record PutEntry(FileEntry Entry, EntryExpectation Expected) : MetadataWrite;

    /// <summary>Writes nothing; fails the batch unless the entry meets <paramref name="Expected"/>.</summary>
    public sealed record CheckEntry(string NamespaceId, string PathKey, EntryExpectation Expected) : MetadataWrite;

    /// <summary>Stores a new revision and its block list (which references its blocks, keeping them from collection).</summary>
    public sealed record AddRevision(FileRevision Revision) : MetadataWrite;

    /// <summary>Appends to the namespace's journal; the store assigns the next sequence number.</summary>
    public sealed record AppendChange(ChangeRecord Change) : MetadataWrite;

    /// <summary>Creates or updates a share (its folder moves with the folder). Fails the batch if
    /// <paramref name="MustBeNew"/> and a share with this id exists, or if another share has the same folder.</summary>
    public sealed record PutShare(Share Share, bool MustBeNew) : MetadataWrite;

    /// <summary>Removes a share and all its members.</summary>
    public sealed record DeleteShare(string ShareId) : MetadataWrite;

    /// <summary>Adds or updates one member (role, mount path). Fails the batch if the member's mount path is taken by
    /// another of the member's mounts.</summary>
    public sealed record PutMember(ShareMember Member) : MetadataWrite;

    /// <summary>Removes one member; a no-op if absent.</summary>
    public sealed record DeleteMember(string ShareId, string UserId) : MetadataWrite;

    /// <summary>
    /// Points a shared link at where its item now is, so the link follows a move in the batch that moves the item.
    /// <paramref name="Link"/> is the link as read; the batch fails unless the link is still stored at its namespace and
    /// path (another move took it elsewhere meanwhile). Every other field, revocation included, is left as stored.
    /// </summary>
    public sealed record MoveLink(SharedLink Link, string NamespaceId, string Path, string OwnerViewPath) : MetadataWrite;
}

/// <summary>The outcome of a batch: applied with the journal entries as stored (sequence numbers set), or not applied at all.</summary>
public sealed record BatchResult(bool Applied, int FailedWriteIndex, IReadOnlyList<ChangeRecord> Changes)
{
    public static BatchResult Failed(int index) => new(false, index, []);
}
