using DropSync.Core.Model;

namespace DropSync.Core.Ports;

/// <summary>
/// Pending invitations to shared folders. Contract: at most one invitation per (share, e-mail); reads reflect every
/// completed write; <see cref="DeleteInvitationAsync"/> answers true to exactly one of several concurrent callers, so accepting,
/// declining and cancelling the same invitation cannot all succeed.
/// </summary>
public interface IInvitationStore
{
    /// <summary>
    /// Stores the invitation, or, if the share already has one for this e-mail, sets that one's role and keeps its id and
    /// creation time. Answers the invitation as stored.
    /// </summary>
    Task<Invitation> PutInvitationAsync(Invitation invitation, CancellationToken cancellationToken);

    Task<Invitation?> GetInvitationAsync(string invitationId, CancellationToken cancellationToken);

    /// <summary>The invitations to this (normalized) e-mail address, oldest first.</summary>
    Task<IReadOnlyList<Invitation>> ListInvitationsForEmailAsync(string email, CancellationToken cancellationToken);

    /// <summary>The share's pending invitations, oldest first.</summary>
    Task<IReadOnlyList<Invitation>> ListInvitationsForShareAsync(string shareId, CancellationToken cancellationToken);

    /// <summary>Deletes the invitation; true if this call deleted it, false if it was not there (any more).</summary>
    Task<bool> DeleteInvitationAsync(string invitationId, CancellationToken cancellationToken);
}
