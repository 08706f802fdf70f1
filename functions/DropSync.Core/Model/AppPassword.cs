namespace DropSync.Core.Model;

/// <summary>
/// A per-device secret for HTTP Basic clients (WebDAV): the account's e-mail and this password sign in where a bearer
/// token cannot be used. Only a keyed hash of the secret is stored; the secret is shown once, when it is created.
/// </summary>
public sealed record AppPassword
{
    public required string AppPasswordId { get; init; }

    public required string UserId { get; init; }

    public required string Name { get; init; }

    /// <summary>HMAC-SHA256 of the secret under the server's app-password key, as lowercase hex.</summary>
    public required string SecretHash { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? RevokedAt { get; init; }

    public bool IsRevoked => RevokedAt is not null;
}
