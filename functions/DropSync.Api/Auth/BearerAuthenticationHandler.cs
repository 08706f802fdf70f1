using System.Security.Claims;
using System.Text.Encodings.Web;
using DropSync.Api.Hosting;
using DropSync.Core.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace DropSync.Api.Auth;

/// <summary>
/// Authenticates "Authorization: Bearer &lt;token&gt;" against the device tokens of <see cref="AccountService"/>. Looked
/// up on every request, so a revoked device is refused at once, and a token idle for longer than the idle timeout
/// answers 401 token_expired. The token is taken from the <c>access_token</c> query parameter only on the live feed's
/// WebSocket (<see cref="QueryTokenPath"/>; browsers cannot set headers on a WebSocket): anywhere else a query string
/// ends up in access logs and browser history, so it is ignored there.
/// </summary>
internal sealed class BearerAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    AccountService accounts)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    /// <summary>The one path where <c>?access_token=</c> is accepted.</summary>
    public const string QueryTokenPath = "/notifications/ws";

    private const string ExpiredKey = "DropSync.TokenExpired";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = TokenFrom(Request);
        if (token is null)
        {
            return AuthenticateResult.NoResult();
        }

        var (caller, expired) = await accounts.CheckTokenAsync(token, touch: true, Context.RequestAborted);
        if (caller is null)
        {
            Context.Items[ExpiredKey] = expired;
            return AuthenticateResult.Fail(expired ? "token idle for too long" : "unknown or revoked token");
        }

        Context.Items[typeof(Caller)] = caller;
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, caller.UserId), new Claim("device_id", caller.DeviceId)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        var (code, message) = TokenFrom(Request) is null
            ? ("unauthorized", ErrorResponses.ForStatus(401).Message)
            : Context.Items[ExpiredKey] is true
                ? (Core.Errors.ErrorCodes.TokenExpired, "This access token was not used for too long and has expired; sign in again with /auth/login.")
                : ("invalid_token", "This access token is unknown or its device was signed out; sign in again with /auth/login.");
        return ErrorResponses.WriteAsync(Context, StatusCodes.Status401Unauthorized, code, message);
    }

    private static string? TokenFrom(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }

        return request.Path.Equals(QueryTokenPath, StringComparison.OrdinalIgnoreCase) && request.Query.TryGetValue("access_token", out var fromQuery)
            ? fromQuery.ToString()
            : null;
    }
}
