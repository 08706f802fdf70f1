using DropSync.Core.Files;
using DropSync.Core.Sharing;

namespace DropSync.Core.Contract;

/// <summary>
/// <c>POST /sharing/list_members</c>: the members (owner first) and, as Dropbox lists them apart, the people invited who
/// have not accepted yet (shown to the owner only; empty for members).
/// </summary>
public sealed record ListMembersResponse(IReadOnlyList<MemberInfo> Members, IReadOnlyList<InviteeInfo> Invitees, string? Cursor = null, bool HasMore = false);

/// <summary><c>POST /sharing/add_member</c>: <c>status</c> is "pending" (invited; nothing is shared until they accept) or "active" (a member whose role changed).</summary>
public sealed record AddMemberResponse(string Email, string Role, string Status);

/// <summary><c>POST /sharing/list_invitations</c>: the invitations waiting for the caller, oldest first.</summary>
public sealed record ListInvitationsResponse(IReadOnlyList<InvitationInfo> Entries, string? Cursor = null, bool HasMore = false);

/// <summary><c>POST /sharing/accept_invitation</c>: the folder as now mounted in the caller's tree.</summary>
public sealed record AcceptInvitationResponse(string ShareId, string Path, string OwnerEmail, string Role)
{
    /// <summary>The mount's path as a comparison key (see <see cref="FileMetadata.PathLower"/>).</summary>
    public string PathLower => Paths.DropPath.KeyOf(Path);
}

/// <summary><c>POST /sharing/list_shared_with_me</c>.</summary>
public sealed record SharedWithMeResponse(IReadOnlyList<SharedWithMe> Entries, string? Cursor = null, bool HasMore = false);

/// <summary>
/// A shared link as its owner sees it: <c>url</c> is its JSON and download API (/s/{token}), <c>web_url</c> the page
/// people open in a browser (the web app's link view), <c>created_by</c> the e-mail of whoever made it (a member of a
/// shared folder, when its owner lists the links into it).
/// </summary>
public sealed record SharedLinkResponse(
    string LinkId,
    string Url,
    string WebUrl,
    string Path,
    DateTimeOffset? ExpiresAt,
    bool HasPassword,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RevokedAt,
    string CreatedBy)
{
    /// <summary>The linked item's path as a comparison key (see <see cref="FileMetadata.PathLower"/>).</summary>
    public string PathLower => Paths.DropPath.KeyOf(Path);
}

/// <summary><c>POST /sharing/list_links</c>.</summary>
public sealed record ListLinksResponse(IReadOnlyList<SharedLinkResponse> Links, string? Cursor = null, bool HasMore = false);

/// <summary><c>GET /s/{token}</c>: the linked item's metadata and, for a folder, everything below it, a page at a time
/// (while <c>HasMore</c>, ask again with <c>?cursor=</c>).</summary>
public sealed record SharedLinkContentResponse(FileMetadata Metadata, IReadOnlyList<FileMetadata>? Entries, string? Cursor = null, bool HasMore = false);
