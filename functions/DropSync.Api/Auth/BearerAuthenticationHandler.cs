using System.Security.Claims;
using System.Text.Encodings.Web;
using DropSync.Api.Hosting;
using DropSync.Core.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace DropSync.Api.Auth;

/// <summary>
/// Authenticates "Authorization: Bearer &lt;token&gt;" (or <c>access_token</c> in the query, for WebSockets from browsers)
/// against the device tokens of <see cref="AccountService"/>. Looked up on every request, so a revoked device is
/// refused at once.
/// </summary>
internal sealed class BearerAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    AccountService accounts)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = TokenFrom(Request);
        if (token is null)
        {
            return AuthenticateResult.NoResult();
        }

        var caller = await accounts.AuthenticateAsync(token, Context.RequestAborted);
        if (caller is null)
        {
            return AuthenticateResult.Fail("unknown or revoked token");
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

        return request.Query.TryGetValue("access_token", out var fromQuery) ? fromQuery.ToString() : null;
    }
}
