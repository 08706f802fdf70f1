namespace DropSync.Core.Model;

/// <summary>A signed-in device: each login creates one, with its own revocable token (only the token's hash is stored).</summary>
public sealed record Device
{
    public required string DeviceId { get; init; }

    public required string UserId { get; init; }

    public required string Name { get; init; }

    public required string TokenHash { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>When the token was last used, to a resolution of a few minutes (null: not since sign-in).</summary>
    public DateTimeOffset? LastUsedAt { get; init; }

    /// <summary>The start of the idle window: the last use, or the sign-in.</summary>
    public DateTimeOffset LastActiveAt => LastUsedAt ?? CreatedAt;

    public bool IsRevoked => RevokedAt is not null;
}
