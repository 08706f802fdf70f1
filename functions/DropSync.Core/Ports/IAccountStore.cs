using DropSync.Core.Model;

namespace DropSync.Core.Ports;

/// <summary>
/// Accounts and their devices.
/// Contract: e-mails are unique (<see cref="TryCreateAccountAsync"/> answers false for a taken one); a revoked device is never
/// returned by <see cref="FindDeviceByTokenHashAsync"/>.
/// </summary>
public interface IAccountStore
{
    Task<bool> TryCreateAccountAsync(Account account, CancellationToken cancellationToken);

    Task<Account?> FindAccountByEmailAsync(string email, CancellationToken cancellationToken);

    Task<Account?> GetAccountAsync(string userId, CancellationToken cancellationToken);

    Task AddDeviceAsync(Device device, CancellationToken cancellationToken);

    /// <summary>The live (not revoked) device holding this token hash.</summary>
    Task<Device?> FindDeviceByTokenHashAsync(string tokenHash, CancellationToken cancellationToken);

    Task<Device?> GetDeviceAsync(string deviceId, CancellationToken cancellationToken);

    Task<IReadOnlyList<Device>> ListDevicesAsync(string userId, CancellationToken cancellationToken);

    /// <summary>Revokes a device of this user; false if the user has no such device.</summary>
    Task<bool> RevokeDeviceAsync(string userId, string deviceId, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Records the device's last use (its idle window starts again); nothing if the device is unknown.</summary>
    Task TouchDeviceAsync(Device device, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Replaces the account's password hash (found by its e-mail and by its id alike); false if there is no such account.</summary>
    Task<bool> SetPasswordHashAsync(Account account, string passwordHash, CancellationToken cancellationToken);
}
