namespace DropSync.Core.Model;

/// <summary>
/// A user's own files live in their root namespace, whose id is derived from the user id, so the owner of a change is
/// known from the change alone (the fan-out needs that without a lookup).
/// </summary>
public static class Namespaces
{
    private const string RootPrefix = "ns_";

    public static string RootOf(string userId) => RootPrefix + userId;

    public static string OwnerOf(string namespaceId) =>
        namespaceId.StartsWith(RootPrefix, StringComparison.Ordinal) ? namespaceId[RootPrefix.Length..] : throw new ArgumentException($"{namespaceId} is not a root namespace", nameof(namespaceId));
}
