using DropSync.Core.Model;
using DropSync.Core.Ports;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>Accounts and devices (<see cref="IAccountStore"/>).</summary>
public sealed partial class SqliteMetadataStore
{
    private const string AccountColumns = "user_id, email, password_hash, root_ns, created_at";
    private const string DeviceColumns = "device_id, user_id, name, token_hash, created_at, revoked_at, last_used_at";

    public Task<bool> TryCreateAccountAsync(Account account, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        return WriteAsync(
            async (transaction, ct) =>
            {
                // DO NOTHING on any uniqueness conflict: a taken e-mail answers false rather than throwing.
                using var command = transaction.Command(
                    $"INSERT INTO accounts ({AccountColumns}) VALUES ($user, $email, $password, $ns, $created) ON CONFLICT DO NOTHING;",
                    ("$user", account.UserId), ("$email", account.Email), ("$password", account.PasswordHash),
                    ("$ns", account.RootNamespaceId), ("$created", account.CreatedAt.ToUnixMs()));
                return await command.ExecuteNonQueryAsync(ct) == 1;
            },
            cancellationToken);
    }

    public Task<Account?> FindAccountByEmailAsync(string email, CancellationToken cancellationToken) =>
        ReadAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command($"SELECT {AccountColumns} FROM accounts WHERE email = $email;", ("$email", email));
                return await command.ReadFirstOrDefaultAsync(ReadAccount, ct);
            },
            cancellationToken);

    public Task<Account?> GetAccountAsync(string userId, CancellationToken cancellationToken) => CachedAccountAsync(userId, () => ReadAccountAsync(userId, cancellationToken));

    private Task<Account?> ReadAccountAsync(string userId, CancellationToken cancellationToken) =>
        ReadAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command($"SELECT {AccountColumns} FROM accounts WHERE user_id = $user;", ("$user", userId));
                return await command.ReadFirstOrDefaultAsync(ReadAccount, ct);
            },
            cancellationToken);

    public Task AddDeviceAsync(Device device, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        return WriteAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    $"INSERT INTO devices ({DeviceColumns}) VALUES ($device, $user, $name, $token, $created, $revoked, $used);",
                    ("$device", device.DeviceId), ("$user", device.UserId), ("$name", device.Name), ("$token", device.TokenHash),
                    ("$created", device.CreatedAt.ToUnixMs()), ("$revoked", device.RevokedAt?.ToUnixMs()), ("$used", device.LastUsedAt?.ToUnixMs()));
                return await command.ExecuteNonQueryAsync(ct);
            },
            cancellationToken);
    }

    public Task<Device?> FindDeviceByTokenHashAsync(string tokenHash, CancellationToken cancellationToken) =>
        CachedDeviceByTokenHashAsync(tokenHash, () => ReadDeviceByTokenHashAsync(tokenHash, cancellationToken));

    private Task<Device?> ReadDeviceByTokenHashAsync(string tokenHash, CancellationToken cancellationToken) =>
        ReadAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    $"SELECT {DeviceColumns} FROM devices WHERE token_hash = $token AND revoked_at IS NULL;", ("$token", tokenHash));
                return await command.ReadFirstOrDefaultAsync(ReadDevice, ct);
            },
            cancellationToken);

    /// <summary>Revoked devices too (with <see cref="Device.RevokedAt"/>); from memory once read (see the auth cache).</summary>
    public Task<Device?> GetDeviceAsync(string deviceId, CancellationToken cancellationToken) =>
        CachedDeviceByIdAsync(deviceId, () => ReadDeviceAsync(deviceId, cancellationToken));

    private Task<Device?> ReadDeviceAsync(string deviceId, CancellationToken cancellationToken) =>
        ReadAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command($"SELECT {DeviceColumns} FROM devices WHERE device_id = $device;", ("$device", deviceId));
                return await command.ReadFirstOrDefaultAsync(ReadDevice, ct);
            },
            cancellationToken);

    /// <summary>All of the user's devices, revoked ones included (with <see cref="Device.RevokedAt"/>), oldest first.</summary>
    public Task<IReadOnlyList<Device>> ListDevicesAsync(string userId, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<Device>>(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    $"SELECT {DeviceColumns} FROM devices WHERE user_id = $user ORDER BY created_at, device_id;", ("$user", userId));
                return await command.ReadAllAsync(ReadDevice, ct);
            },
            cancellationToken);

    public async Task<bool> RevokeDeviceAsync(string userId, string deviceId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        // Forgotten even if the write failed: whatever happened, the next request reads the database.
        try
        {
            return await RevokeDeviceRowAsync(userId, deviceId, at, cancellationToken);
        }
        finally
        {
            ForgetDevice(deviceId);
        }
    }

    private Task<bool> RevokeDeviceRowAsync(string userId, string deviceId, DateTimeOffset at, CancellationToken cancellationToken) =>
        WriteAsync(
            async (transaction, ct) =>
            {
                // Revoking twice keeps the first time and still answers true: the user does have that device.
                using var command = transaction.Command(
                    "UPDATE devices SET revoked_at = COALESCE(revoked_at, $at) WHERE device_id = $device AND user_id = $user;",
                    ("$at", at.ToUnixMs()), ("$device", deviceId), ("$user", userId));
                return await command.ExecuteNonQueryAsync(ct) == 1;
            },
            cancellationToken);

    public async Task TouchDeviceAsync(Device device, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        try
        {
            await TouchDeviceRowAsync(device, at, cancellationToken);
        }
        finally
        {
            ForgetDevice(device.DeviceId);
        }
    }

    private Task TouchDeviceRowAsync(Device device, DateTimeOffset at, CancellationToken cancellationToken) =>
        WriteAsync(
            async (transaction, ct) =>
            {
                // Never backwards: two racing requests may touch in either order.
                using var command = transaction.Command(
                    "UPDATE devices SET last_used_at = MAX(COALESCE(last_used_at, 0), $at) WHERE device_id = $device;",
                    ("$at", at.ToUnixMs()), ("$device", device.DeviceId));
                return await command.ExecuteNonQueryAsync(ct);
            },
            cancellationToken);

    public async Task<bool> SetPasswordHashAsync(Account account, string passwordHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        try
        {
            return await WriteAsync(
                async (transaction, ct) =>
                {
                    using var command = transaction.Command(
                        "UPDATE accounts SET password_hash = $hash WHERE user_id = $user;", ("$hash", passwordHash), ("$user", account.UserId));
                    return await command.ExecuteNonQueryAsync(ct) == 1;
                },
                cancellationToken);
        }
        finally
        {
            ForgetAccount(account.UserId);
        }
    }

    private static Account ReadAccount(SqliteDataReader reader) => new()
    {
        UserId = reader.GetString(0),
        Email = reader.GetString(1),
        PasswordHash = reader.GetString(2),
        RootNamespaceId = reader.GetString(3),
        CreatedAt = reader.GetUnixMs(4),
    };

    private static Device ReadDevice(SqliteDataReader reader) => new()
    {
        DeviceId = reader.GetString(0),
        UserId = reader.GetString(1),
        Name = reader.GetString(2),
        TokenHash = reader.GetString(3),
        CreatedAt = reader.GetUnixMs(4),
        RevokedAt = reader.IsDBNull(5) ? null : reader.GetUnixMs(5),
        LastUsedAt = reader.IsDBNull(6) ? null : reader.GetUnixMs(6),
    };
}
