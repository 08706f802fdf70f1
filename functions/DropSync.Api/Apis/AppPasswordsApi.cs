using DropSync.Api.Auth;
using DropSync.Core.Accounts;
using DropSync.Core.Contract;

namespace DropSync.Api.Apis;

/// <summary>
/// App passwords: per-device secrets for HTTP Basic clients (WebDAV at /dav/), created, listed and revoked like devices.
/// The secret is in the create answer only; the server keeps a keyed hash of it.
/// </summary>
internal static class AppPasswordsApi
{
    public static IEndpointRouteBuilder MapAppPasswordsApi(this IEndpointRouteBuilder routes)
    {
        var auth = routes.MapGroup("/auth").WithTags("Auth");
        auth.MapPost("/create_app_password", CreateAsync).WithName("createAppPassword")
            .WithSummary("Create an app password for a WebDAV client (sign in there with your e-mail and it); the secret is shown only in this answer.");
        auth.MapPost("/list_app_passwords", ListAsync).WithName("listAppPasswords").WithSummary("This account's app passwords (never their secrets).");
        auth.MapPost("/revoke_app_password", RevokeAsync).WithName("revokeAppPassword").WithSummary("Revoke an app password: clients using it are refused at once.");
        return routes;
    }

    private static async Task<AppPasswordCreated> CreateAsync(CreateAppPasswordRequest request, HttpContext context, AppPasswordService appPasswords, CancellationToken ct)
    {
        var (secret, created) = await appPasswords.CreateAsync(context.Caller(), request.Name, ct);
        return new AppPasswordCreated(secret, created.AppPasswordId, created.Name, created.CreatedAt);
    }

    private static async Task<AppPasswordList> ListAsync(
        ListPageRequest? request, HttpContext context, AppPasswordService appPasswords, Core.Feed.CursorSigner signer, CancellationToken ct)
    {
        // The account's live app passwords are capped (AppPasswordService.MaxLivePerAccount): a bounded read, paged for the shape.
        var (page, cursor) = AccountListPages.Take(
            await appPasswords.ListAsync(context.Caller(), ct), p => AccountListPages.ByTime(p.CreatedAt, p.AppPasswordId), "app_passwords", context, request?.Limit, request?.Cursor, signer);
        return new([.. page.Select(p => new AppPasswordInfo(p.AppPasswordId, p.Name, p.CreatedAt))], cursor, cursor is not null);
    }

    private static async Task<EmptyResponse> RevokeAsync(RevokeAppPasswordRequest request, HttpContext context, AppPasswordService appPasswords, CancellationToken ct)
    {
        await appPasswords.RevokeAsync(context.Caller(), request.Id, ct);
        return EmptyResponse.Instance;
    }
}

internal sealed record CreateAppPasswordRequest(string? Name);

internal sealed record RevokeAppPasswordRequest(string? Id);
