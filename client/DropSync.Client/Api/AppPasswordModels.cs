namespace DropSync.Client.Api;

/// <summary>A new app password from <c>/auth/create_app_password</c>: <see cref="AppPassword"/> is the secret, shown once.</summary>
public sealed record AppPasswordCreated(string AppPassword, string Id, string Name, DateTimeOffset Created);

/// <summary>One app password of the account (never its secret), from <c>/auth/list_app_passwords</c>.</summary>
public sealed record AppPasswordInfo(string Id, string Name, DateTimeOffset Created);

internal sealed record AppPasswordsResult(IReadOnlyList<AppPasswordInfo> AppPasswords, string? Cursor = null, bool HasMore = false);
