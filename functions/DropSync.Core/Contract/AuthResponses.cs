namespace DropSync.Core.Contract;

// The answers of /auth/* (snake_case on the wire). The API answers these records, and the OpenAPI document
// describes them, so a generated client and the server agree on one shape.

/// <summary><c>POST /auth/register</c>: the new account.</summary>
public sealed record RegisterResponse(string UserId, string Email);

/// <summary><c>POST /auth/login</c>: the signed-in device and its access token (send it as <c>Authorization: Bearer</c>).</summary>
public sealed record LoginResponse(string AccessToken, string DeviceId, string UserId, string DeviceName);

/// <summary>One signed-in (or signed-out) device; <c>current</c> is the device asking.</summary>
public sealed record DeviceResponse(string DeviceId, string Name, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, bool Current)
{
    /// <summary>When the device's token was last used (to a few minutes); it expires after the server's idle timeout.</summary>
    public DateTimeOffset? LastUsed { get; init; }
}

/// <summary><c>POST /auth/change_password</c>: how many other devices were signed out and app passwords revoked.</summary>
public sealed record ChangePasswordResponse(int SignedOutDevices, int RevokedAppPasswords);

/// <summary><c>POST /auth/list_devices</c>.</summary>
public sealed record ListDevicesResponse(IReadOnlyList<DeviceResponse> Devices, string? Cursor = null, bool HasMore = false);

/// <summary>The answer of an operation that has nothing to say but that it worked: <c>{}</c>.</summary>
public sealed record EmptyResponse
{
    public static EmptyResponse Instance { get; } = new();
}
