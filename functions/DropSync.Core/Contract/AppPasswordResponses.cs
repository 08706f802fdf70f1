namespace DropSync.Core.Contract;

// The answers of /auth/*_app_password (snake_case on the wire).

/// <summary><c>POST /auth/create_app_password</c>: a new app password; <c>app_password</c> is the secret, shown this once.</summary>
public sealed record AppPasswordCreated(string AppPassword, string Id, string Name, DateTimeOffset Created);

/// <summary>One app password, without its secret.</summary>
public sealed record AppPasswordInfo(string Id, string Name, DateTimeOffset Created);

/// <summary><c>POST /auth/list_app_passwords</c>.</summary>
public sealed record AppPasswordList(IReadOnlyList<AppPasswordInfo> AppPasswords, string? Cursor = null, bool HasMore = false);
