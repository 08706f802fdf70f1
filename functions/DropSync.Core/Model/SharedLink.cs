namespace DropSync.Core.Model;

/// <summary>A link anyone can open without an account, to download a file or browse and download a folder.</summary>
public sealed record SharedLink
{
    /// <summary>The unguessable token in the URL; only its SHA-256 is stored.</summary>
    public required string LinkId { get; init; }

    public required string TokenHash { get; init; }

    public required string OwnerUserId { get; init; }

    public required string NamespaceId { get; init; }

    /// <summary>The linked file or folder, in the namespace.</summary>
    public required string Path { get; init; }

    /// <summary>The path as the owner sees it, for listing the owner's links.</summary>
    public required string OwnerViewPath { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>A slow-KDF hash of the link's password, if it has one.</summary>
    public string? PasswordHash { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? RevokedAt { get; init; }
}
