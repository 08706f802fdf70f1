namespace DropSync.Client.Api;

/// <summary>An invitation to a folder someone wants to share with this account (<c>/sharing/list_invitations</c>).</summary>
public sealed record Invitation(string InvitationId, string Path, string OwnerEmail, string Role, DateTimeOffset Created);

/// <summary>A folder shared with this account, where it is mounted (<c>/sharing/accept_invitation</c>).</summary>
public sealed record AcceptedInvitation(string ShareId, string Path, string OwnerEmail, string Role);

internal sealed record InvitationsResult(IReadOnlyList<Invitation> Entries, string? Cursor = null, bool HasMore = false);
