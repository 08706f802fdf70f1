using DropSync.Core.Accounts;

namespace DropSync.Api.Auth;

/// <summary>Gives handlers the authenticated <see cref="Caller"/> set by <see cref="BearerAuthenticationHandler"/>.</summary>
internal static class CallerAccessor
{
    public static Caller Caller(this HttpContext context) =>
        context.Items[typeof(Caller)] as Caller ?? throw new InvalidOperationException("Endpoint reached without authentication.");
}
