using DropSync.Core.Accounts;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Ports;

namespace DropSync.Core.Sharing;

/// <summary>An invitation as its invitee sees it: which folder (as its owner shares it), from whom, with which role.</summary>
public sealed record InvitationInfo(string InvitationId, string Path, string OwnerEmail, string Role, DateTimeOffset Created);

/// <summary>
/// The invitee's side of sharing: the invitations to their address, accepting one (the folder is mounted at the top of
/// their tree, named as <c>add_member</c> used to mount it: the folder's name, or "name (2)", … when taken) or declining
/// it. Only the account with the invited address sees an invitation; to anyone else it does not exist (404).
/// </summary>
public sealed class InvitationService(IFileMetadataStore meta, ISharingStore sharing, IInvitationStore invitations, InvitationNotices notices, PathResolver resolver, IChangePublisher publisher, TimeProvider clock)
{
    private const int MaxMountAttempts = 100;

    /// <summary>The caller's pending invitations, oldest first; those whose folder is no longer shared are dropped.</summary>
    public async Task<IReadOnlyList<InvitationInfo>> ListAsync(Caller caller, CancellationToken ct)
    {
        var result = new List<InvitationInfo>();
        foreach (var invitation in await invitations.ListInvitationsForEmailAsync(AccountService.NormalizeEmail(caller.Email), ct))
        {
            var share = await sharing.GetShareAsync(invitation.ShareId, ct);
            if (share is null)
            {
                // The owner deleted or unshared the folder: the invitation went with it.
                await invitations.DeleteInvitationAsync(invitation.InvitationId, ct);
                continue;
            }

            result.Add(new InvitationInfo(invitation.InvitationId, share.FolderPath, await notices.OwnerEmailAsync(share, ct), SharingService.RoleName(invitation.Role), invitation.CreatedAt));
        }

        return result;
    }

    /// <summary>Accepts an invitation: mounts the folder in the caller's tree and answers where.</summary>
    public async Task<SharedWithMe> AcceptAsync(Caller caller, string? invitationId, CancellationToken ct)
    {
        var (invitation, share) = await MineAsync(caller, invitationId, ct);
        var ownerEmail = await notices.OwnerEmailAsync(share, ct);
        var view = await resolver.ViewAsync(caller, ct);
        if (view.Memberships.FirstOrDefault(m => m.Share.ShareId == share.ShareId) is { } already)
        {
            // A member already (accepted twice at once, say): the invitation is spent, the mount stays as it is.
            await invitations.DeleteInvitationAsync(invitation.InvitationId, ct);
            return new SharedWithMe(share.ShareId, already.Member.MountPath, ownerEmail, SharingService.RoleName(already.Member.Role));
        }

        // Taking the invitation first: of an accept, a decline and the owner's cancel at once, exactly one wins.
        if (!await invitations.DeleteInvitationAsync(invitation.InvitationId, ct))
        {
            throw NotFound();
        }

        try
        {
            var mount = await MountAsync(caller, share, invitation, ct);
            return new SharedWithMe(share.ShareId, mount.MountPath, ownerEmail, SharingService.RoleName(mount.Role));
        }
        catch (Exception e) when (e is not DropSyncException { Code: ErrorCodes.InvitationNotFound })
        {
            // Not mounted (no free name, or a failure on the way): the invitation stays, to accept again later.
            if (!(await sharing.ListMembershipsAsync(caller.UserId, CancellationToken.None)).Any(m => m.Share.ShareId == share.ShareId))
            {
                await invitations.PutInvitationAsync(invitation, CancellationToken.None);
            }

            throw;
        }
    }

    public async Task DeclineAsync(Caller caller, string? invitationId, CancellationToken ct)
    {
        var (invitation, _) = await MineAsync(caller, invitationId, ct);
        if (!await invitations.DeleteInvitationAsync(invitation.InvitationId, ct))
        {
            throw NotFound();
        }
    }

    /// <summary>
    /// Mounts the share at the first free name: not a mount already, not a live item of the caller's own (checked in the
    /// same batch, so a folder the invitee makes meanwhile is never merged into the owner's).
    /// </summary>
    private async Task<ShareMember> MountAsync(Caller caller, Share share, Invitation invitation, CancellationToken ct)
    {
        var name = DropPath.Parse(share.FolderPath, allowRoot: false).Name;
        for (var round = 0; round < 3; round++)
        {
            var view = await resolver.ViewAsync(caller, ct);
            DropPath? free = null;
            foreach (var candidate in MountCandidates(name).Take(MaxMountAttempts))
            {
                if (view.MountAt(candidate) is null && await meta.GetEntryAsync(caller.RootNamespaceId, candidate.Key, ct) is null or { IsDeleted: true })
                {
                    free = candidate;
                    break;
                }
            }

            if (free is not { } mount)
            {
                break;
            }

            var now = clock.GetUtcNow();
            var member = new ShareMember { ShareId = share.ShareId, UserId = caller.UserId, Email = invitation.Email, Role = invitation.Role, MountPath = mount.Display, AddedAt = now };
            var writes = new List<MetadataWrite> { new MetadataWrite.CheckEntry(caller.RootNamespaceId, mount.Key, EntryExpectation.IsAbsent) };
            writes.AddRange(SharingWrites.Join(share, member, caller.DeviceId, now));
            var result = await meta.ApplyAsync(writes, ct);
            if (result.Applied)
            {
                await publisher.PublishAsync(result.Changes, CancellationToken.None);
                return member;
            }

            if (await sharing.GetShareAsync(share.ShareId, ct) is null)
            {
                throw NotFound();
            }

            // Lost a race for the name: look again.
        }

        throw Errors.Errors.Conflict(ErrorCodes.MountNameTaken, "You have too many folders with this name; rename some and accept again.");
    }

    /// <summary>The invitation, if it is the caller's and its folder is still shared; otherwise 404 (as if it did not exist).</summary>
    private async Task<(Invitation Invitation, Share Share)> MineAsync(Caller caller, string? invitationId, CancellationToken ct)
    {
        var invitation = string.IsNullOrEmpty(invitationId) || invitationId.Length > 100 ? null : await invitations.GetInvitationAsync(invitationId, ct);
        if (invitation is null || invitation.Email != AccountService.NormalizeEmail(caller.Email))
        {
            throw NotFound();
        }

        var share = await sharing.GetShareAsync(invitation.ShareId, ct);
        if (share is null)
        {
            await invitations.DeleteInvitationAsync(invitation.InvitationId, ct);
            throw NotFound();
        }

        return (invitation, share);
    }

    private static IEnumerable<DropPath> MountCandidates(string name)
    {
        yield return DropPath.Root.Child(name);
        for (var i = 2; ; i++)
        {
            yield return DropPath.Root.Child($"{name} ({i})");
        }
    }

    private static DropSyncException NotFound() =>
        Errors.Errors.NotFound(ErrorCodes.InvitationNotFound, "You have no invitation with that invitation_id; list them with /sharing/list_invitations.");
}
