using DropSync.Core.Model;

namespace DropSync.Core.Ports;

/// <summary>
/// The app passwords of accounts. Contract: <see cref="ListAppPasswordsAsync"/> answers revoked ones too (with
/// <see cref="AppPassword.RevokedAt"/>); revoking twice keeps the first time and still answers true.
/// </summary>
public interface IAppPasswordStore
{
    Task AddAppPasswordAsync(AppPassword appPassword, CancellationToken cancellationToken);

    Task<IReadOnlyList<AppPassword>> ListAppPasswordsAsync(string userId, CancellationToken cancellationToken);

    /// <summary>Revokes an app password of this user; false if the user has no such app password.</summary>
    Task<bool> RevokeAppPasswordAsync(string userId, string appPasswordId, DateTimeOffset at, CancellationToken cancellationToken);
}
