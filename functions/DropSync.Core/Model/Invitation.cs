namespace DropSync.Core.Model;

/// <summary>
/// An offer to join a shared folder, made by its owner to an e-mail address. Nothing is mounted and nothing is shared
/// until the person with that address accepts; it is keyed by address, so it waits for an account that does not exist
/// yet. One invitation per share and address: inviting again changes the role, not the id.
/// </summary>
public sealed record Invitation
{
    public required string InvitationId { get; init; }

    public required string ShareId { get; init; }

    /// <summary>The invitee's address, normalized (see <see cref="Accounts.AccountService.NormalizeEmail"/>).</summary>
    public required string Email { get; init; }

    public required ShareRole Role { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
}
