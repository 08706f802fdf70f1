using DropSync.Api.Auth;
using DropSync.Core.Contract;
using DropSync.Core.Feed;
using DropSync.Core.Sharing;

namespace DropSync.Api.Apis;

/// <summary>Sharing folders with people, and shared links.</summary>
internal static class SharingApi
{
    public static IEndpointRouteBuilder MapSharingApi(this IEndpointRouteBuilder routes)
    {
        var sharing = routes.MapGroup("/sharing").WithTags("Sharing");
        sharing.MapPost("/add_member", AddMemberAsync).WithName("addMember")
            .WithSummary("Invite someone to a folder as viewer or editor (nothing is shared until they accept), or change a member's role.");
        sharing.MapPost("/remove_member", RemoveMemberAsync).WithName("removeMember")
            .WithSummary("Stop sharing a folder with someone (their access ends at once), or cancel their invitation.");
        sharing.MapPost("/list_members", ListMembersAsync).WithName("listMembers").WithSummary("Who a shared folder is shared with, and (for its owner) who is invited.");
        sharing.MapPost("/list_invitations", ListInvitationsAsync).WithName("listInvitations").WithSummary("Invitations to folders others want to share with you.");
        sharing.MapPost("/accept_invitation", AcceptInvitationAsync).WithName("acceptInvitation").WithSummary("Accept an invitation: the folder appears at the top of your tree.");
        sharing.MapPost("/decline_invitation", DeclineInvitationAsync).WithName("declineInvitation").WithSummary("Decline an invitation; nothing is shared.");
        sharing.MapPost("/list_shared_with_me", ListSharedWithMeAsync).WithName("listSharedWithMe").WithSummary("Folders others share with you, and where they are in your tree.");
        sharing.MapPost("/leave", LeaveAsync).WithName("leaveShare").WithSummary("Remove a folder shared with you from your tree.");
        sharing.MapPost("/create_link", CreateLinkAsync).WithName("createLink").WithSummary("A link anyone can open without an account (optional expiry and password).");
        sharing.MapPost("/list_links", ListLinksAsync).WithName("listLinks")
            .WithSummary("Your shared links; with a path, every link at or below it in your own folders, whoever made it.");
        sharing.MapPost("/revoke_link", RevokeLinkAsync).WithName("revokeLink").WithSummary("Turn off one of your links, or any link into your own folders.");
        return routes;
    }

    private static async Task<AddMemberResponse> AddMemberAsync(MemberRequest request, HttpContext context, SharingService sharing, CancellationToken ct)
    {
        var added = await sharing.AddMemberAsync(context.Caller(), request.Path, request.Email, request.Role, ct);
        return new AddMemberResponse(added.Email, added.Role, added.Status);
    }

    private static async Task<EmptyResponse> RemoveMemberAsync(MemberRequest request, HttpContext context, SharingService sharing, CancellationToken ct)
    {
        await sharing.RemoveMemberAsync(context.Caller(), request.Path, request.Email, ct);
        return EmptyResponse.Instance;
    }

    private static async Task<ListMembersResponse> ListMembersAsync(
        ListMembersRequest request, HttpContext context, SharingService sharing, CursorSigner signer, CancellationToken ct)
    {
        var listed = await sharing.ListMembersAsync(context.Caller(), request.Path, ct);

        // One sequence, members (owner first) before invitees, so a page may hold some of each; sealed per folder.
        var people = listed.Members.Select(m => (Key: (m.IsOwner ? "0" : "1") + m.Email.ToLowerInvariant(), Member: (MemberInfo?)m, Invitee: (InviteeInfo?)null))
            .Concat(listed.Invitees.Select(i => (Key: "2" + i.Email.ToLowerInvariant(), Member: (MemberInfo?)null, Invitee: (InviteeInfo?)i)));
        var (page, cursor) = AccountListPages.Take(
            people, p => p.Key, "members\n" + Core.Paths.DropPath.KeyOf(request.Path ?? ""), context, request.Limit, request.Cursor, signer);
        return new ListMembersResponse([.. page.Select(p => p.Member).OfType<MemberInfo>()], [.. page.Select(p => p.Invitee).OfType<InviteeInfo>()], cursor, cursor is not null);
    }

