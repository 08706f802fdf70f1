namespace DropSync.Core.Accounts;

/// <summary>Who is asking: an authenticated device of a user, and the namespace holding that user's own files.</summary>
public sealed record Caller(string UserId, string Email, string DeviceId, string DeviceName, string RootNamespaceId);
