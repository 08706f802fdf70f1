namespace DropSync.Core.Model;

/// <summary>
/// A folder its owner shares with other people. The folder stays in the owner's namespace; each member mounts it at the
/// top of their own tree (<see cref="ShareMember.MountPath"/>), so there is one copy and one journal.
/// </summary>
public sealed record Share
{
    public required string ShareId { get; init; }

    public required string OwnerUserId { get; init; }

    /// <summary>The owner's root namespace, where the folder lives.</summary>
    public required string NamespaceId { get; init; }

    /// <summary>The folder's path in the owner's namespace (display form; its key is derived).</summary>
    public required string FolderPath { get; init; }

    public string FolderKey => Paths.DropPath.KeyOf(FolderPath);

    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>One person's membership of a share, and where the folder appears in their tree.</summary>
public sealed record ShareMember
{
    public required string ShareId { get; init; }

    public required string UserId { get; init; }

    public required string Email { get; init; }

    public required ShareRole Role { get; init; }

    /// <summary>Where the shared folder appears in the member's own tree ("/Project").</summary>
    public required string MountPath { get; init; }

    public string MountKey => Paths.DropPath.KeyOf(MountPath);

    public required DateTimeOffset AddedAt { get; init; }
}

/// <summary>A share with one member's view of it.</summary>
public sealed record Membership(Share Share, ShareMember Member);
