using DropSync.Api.Auth;
using DropSync.Core.Accounts;
using DropSync.Core.Ports;

namespace DropSync.Api.Apis;

/// <summary>Accounts and devices: each login is a device with its own revocable token.</summary>
internal static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder routes)
    {
        var auth = routes.MapGroup("/auth").WithTags("Auth");
        auth.MapPost("/register", RegisterAsync).AllowAnonymous().WithSummary("Create an account.");
        auth.MapPost("/login", LoginAsync).AllowAnonymous().WithSummary("Sign in a device; answers its access token.");
        auth.MapPost("/logout", LogoutAsync).WithSummary("Sign out this device (its token stops working at once).");
        auth.MapPost("/list_devices", ListDevicesAsync).WithSummary("The signed-in devices of this account.");
        auth.MapPost("/revoke_device", RevokeDeviceAsync).WithSummary("Sign out one of this account's devices.");
        return routes;
    }

    private static async Task<IResult> RegisterAsync(RegisterRequest request, AccountService accounts, CancellationToken ct)
    {
        var account = await accounts.RegisterAsync(request.Email, request.Password, ct);
        return Results.Ok(new { account.UserId, account.Email });
    }

    private static async Task<IResult> LoginAsync(LoginRequest request, AccountService accounts, CancellationToken ct)
    {
        var (token, device) = await accounts.LoginAsync(request.Email, request.Password, request.DeviceName, ct);
        return Results.Ok(new { AccessToken = token, device.DeviceId, device.UserId, DeviceName = device.Name });
    }

    private static async Task<IResult> LogoutAsync(HttpContext context, AccountService accounts, IDeviceConnectionCloser connections, CancellationToken ct)
    {
        var caller = context.Caller();
        await accounts.LogoutAsync(caller, ct);
        await connections.CloseDeviceAsync(caller.UserId, caller.DeviceId, ct);
        return Results.Ok(new { });
    }

    private static async Task<IResult> ListDevicesAsync(HttpContext context, AccountService accounts, CancellationToken ct)
    {
        var caller = context.Caller();
        var devices = await accounts.ListDevicesAsync(caller, ct);
        return Results.Ok(new
        {
            Devices = devices.Select(d => new { d.DeviceId, d.Name, d.CreatedAt, d.RevokedAt, Current = d.DeviceId == caller.DeviceId }),
        });
    }

    private static async Task<IResult> RevokeDeviceAsync(RevokeDeviceRequest request, HttpContext context, AccountService accounts, IDeviceConnectionCloser connections, CancellationToken ct)
    {
        var caller = context.Caller();
        await accounts.RevokeDeviceAsync(caller, request.DeviceId, ct);
        await connections.CloseDeviceAsync(caller.UserId, request.DeviceId!, ct);
        return Results.Ok(new { });
    }
}
