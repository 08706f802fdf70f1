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
        sharing.MapPost("/add_member", AddMemberAsync).WithName("addMember").WithSummary("Share a folder with someone as viewer or editor (or change their role).");
        sharing.MapPost("/remove_member", RemoveMemberAsync).WithName("removeMember").WithSummary("Stop sharing a folder with someone; their access ends at once.");
        sharing.MapPost("/list_members", ListMembersAsync).WithName("listMembers").WithSummary("Who a shared folder is shared with.");
        sharing.MapPost("/list_shared_with_me", ListSharedWithMeAsync).WithName("listSharedWithMe").WithSummary("Folders others share with you, and where they are in your tree.");
        sharing.MapPost("/leave", LeaveAsync).WithName("leaveShare").WithSummary("Remove a folder shared with you from your tree.");
        sharing.MapPost("/create_link", CreateLinkAsync).WithName("createLink").WithSummary("A link anyone can open without an account (optional expiry and password).");
        sharing.MapPost("/list_links", ListLinksAsync).WithName("listLinks").WithSummary("Your shared links.");
        sharing.MapPost("/revoke_link", RevokeLinkAsync).WithName("revokeLink").WithSummary("Turn a shared link off.");
        return routes;
    }

    private static async Task<MemberInfo> AddMemberAsync(MemberRequest request, HttpContext context, SharingService sharing, CancellationToken ct) =>
        await sharing.AddMemberAsync(context.Caller(), request.Path, request.Email, request.Role, ct);

    private static async Task<EmptyResponse> RemoveMemberAsync(MemberRequest request, HttpContext context, SharingService sharing, CancellationToken ct)
    {
        await sharing.RemoveMemberAsync(context.Caller(), request.Path, request.Email, ct);
        return EmptyResponse.Instance;
    }

    private static async Task<ListMembersResponse> ListMembersAsync(PathRequest request, HttpContext context, SharingService sharing, CancellationToken ct) =>
        new(await sharing.ListMembersAsync(context.Caller(), request.Path, ct));

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

    private static async Task<ListLinksResponse> ListLinksAsync(HttpContext context, LinkService links, CancellationToken ct) =>
        new([.. (await links.ListAsync(context.Caller(), ct)).Select(l => LinkView(context, l))]);

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
            link.RevokedAt);
    }
}
