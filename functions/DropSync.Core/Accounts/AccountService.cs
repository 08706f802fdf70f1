using System.Net.Mail;
using DropSync.Core.Errors;
using DropSync.Core.Files;
using DropSync.Core.Model;
using DropSync.Core.Ports;

namespace DropSync.Core.Accounts;

/// <summary>
/// Registration, sign-in (one device per login, each with its own revocable token that expires after an idle window),
/// password changes and device management. Password hashing runs through the <see cref="PasswordHashingGate"/>.
/// </summary>
public sealed class AccountService(
    IAccountStore store, IAppPasswordStore appPasswords, PasswordHasher hasher, PasswordHashingGate hashing, DropSyncOptions options, TimeProvider clock)
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
            PasswordHash = await hashing.RunAsync(() => hasher.Hash(password), ct),
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
        var ok = await hashing.RunAsync(() => hasher.Verify(password ?? "", account?.PasswordHash ?? _decoyHash.Value), ct) && account is not null;
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

    /// <summary>The caller behind a bearer token, or null if the token is unknown, its device revoked or idle too long.</summary>
    public async Task<Caller?> AuthenticateAsync(string token, CancellationToken ct) => (await CheckTokenAsync(token, touch: false, ct)).Caller;

    /// <summary>
    /// The caller behind a bearer token, or why there is none (<see cref="TokenCheck.Expired"/>: the token was good but
    /// went unused for longer than <see cref="DropSyncOptions.TokenIdleTimeout"/>). With <paramref name="touch"/>, a use
    /// more than <see cref="DropSyncOptions.DeviceLastUsedResolution"/> after the recorded one is written, so the idle
    /// window slides without a write per request.
    /// </summary>
    public async Task<TokenCheck> CheckTokenAsync(string token, bool touch, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 200)
        {
            return TokenCheck.Unknown;
        }

        var device = await store.FindDeviceByTokenHashAsync(Ids.Sha256Hex(token), ct);
        if (device is null || device.IsRevoked)
        {
            return TokenCheck.Unknown;
        }

        var now = clock.GetUtcNow();
        if (IsIdleExpired(device, now))
        {
            return new TokenCheck(null, Expired: true);
        }

        var account = await store.GetAccountAsync(device.UserId, ct);
        if (account is null)
        {
            return TokenCheck.Unknown;
        }

        if (touch && now - device.LastActiveAt >= options.DeviceLastUsedResolution)
        {
            await store.TouchDeviceAsync(device, now, ct);
        }

        return new TokenCheck(new Caller(account.UserId, account.Email, device.DeviceId, device.Name, account.RootNamespaceId), Expired: false);
    }

    private bool IsIdleExpired(Device device, DateTimeOffset now) => now - device.LastActiveAt > options.TokenIdleTimeout;

    /// <summary>
    /// Changes the caller's password: the old one must verify. Every OTHER device is signed out, and every app password
    /// revoked (as Google does: whoever knew the old password could have made one to keep access); the device asking
    /// stays signed in. Answers the ids of the devices signed out, so their live connections can be closed.
    /// </summary>
    public async Task<PasswordChange> ChangePasswordAsync(Caller caller, string? oldPassword, string? newPassword, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (newPassword is null || newPassword.Length < MinPasswordLength || newPassword.Length > MaxPasswordLength)
        {
            throw Errors.Errors.BadRequest(ErrorCodes.WeakPassword, $"Choose a password of at least {MinPasswordLength} characters.");
        }

        var account = await store.GetAccountAsync(caller.UserId, ct)
            ?? throw new DropSyncException(ErrorKind.Unauthorized, ErrorCodes.InvalidCredentials, "The current password is wrong.");
        if (oldPassword is null || oldPassword.Length > MaxPasswordLength || !await hashing.RunAsync(() => hasher.Verify(oldPassword, account.PasswordHash), ct))
        {
            throw new DropSyncException(ErrorKind.Unauthorized, ErrorCodes.InvalidCredentials, "The current password is wrong.");
        }

        var hash = await hashing.RunAsync(() => hasher.Hash(newPassword), ct);
        await store.SetPasswordHashAsync(account, hash, ct);
        var now = clock.GetUtcNow();
        var signedOut = new List<string>();
        foreach (var device in await store.ListDevicesAsync(caller.UserId, ct))
        {
            if (!device.IsRevoked && device.DeviceId != caller.DeviceId && await store.RevokeDeviceAsync(caller.UserId, device.DeviceId, now, ct))
            {
                signedOut.Add(device.DeviceId);
            }
        }

        var revokedAppPasswords = 0;
        foreach (var appPassword in await appPasswords.ListAppPasswordsAsync(caller.UserId, ct))
        {
            if (!appPassword.IsRevoked && await appPasswords.RevokeAppPasswordAsync(caller.UserId, appPassword.AppPasswordId, now, ct))
            {
                revokedAppPasswords++;
            }
        }

        return new PasswordChange(signedOut, revokedAppPasswords);
    }

    /// <summary>The caller a live connection stands for: its device, if it still exists and is not revoked.</summary>
    public async Task<Caller?> GetDeviceCallerAsync(string userId, string deviceId, CancellationToken ct)
    {
        var device = await store.GetDeviceAsync(deviceId, ct);
        if (device is null || device.IsRevoked || device.UserId != userId || IsIdleExpired(device, clock.GetUtcNow()))
        {
            return null;
        }

        var account = await store.GetAccountAsync(userId, ct);
        return account is null ? null : new Caller(account.UserId, account.Email, device.DeviceId, device.Name, account.RootNamespaceId);
    }

    /// <summary>The account's signed-in devices (revoked ones are gone for the user; idle-expired ones are listed, and can be revoked).</summary>
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

/// <summary>The outcome of checking a bearer token: its caller, or none (and whether it was good but idle too long).</summary>
public sealed record TokenCheck(Caller? Caller, bool Expired)
{
    public static TokenCheck Unknown { get; } = new(null, false);
}

/// <summary>What a password change did: the devices it signed out and how many app passwords it revoked.</summary>
public sealed record PasswordChange(IReadOnlyList<string> SignedOutDeviceIds, int RevokedAppPasswords);
