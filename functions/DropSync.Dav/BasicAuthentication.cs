using System.Text;
using DropSync.Core.Accounts;
using Microsoft.AspNetCore.Http;

namespace DropSync.Dav;

/// <summary>
/// HTTP Basic for WebDAV clients: the account's e-mail and one of its app passwords (never the account password, which
/// only signs in devices through /auth/login). A 401 carries the Basic challenge so file managers ask for it.
/// </summary>
internal static class BasicAuthentication
{
    public const string Challenge = "Basic realm=\"DropSync\", charset=\"UTF-8\"";

    public static async Task<Caller?> AuthenticateAsync(HttpContext context, AppPasswordService appPasswords)
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
        return colon <= 0 ? null : await appPasswords.AuthenticateAsync(decoded[..colon], decoded[(colon + 1)..], context.RequestAborted);
    }
}
