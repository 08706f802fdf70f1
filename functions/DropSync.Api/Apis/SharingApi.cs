using DropSync.Api.Auth;
using DropSync.Core.Contract;
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

    private static async Task<ListMembersResponse> ListMembersAsync(PathRequest request, HttpContext context, SharingService sharing, CancellationToken ct)
    {
        var listed = await sharing.ListMembersAsync(context.Caller(), request.Path, ct);
        return new ListMembersResponse(listed.Members, listed.Invitees);
    }

    private static async Task<ListInvitationsResponse> ListInvitationsAsync(HttpContext context, InvitationService invitations, CancellationToken ct) =>
        new(await invitations.ListAsync(context.Caller(), ct));

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

    private static async Task<SharedWithMeResponse> ListSharedWithMeAsync(HttpContext context, SharingService sharing, CancellationToken ct) =>
        new(await sharing.ListSharedWithMeAsync(context.Caller(), ct));

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

    private static async Task<ListLinksResponse> ListLinksAsync(ListLinksRequest? request, HttpContext context, LinkService links, CancellationToken ct)
    {
        var listed = request?.Path is { } path ? await links.ListAtAsync(context.Caller(), path, ct) : await links.ListAsync(context.Caller(), ct);
        return new([.. listed.Select(l => LinkView(context, l))]);
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
