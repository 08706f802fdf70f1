namespace DropSync.Core.Model;

/// <summary>A user. <see cref="RootNamespaceId"/> is the namespace that holds the user's own files.</summary>
public sealed record Account
{
    public required string UserId { get; init; }

    /// <summary>Lower-cased, trimmed e-mail address; unique.</summary>
    public required string Email { get; init; }

    /// <summary>Encoded slow-KDF hash (see <c>PasswordHasher</c>); never the password.</summary>
    public required string PasswordHash { get; init; }

    public required string RootNamespaceId { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
}