    private static async Task<ListInvitationsResponse> ListInvitationsAsync(
        ListPageRequest? request, HttpContext context, InvitationService invitations, CursorSigner signer, CancellationToken ct)
    {
        var (page, cursor) = AccountListPages.Take(
            await invitations.ListAsync(context.Caller(), ct), i => AccountListPages.ByTime(i.Created, i.InvitationId), "invitations", context, request?.Limit, request?.Cursor, signer);
        return new(page, cursor, cursor is not null);
    }

    private static async Task<AcceptInvitationResponse> AcceptInvitationAsync(InvitationRequest request, HttpContext context, InvitationService invitations, CancellationToken ct)
    {
        var mounted = await invitations.AcceptAsync(context.Caller(), request.InvitationId, ct);
        return new AcceptInvitationResponse(mounted.ShareId, mounted.Path, mounted.OwnerEmail, mounted.Role);
    }

    private static async Task<EmptyResponse> DeclineInvitationAsync(InvitationRequest request, HttpContext context, InvitationService invitations, CancellationToken ct)
    {
        await invitations.DeclineAsync(context.Caller(), request.InvitationId, ct);
        return EmptyResponse.Instance;
    }

    private static async Task<SharedWithMeResponse> ListSharedWithMeAsync(
        ListPageRequest? request, HttpContext context, SharingService sharing, CursorSigner signer, CancellationToken ct)
    {
        var (page, cursor) = AccountListPages.Take(
            await sharing.ListSharedWithMeAsync(context.Caller(), ct), s => s.PathLower + "\n" + s.ShareId, "shared_with_me", context, request?.Limit, request?.Cursor, signer);
        return new(page, cursor, cursor is not null);
    }

    private static async Task<EmptyResponse> LeaveAsync(PathRequest request, HttpContext context, SharingService sharing, CancellationToken ct)
    {
        await sharing.LeaveAsync(context.Caller(), request.Path, ct);
        return EmptyResponse.Instance;
    }

    private static async Task<SharedLinkResponse> CreateLinkAsync(LinkRequest request, HttpContext context, LinkService links, CancellationToken ct)
    {
        var created = await links.CreateAsync(context.Caller(), request.Path, request.Expires, request.Password, ct);
        return LinkView(context, created);
    }

    private static async Task<ListLinksResponse> ListLinksAsync(ListLinksRequest? request, HttpContext context, LinkService links, CursorSigner signer, CancellationToken ct)
    {
        var listed = request?.Path is { } path ? await links.ListAtAsync(context.Caller(), path, ct) : await links.ListAsync(context.Caller(), ct);

        // A cursor of the caller's own links is not one for the links under a path (and vice versa).
        var listing = request?.Path is { } at ? "links\n" + Core.Paths.DropPath.KeyOf(at) : "links";
        var (page, cursor) = AccountListPages.Take(
            listed, l => AccountListPages.ByTime(l.Link.CreatedAt, l.Link.LinkId), listing, context, request?.Limit, request?.Cursor, signer);
        return new([.. page.Select(l => LinkView(context, l))], cursor, cursor is not null);
    }

    private static async Task<EmptyResponse> RevokeLinkAsync(RevokeLinkRequest request, HttpContext context, LinkService links, CancellationToken ct)
    {
        await links.RevokeAsync(context.Caller(), request.LinkId, ct);
        return EmptyResponse.Instance;
    }

    private static SharedLinkResponse LinkView(HttpContext context, CreatedLink created)
    {
        var link = created.Link;
        var origin = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";
        return new SharedLinkResponse(
            link.LinkId,
            Url: $"{origin}/s/{created.Token}",
            WebUrl: $"{origin}/link/{created.Token}",
            Path: link.OwnerViewPath,
            link.ExpiresAt,
            HasPassword: link.PasswordHash is not null,
            link.CreatedAt,
            link.RevokedAt,
            CreatedBy: created.CreatorEmail ?? context.Caller().Email);
    }
}
