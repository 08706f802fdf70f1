namespace DropSync.Core.Files;

/// <summary>Tunable lifetimes of the service; defaults are production values.</summary>
public sealed class DropSyncOptions
{
    /// <summary>How long a signed block URL is good for.</summary>
    public TimeSpan BlockUrlLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long an unfinished resumable upload (and the blocks it pins) is kept.</summary>
    public TimeSpan UploadSessionLifetime { get; set; } = TimeSpan.FromHours(48);

    /// <summary>How long an unreferenced block is kept before it is collected.</summary>
    public TimeSpan BlockGracePeriod { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often the embedded server runs garbage collection.</summary>
    public TimeSpan CollectionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>PBKDF2 iterations for new password hashes.</summary>
    public int PasswordIterations { get; set; } = Accounts.PasswordHasher.DefaultIterations;
}
