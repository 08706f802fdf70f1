using System.Net.Mail;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using DropSync.Core.Ports;

namespace DropSync.Core.Accounts;

/// <summary>Registration, sign-in (one device per login, each with its own revocable token) and device management.</summary>
public sealed class AccountService(IAccountStore store, PasswordHasher hasher, TimeProvider clock)
{
    public const int MinPasswordLength = 8;
    public const int MaxPasswordLength = 1024;

    // Verified against on unknown e-mails so that a failed sign-in takes as long whether or not the account exists.
    private readonly Lazy<string> _decoyHash = new(() => hasher.Hash("decoy-password"));

    public async Task<Account> RegisterAsync(string? email, string? password, CancellationToken ct)
    {
        var normalized = NormalizeEmail(email);
        if (password is null || password.Length < MinPasswordLength || password.Length > MaxPasswordLength)
        {
            throw Errors.Errors.BadRequest(ErrorCodes.WeakPassword, $"Choose a password of at least {MinPasswordLength} characters.");
        }

        var userId = Ids.New("u_");
        var account = new Account
        {
            UserId = userId,
            Email = normalized,
            PasswordHash = hasher.Hash(password),
            RootNamespaceId = Namespaces.RootOf(userId),
            CreatedAt = clock.GetUtcNow(),
        };
        if (!await store.TryCreateAccountAsync(account, ct))
        {
            throw Errors.Errors.Conflict(ErrorCodes.EmailTaken, "An account with this e-mail already exists; sign in instead.");
        }

        return account;
    }

    public async Task<(string AccessToken, Device Device)> LoginAsync(string? email, string? password, string? deviceName, CancellationToken ct)
    {
        var normalized = NormalizeEmail(email);
        var account = await store.FindAccountByEmailAsync(normalized, ct);
        var ok = hasher.Verify(password ?? "", account?.PasswordHash ?? _decoyHash.Value) && account is not null;
        if (!ok)
        {
            throw new DropSyncException(ErrorKind.Unauthorized, ErrorCodes.InvalidCredentials, "The e-mail or password is wrong.");
        }

        var name = string.IsNullOrWhiteSpace(deviceName) ? "Unnamed device" : deviceName.Trim();
        if (name.Length > 100 || name.Any(char.IsControl))
        {
            throw Errors.Errors.BadRequest(ErrorCodes.InvalidDeviceName, "A device name is at most 100 printable characters.");
        }

        var token = Ids.New("dst_", 32);
        var device = new Device
        {
            DeviceId = Ids.New("dev_"),
            UserId = account!.UserId,
            Name = name,
            TokenHash = Ids.Sha256Hex(token),
            CreatedAt = clock.GetUtcNow(),
        };
        await store.AddDeviceAsync(device, ct);
        return (token, device);
    }

    /// <summary>The caller behind a bearer token, or null if the token is unknown or its device revoked.</summary>
    public async Task<Caller?> AuthenticateAsync(string token, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 200)
        {
            return null;
        }

        var device = await store.FindDeviceByTokenHashAsync(Ids.Sha256Hex(token), ct);
        if (device is null || device.IsRevoked)
        {
            return null;
        }

        var account = await store.GetAccountAsync(device.UserId, ct);
        return account is null ? null : new Caller(account.UserId, account.Email, device.DeviceId, device.Name, account.RootNamespaceId);
    }

    /// <summary>The account's signed-in devices (revoked ones are gone for the user).</summary>
    /// <summary>The caller a live connection stands for: its device, if it still exists and is not revoked.</summary>
    public async Task<Caller?> GetDeviceCallerAsync(string userId, string deviceId, CancellationToken ct)
    {
        var device = await store.GetDeviceAsync(deviceId, ct);
        if (device is null || device.IsRevoked || device.UserId != userId)
        {
            return null;
        }

        var account = await store.GetAccountAsync(userId, ct);
        return account is null ? null : new Caller(account.UserId, account.Email, device.DeviceId, device.Name, account.RootNamespaceId);
    }

    public async Task<IReadOnlyList<Device>> ListDevicesAsync(Caller caller, CancellationToken ct) =>
        (await store.ListDevicesAsync(caller.UserId, ct)).Where(d => !d.IsRevoked).ToList();

    public async Task RevokeDeviceAsync(Caller caller, string? deviceId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(deviceId) || !await store.RevokeDeviceAsync(caller.UserId, deviceId, clock.GetUtcNow(), ct))
        {
            throw Errors.Errors.NotFound(ErrorCodes.DeviceNotFound, "You have no device with that device_id; list them with /auth/list_devices.");
        }
    }

    public Task LogoutAsync(Caller caller, CancellationToken ct) => store.RevokeDeviceAsync(caller.UserId, caller.DeviceId, clock.GetUtcNow(), ct);

    public static string NormalizeEmail(string? email)
    {
        var trimmed = email?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > 254 || !MailAddress.TryCreate(trimmed, out var parsed) || parsed.Address != trimmed)
        {
            throw Errors.Errors.BadRequest(ErrorCodes.InvalidEmail, "Give a valid e-mail address, like name@example.com.");
        }

        return trimmed;
    }
}
