using DropSync.Core.Accounts;
using DropSync.Core.Files;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Ports;

namespace DropSync.Core.Sharing;

/// <summary>A member as listed: who, with which role.</summary>
public sealed record MemberInfo(string Email, string Role, bool IsOwner);

/// <summary>Someone invited to a shared folder who has not accepted (or declined) yet.</summary>
public sealed record InviteeInfo(string Email, string Role, DateTimeOffset Invited);

/// <summary>Who a shared folder is shared with: its members (the owner first), and the people invited.</summary>
public sealed record FolderMembers(IReadOnlyList<MemberInfo> Members, IReadOnlyList<InviteeInfo> Invitees);

/// <summary>What <c>add_member</c> did: invited someone ("pending"), or changed a member's role ("active").</summary>
public sealed record AddedMember(string Email, string Role, string Status);

/// <summary>A folder shared with the caller, where it is mounted, and by whom.</summary>
public sealed record SharedWithMe(string ShareId, string Path, string OwnerEmail, string Role)
{
    /// <summary>Where the share sits in the user's tree, as a comparison key (see <see cref="Files.FileMetadata.PathLower"/>).</summary>
    public string PathLower => Paths.DropPath.KeyOf(Path);
}

/// <summary>
/// Sharing folders with people. The owner invites people by e-mail (<see cref="InvitationService"/>); once they accept,
/// each member sees the folder at the top of their tree. Removing a member ends their access at once (every request
/// resolves paths through current memberships); removing someone invited cancels the invitation.
/// </summary>
public sealed class SharingService(
    IFileMetadataStore meta, ISharingStore sharing, IInvitationStore invitations, InvitationNotices notices, PathResolver resolver, IChangePublisher publisher, TimeProvider clock)
{
    public const string Pending = "pending";
    public const string Active = "active";

    /// <summary>
    /// Invites someone to the folder (sharing it, if it was not yet), or changes the role of a member or of a pending
    /// invitation. Nothing is mounted in the invitee's tree until they accept; an address with no account yet keeps its
    /// invitation until someone registers it.
    /// </summary>
    public async Task<AddedMember> AddMemberAsync(Caller caller, string? rawPath, string? email, string? role, CancellationToken ct)
    {
        var (_, folder) = await OwnFolderAsync(caller, rawPath, ct);
        var parsedRole = ParseRole(role);
        var normalized = AccountService.NormalizeEmail(email);
        if (normalized == AccountService.NormalizeEmail(caller.Email))
        {
            throw Errors.Errors.BadRequest(Errors.ErrorCodes.CannotShareWithSelf, "You already own this folder.");
        }

        var shares = await sharing.ListSharesInNamespaceAsync(caller.RootNamespaceId, ct);
        var share = shares.FirstOrDefault(s => s.FolderKey == folder.PathKey);
        if (share is null && shares.Any(s => DropPath.Parse(s.FolderPath, false).Contains(DropPath.Parse(folder.PathDisplay, false)) || DropPath.Parse(folder.PathDisplay, false).Contains(DropPath.Parse(s.FolderPath, false))))
        {
            throw Errors.Errors.Conflict(Errors.ErrorCodes.NestedShare, "A folder inside a shared folder, or containing one, cannot be shared on its own; share the outer folder.");
        }

        var now = clock.GetUtcNow();
        if (share is null)
        {
            // The folder becomes a shared folder now (so nothing nested can be shared meanwhile); its first member comes
            // with the first accepted invitation.
            share = new Share { ShareId = Ids.New("sh_"), OwnerUserId = caller.UserId, NamespaceId = caller.RootNamespaceId, FolderPath = folder.PathDisplay, CreatedAt = now };
            if (!await ApplyAsync([new MetadataWrite.PutShare(share, MustBeNew: true), new MetadataWrite.CheckEntry(caller.RootNamespaceId, folder.PathKey, new EntryExpectation.HasRev(folder.Rev))], ct))
            {
                // Lost a race (the folder changed, or someone shared it meanwhile): look again.
                return await AddMemberAsync(caller, rawPath, email, role, ct);
            }
        }

        var existing = (await sharing.ListMembersAsync(share.ShareId, ct)).FirstOrDefault(m => m.Email == normalized);
        if (existing is not null)
        {
            // Already a member: only the role changes, at once (as Dropbox does).
            await ApplyAsync([new MetadataWrite.PutMember(existing with { Role = parsedRole })], ct);
            return new AddedMember(normalized, RoleName(parsedRole), Active);
        }

        var proposed = new Invitation { InvitationId = Ids.New("inv_"), ShareId = share.ShareId, Email = normalized, Role = parsedRole, CreatedAt = now };
        var invitation = await invitations.PutInvitationAsync(proposed, ct);
        if (invitation.InvitationId == proposed.InvitationId)
        {
            // Only a new invitation is announced; inviting again changes the role quietly.
            await notices.AnnounceAsync(invitation, share, caller, ct);
        }

        return new AddedMember(normalized, RoleName(invitation.Role), Pending);
    }

    /// <summary>Ends a member's access, or cancels the invitation of someone who has not accepted yet.</summary>
    public async Task RemoveMemberAsync(Caller caller, string? rawPath, string? email, CancellationToken ct)
    {
        var (_, folder) = await OwnFolderAsync(caller, rawPath, ct);
        var share = await ShareOfAsync(caller.RootNamespaceId, folder.PathKey, ct);
        var normalized = AccountService.NormalizeEmail(email);
        var member = (await sharing.ListMembersAsync(share.ShareId, ct)).FirstOrDefault(m => m.Email == normalized);
        if (member is not null)
        {
            await ApplyAsync(SharingWrites.Leave(new Membership(share, member), caller.DeviceId, clock.GetUtcNow()), ct);
            return;
        }

        var invitation = (await invitations.ListInvitationsForShareAsync(share.ShareId, ct)).FirstOrDefault(i => i.Email == normalized);
        if (invitation is null || !await invitations.DeleteInvitationAsync(invitation.InvitationId, ct))
        {
            throw Errors.Errors.NotFound(Errors.ErrorCodes.MemberNotFound, $"{normalized} is not a member of this folder, nor invited to it.");
        }
    }

    /// <summary>
    /// The members (owner first) and, for the owner only, the pending invitations: members see who else is in the
    /// folder, not whom the owner has asked.
    /// </summary>
    public async Task<FolderMembers> ListMembersAsync(Caller caller, string? rawPath, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: false);
        var at = (await resolver.ViewAsync(caller, ct)).Resolve(path);
        Share share;
        if (at.Membership is not null)
        {
            share = at.IsMountRoot ? at.Membership.Share : throw NotShared(path);
        }
        else
        {
            share = await ShareOfAsync(caller.RootNamespaceId, path.Key, ct);
        }

        var owner = await notices.OwnerEmailAsync(share, ct);
        var members = await sharing.ListMembersAsync(share.ShareId, ct);
        var invitees = share.OwnerUserId == caller.UserId
            ? (await invitations.ListInvitationsForShareAsync(share.ShareId, ct)).Select(i => new InviteeInfo(i.Email, RoleName(i.Role), i.CreatedAt)).ToList()
            : [];
        return new FolderMembers(
            members.Select(m => new MemberInfo(m.Email, RoleName(m.Role), false)).Prepend(new MemberInfo(owner, "owner", true)).ToList(),
            invitees);
    }

    public async Task<IReadOnlyList<SharedWithMe>> ListSharedWithMeAsync(Caller caller, CancellationToken ct)
    {
        var result = new List<SharedWithMe>();
        foreach (var membership in await sharing.ListMembershipsAsync(caller.UserId, ct))
        {
            result.Add(new SharedWithMe(membership.Share.ShareId, membership.Member.MountPath, await notices.OwnerEmailAsync(membership.Share, ct), RoleName(membership.Member.Role)));
        }

        return result;
    }

    public async Task LeaveAsync(Caller caller, string? rawPath, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: false);
        var at = (await resolver.ViewAsync(caller, ct)).Resolve(path);
        if (!at.IsMountRoot)
        {
            throw Errors.Errors.BadRequest(Errors.ErrorCodes.NotASharedFolder, $"\"{path}\" is not a folder shared with you (give the shared folder itself).");
        }

        await ApplyAsync(SharingWrites.Leave(at.Membership!, caller.DeviceId, clock.GetUtcNow()), ct);
    }

    private async Task<(UserView View, FileEntry Folder)> OwnFolderAsync(Caller caller, string? rawPath, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: false);
        var view = await resolver.ViewAsync(caller, ct);
        var at = view.Resolve(path);
        if (at.Membership is not null)
        {
            throw Errors.Errors.Forbidden(Errors.ErrorCodes.NotOwner, "Only the owner of a shared folder can change who it is shared with.");
        }

        var folder = await meta.GetEntryAsync(caller.RootNamespaceId, path.Key, ct);
        if (folder is null || folder.IsDeleted)
        {
            throw Errors.Errors.NotFound(Errors.ErrorCodes.NotFound, $"Nothing is at \"{path}\".");
        }

        return folder.Kind == EntryKind.Folder ? (view, folder) : throw Errors.Errors.Conflict(Errors.ErrorCodes.NotFolder, "Share folders with people; for a single file, create a shared link.");
    }

    private async Task<Share> ShareOfAsync(string ns, string folderKey, CancellationToken ct) =>
        (await sharing.ListSharesInNamespaceAsync(ns, ct)).FirstOrDefault(s => s.FolderKey == folderKey) ?? throw NotShared(DropPath.Parse(folderKey, true));

    private async Task<bool> ApplyAsync(IReadOnlyList<MetadataWrite> writes, CancellationToken ct)
    {
        var result = await meta.ApplyAsync(writes, ct);
        if (result.Applied)
        {
            await publisher.PublishAsync(result.Changes, CancellationToken.None);
        }

        return result.Applied;
    }

    internal static ShareRole ParseRole(string? role) => role switch
    {
        "viewer" => ShareRole.Viewer,
        "editor" => ShareRole.Editor,
        _ => throw Errors.Errors.BadRequest(Errors.ErrorCodes.InvalidRole, "role is \"viewer\" or \"editor\"."),
    };

    internal static string RoleName(ShareRole role) => role == ShareRole.Editor ? "editor" : "viewer";

    private static Errors.DropSyncException NotShared(DropPath path) =>
        Errors.Errors.NotFound(Errors.ErrorCodes.NotShared, $"\"{path}\" is not a shared folder.");
}
