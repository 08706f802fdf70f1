using DropSync.Core.Accounts;
using DropSync.Core.Model;
using DropSync.Core.Ports;

namespace DropSync.Core.Sharing;

/// <summary>
/// Tells people they are invited: a notification ("invited", at the folder's path as its owner shares it) in their
/// history and on their live devices, when the invitation is made or, for an address with no account yet, when that
/// address registers. One notification per invitation (its id is derived from the invitation's), so inviting again to
/// change the role does not repeat it.
/// </summary>
public sealed class InvitationNotices(IAccountStore accounts, ISharingStore sharing, IInvitationStore invitations, INotificationStore notifications, IPushGateway push, TimeProvider clock)
{
    public const string Kind = "invited";

    public async Task AnnounceAsync(Invitation invitation, Share share, Caller owner, CancellationToken ct)
    {
        if (await accounts.FindAccountByEmailAsync(invitation.Email, ct) is { } invitee)
        {
            await TellAsync(invitee.UserId, invitation, share, owner.Email, owner.DeviceId, ct);
        }
    }

    /// <summary>Announces the invitations waiting for a newly registered address.</summary>
    public async Task AnnounceToNewAccountAsync(Account account, CancellationToken ct)
    {
        foreach (var invitation in await invitations.ListInvitationsForEmailAsync(account.Email, ct))
        {
            if (await sharing.GetShareAsync(invitation.ShareId, ct) is { } share)
            {
                await TellAsync(account.UserId, invitation, share, await OwnerEmailAsync(share, ct), "", ct);
            }
        }
    }

    public async Task<string> OwnerEmailAsync(Share share, CancellationToken ct) =>
        (await accounts.GetAccountAsync(share.OwnerUserId, ct))?.Email ?? "";

    private async Task TellAsync(string userId, Invitation invitation, Share share, string ownerEmail, string ownerDeviceId, CancellationToken ct)
    {
        var note = new Notification
        {
            NotificationId = "n_" + invitation.InvitationId,
            UserId = userId,
            Kind = Kind,
            Path = share.FolderPath,
            ActorEmail = ownerEmail,
            ActorDeviceId = ownerDeviceId,
            Time = clock.GetUtcNow(),
        };
        await notifications.AddAsync([note], ct);
        var body = new Dictionary<string, object?>
        {
            ["notification_id"] = note.NotificationId,
            ["kind"] = note.Kind,
            ["path"] = note.Path,
            ["actor_email"] = note.ActorEmail,
            ["time"] = note.Time,
            ["invitation_id"] = invitation.InvitationId,
        };

        // Best effort, like every push: the invitation and its notification are stored whatever the sockets do.
        await push.PushAsync(userId, new PushMessage("notification", body, null), ct);
    }
}
