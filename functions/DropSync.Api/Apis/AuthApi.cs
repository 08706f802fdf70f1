using DropSync.Api.Auth;
using DropSync.Core.Accounts;
using DropSync.Core.Contract;
using DropSync.Core.Errors;
using DropSync.Core.Guarding;
using DropSync.Core.Ports;
using DropSync.Core.Sharing;

namespace DropSync.Api.Apis;

/// <summary>Accounts and devices: each login is a device with its own revocable token.</summary>
internal static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder routes)
    {
        var auth = routes.MapGroup("/auth").WithTags("Auth");
        auth.MapPost("/register", RegisterAsync).WithName("register").AllowAnonymous().RequireRateLimiting(Hosting.RateLimits.RegisterPolicy).WithSummary("Create an account.");
        auth.MapPost("/login", LoginAsync).WithName("login").AllowAnonymous().RequireRateLimiting(Hosting.RateLimits.LoginPolicy).WithSummary("Sign in a device; answers its access token.");
        auth.MapPost("/logout", LogoutAsync).WithName("logout").WithSummary("Sign out this device (its token stops working at once).");
        auth.MapPost("/list_devices", ListDevicesAsync).WithName("listDevices").WithSummary("The signed-in devices of this account.");
        auth.MapPost("/revoke_device", RevokeDeviceAsync).WithName("revokeDevice").WithSummary("Sign out one of this account's devices.");
        auth.MapPost("/change_password", ChangePasswordAsync).WithName("changePassword")
            .WithSummary("Change the password (the old one must be given); signs out every other device and revokes every app password.");
        return routes;
    }

    private static async Task<RegisterResponse> RegisterAsync(RegisterRequest request, AccountService accounts, InvitationNotices invitations, CancellationToken ct)
    {
        var account = await accounts.RegisterAsync(request.Email, request.Password, ct);

        // Invitations made to this address before it had an account are waiting: tell the new account about them.
        await invitations.AnnounceToNewAccountAsync(account, ct);
        return new RegisterResponse(account.UserId, account.Email);
    }

    private static async Task<LoginResponse> LoginAsync(LoginRequest request, AccountService accounts, FailedAttemptLimiter guesses, CancellationToken ct)
    {
        // Wrong passwords are counted per account, from any address; a right one forgets them.
        var (token, device) = await guesses.GuardAsync(
            AccountKey(request.Email), guesses.Options.LoginFailuresPerAccount, resetOnSuccess: true,
            () => accounts.LoginAsync(request.Email, request.Password, request.DeviceName, ct), ErrorCodes.InvalidCredentials);
        return new LoginResponse(token, device.DeviceId, device.UserId, device.Name);
    }

    /// <summary>The key failed passwords of one account are counted under (the e-mail as sign-in normalizes it).</summary>
    internal static string AccountKey(string? email) => "account:" + (email?.Trim().ToLowerInvariant() ?? "");

    private static async Task<EmptyResponse> LogoutAsync(HttpContext context, AccountService accounts, IDeviceConnectionCloser connections, CancellationToken ct)
    {
        var caller = context.Caller();
        await accounts.LogoutAsync(caller, ct);
        await connections.CloseDeviceAsync(caller.UserId, caller.DeviceId, ct);
        return EmptyResponse.Instance;
    }

    private static async Task<ListDevicesResponse> ListDevicesAsync(
        ListPageRequest? request, HttpContext context, AccountService accounts, Core.Feed.CursorSigner signer, CancellationToken ct)
    {
        var caller = context.Caller();
        var (devices, cursor) = AccountListPages.Take(
            await accounts.ListDevicesAsync(caller, ct), d => AccountListPages.ByTime(d.CreatedAt, d.DeviceId), "devices", context, request?.Limit, request?.Cursor, signer);
        return new ListDevicesResponse(
            [.. devices.Select(d => new DeviceResponse(d.DeviceId, d.Name, d.CreatedAt, d.RevokedAt, d.DeviceId == caller.DeviceId) { LastUsed = d.LastActiveAt })], cursor, cursor is not null);
    }

    private static async Task<ChangePasswordResponse> ChangePasswordAsync(
        ChangePasswordRequest request, HttpContext context, AccountService accounts, IDeviceConnectionCloser connections, FailedAttemptLimiter guesses, CancellationToken ct)
    {
        var caller = context.Caller();

        // A wrong old password counts against the account like a wrong sign-in: a stolen token cannot guess it freely.
        var change = await guesses.GuardAsync(
            AccountKey(caller.Email), guesses.Options.LoginFailuresPerAccount, resetOnSuccess: true,
            () => accounts.ChangePasswordAsync(caller, request.OldPassword, request.NewPassword, ct), ErrorCodes.InvalidCredentials);
        foreach (var deviceId in change.SignedOutDeviceIds)
        {
            await connections.CloseDeviceAsync(caller.UserId, deviceId, ct);
        }

        return new ChangePasswordResponse(change.SignedOutDeviceIds.Count, change.RevokedAppPasswords);
    }

    private static async Task<EmptyResponse> RevokeDeviceAsync(RevokeDeviceRequest request, HttpContext context, AccountService accounts, IDeviceConnectionCloser connections, CancellationToken ct)
    {
        var caller = context.Caller();
        await accounts.RevokeDeviceAsync(caller, request.DeviceId, ct);
        await connections.CloseDeviceAsync(caller.UserId, request.DeviceId!, ct);
        return EmptyResponse.Instance;
    }
}
