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

    public bool IsRevoked => RevokedAt is not null;
}
