using System.Security.Cryptography;
using System.Text;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using DropSync.Core.Ports;

namespace DropSync.Core.Accounts;

/// <summary>
/// App passwords: per-device secrets for HTTP Basic clients (WebDAV), created, listed and revoked like devices. The
/// account password is never accepted where an app password is asked for.
/// </summary>
/// <remarks>
/// The secret is 128 random bits, so it is stored as a fast keyed hash (HMAC-SHA256 under a key derived from the master
/// key) rather than a slow password hash: a slow KDF protects guessable human passwords, while guessing a 128-bit
/// secret is hopeless however fast each guess is, and the key means a leaked database alone cannot even test guesses.
/// A fast hash also keeps Basic authentication, which runs on every WebDAV request, cheap.
/// </remarks>
public sealed class AppPasswordService(IAccountStore accounts, IAppPasswordStore store, AppPasswordKey key, TimeProvider clock)
{
    public const int MaxNameLength = 100;

    /// <summary>Most live app passwords an account may have (bounds the per-request lookup).</summary>
    public const int MaxLivePerAccount = 50;

    public async Task<(string Secret, AppPassword AppPassword)> CreateAsync(Caller caller, string? name, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var trimmed = name?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > MaxNameLength || trimmed.Any(char.IsControl))
        {
            throw Errors.Errors.BadRequest(ErrorCodes.InvalidAppPasswordName, $"Name the app password (1 to {MaxNameLength} printable characters), for example \"Finder on my laptop\".");
        }

        var live = (await store.ListAppPasswordsAsync(caller.UserId, ct)).Count(p => !p.IsRevoked);
        if (live >= MaxLivePerAccount)
        {
            throw Errors.Errors.Conflict(ErrorCodes.TooManyAppPasswords, $"An account has at most {MaxLivePerAccount} app passwords; revoke one you no longer use.");
        }

        // 16 random bytes as base32-like groups a person can type: xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-x (no ambiguous padding).
        var secret = FormatSecret(RandomNumberGenerator.GetBytes(16));
        var appPassword = new AppPassword
        {
            AppPasswordId = Ids.New("ap_"),
            UserId = caller.UserId,
            Name = trimmed,
            SecretHash = key.Hash(secret),
            CreatedAt = clock.GetUtcNow(),
        };
        await store.AddAppPasswordAsync(appPassword, ct);
        return (secret, appPassword);
    }

    public async Task<IReadOnlyList<AppPassword>> ListAsync(Caller caller, CancellationToken ct) =>
        (await store.ListAppPasswordsAsync(caller.UserId, ct)).Where(p => !p.IsRevoked).ToList();

    public async Task RevokeAsync(Caller caller, string? appPasswordId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(appPasswordId) || !await store.RevokeAppPasswordAsync(caller.UserId, appPasswordId, clock.GetUtcNow(), ct))
        {
            throw Errors.Errors.NotFound(ErrorCodes.AppPasswordNotFound, "You have no app password with that id; list them with /auth/list_app_passwords.");
        }
    }

    /// <summary>
    /// The caller behind an e-mail and app password, or null. The app password stands in for the device: its id is the
    /// device id in the journal and its name names conflicted copies.
    /// </summary>
    public async Task<Caller?> AuthenticateAsync(string? email, string? secret, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(email) || string.IsNullOrEmpty(secret) || secret.Length > 200 || email.Length > 254)
        {
            return null;
        }

        var account = await accounts.FindAccountByEmailAsync(email.Trim().ToLowerInvariant(), ct);
        if (account is null)
        {
            return null;
        }

        var hash = Encoding.ASCII.GetBytes(key.Hash(secret));
        foreach (var candidate in await store.ListAppPasswordsAsync(account.UserId, ct))
        {
            if (!candidate.IsRevoked && CryptographicOperations.FixedTimeEquals(hash, Encoding.ASCII.GetBytes(candidate.SecretHash)))
            {
                return new Caller(account.UserId, account.Email, candidate.AppPasswordId, candidate.Name, account.RootNamespaceId);
            }
        }

        return null;
    }

    private static string FormatSecret(ReadOnlySpan<byte> bytes)
    {
        const string alphabet = "abcdefghijkmnpqrstuvwxyz23456789"; // 32 symbols, no l/o/0/1
        var text = new StringBuilder();
        ulong buffer = 0;
        var bits = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                bits -= 5;
                text.Append(alphabet[(int)((buffer >> bits) & 31)]);
            }
        }

        if (bits > 0)
        {
            text.Append(alphabet[(int)((buffer << (5 - bits)) & 31)]);
        }

        // Groups of five for reading aloud or typing; the dashes are part of the secret.
        return string.Join('-', text.ToString().Chunk(5).Select(c => new string(c)));
    }
}

/// <summary>The server key app-password secrets are hashed under (derived from the master key, one purpose).</summary>
public sealed class AppPasswordKey(byte[] key)
{
    public string Hash(string secret) => Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(secret)));
}
