using System.Text;
using DropSync.Core.Accounts;
using DropSync.Core.Guarding;
using Microsoft.AspNetCore.Http;

namespace DropSync.Dav;

/// <summary>
/// HTTP Basic for WebDAV clients: the account's e-mail and one of its app passwords (never the account password, which
/// only signs in devices through /auth/login). A 401 carries the Basic challenge so file managers ask for it. Failures
/// are counted per account and client address: past the limit that pair answers 429 for the rest of the window (per
/// pair rather than per account, so a stranger guessing cannot lock the owner's own WebDAV clients out).
/// </summary>
internal static class BasicAuthentication
{
    public const string Challenge = "Basic realm=\"DropSync\", charset=\"UTF-8\"";

    public static async Task<Caller?> AuthenticateAsync(HttpContext context, AppPasswordService appPasswords, FailedAttemptLimiter guesses)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) || header.Length > 2048)
        {
            return null;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
        }
        catch (FormatException)
        {
            return null;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return null;
        }

        var email = decoded[..colon];
        var key = "dav:" + email.Trim().ToLowerInvariant() + "|" + context.Connection.RemoteIpAddress;
        if (guesses.LockedFor(key, guesses.Options.DavFailuresPerAccountAndAddress) is { } wait)
        {
            throw Core.Errors.RetryAfter.TooManyRequests("Too many failed WebDAV sign-ins for this account from this address; wait before trying again.", wait);
        }

        var caller = await appPasswords.AuthenticateAsync(email, decoded[(colon + 1)..], context.RequestAborted);
        if (caller is null)
        {
            guesses.RecordFailure(key);
        }

        return caller;
    }
}
