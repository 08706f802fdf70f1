using DropSync.Core.Model;
using DropSync.Core.Ports;

namespace DropSync.Core.Sharing;

/// <summary>
/// The metadata writes that change who sees a shared folder, each with the journal entries that tell the people
/// concerned: the owner's namespace records "shared"/"unshared" at the folder, each member's own namespace at its mount.
/// </summary>
public static class SharingWrites
{
    public static IReadOnlyList<MetadataWrite> Join(Share share, ShareMember member, string deviceId, DateTimeOffset now) =>
    [
        new MetadataWrite.PutMember(member),
        new MetadataWrite.AppendChange(MountChange(Namespaces.RootOf(member.UserId), ChangeKind.Shared, member.MountPath, null, deviceId, now)),
        new MetadataWrite.AppendChange(MountChange(share.NamespaceId, ChangeKind.Shared, share.FolderPath, null, deviceId, now)),
    ];

    public static IReadOnlyList<MetadataWrite> Leave(Membership membership, string deviceId, DateTimeOffset now) =>
    [
        new MetadataWrite.DeleteMember(membership.Share.ShareId, membership.Member.UserId),
        new MetadataWrite.AppendChange(MountChange(Namespaces.RootOf(membership.Member.UserId), ChangeKind.Unshared, membership.Member.MountPath, null, deviceId, now)),
        new MetadataWrite.AppendChange(MountChange(membership.Share.NamespaceId, ChangeKind.MemberLeft, membership.Share.FolderPath, null, deviceId, now)),
    ];

    public static IEnumerable<MetadataWrite> EndShare(Share share, IReadOnlyList<ShareMember> members, string deviceId, DateTimeOffset now)
    {
        yield return new MetadataWrite.DeleteShare(share.ShareId);
        foreach (var member in members)
        {
            yield return Unshared(member, deviceId, now);
        }
    }

    /// <summary>
    /// Removes members from a share that is ending, each with "unshared" at its mount in the member's namespace, as
    /// <see cref="EndShare"/> would tell them; the owner's namespace is told by the deleted folder, not here.
    /// </summary>
    public static IEnumerable<MetadataWrite> RemoveMembers(Share share, IEnumerable<ShareMember> members, string deviceId, DateTimeOffset now) =>
        members.SelectMany(member => new[] { new MetadataWrite.DeleteMember(share.ShareId, member.UserId), Unshared(member, deviceId, now) });

    public static ChangeRecord MountChange(string namespaceId, ChangeKind kind, string path, string? fromPath, string deviceId, DateTimeOffset now) => new()
    {
        NamespaceId = namespaceId,
        Kind = kind,
        PathDisplay = path,
        FromPath = fromPath,
        EntryKind = EntryKind.Folder,
        DeviceId = deviceId,
        Time = now,
    };

    private static MetadataWrite Unshared(ShareMember member, string deviceId, DateTimeOffset now) =>
        new MetadataWrite.AppendChange(MountChange(Namespaces.RootOf(member.UserId), ChangeKind.Unshared, member.MountPath, null, deviceId, now));
}
