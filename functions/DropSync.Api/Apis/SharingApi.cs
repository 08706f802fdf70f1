using DropSync.Api.Auth;
using DropSync.Core.Sharing;

namespace DropSync.Api.Apis;

/// <summary>Sharing folders with people, and shared links.</summary>
internal static class SharingApi
{
    public static IEndpointRouteBuilder MapSharingApi(this IEndpointRouteBuilder routes)
    {
        var sharing = routes.MapGroup("/sharing").WithTags("Sharing");
        sharing.MapPost("/add_member", AddMemberAsync).WithSummary("Share a folder with someone as viewer or editor (or change their role).");
        sharing.MapPost("/remove_member", RemoveMemberAsync).WithSummary("Stop sharing a folder with someone; their access ends at once.");
        sharing.MapPost("/list_members", ListMembersAsync).WithSummary("Who a shared folder is shared with.");
        sharing.MapPost("/list_shared_with_me", ListSharedWithMeAsync).WithSummary("Folders others share with you, and where they are in your tree.");
        sharing.MapPost("/leave", LeaveAsync).WithSummary("Remove a folder shared with you from your tree.");
        sharing.MapPost("/create_link", CreateLinkAsync).WithSummary("A link anyone can open without an account (optional expiry and password).");
        sharing.MapPost("/list_links", ListLinksAsync).WithSummary("Your shared links.");
        sharing.MapPost("/revoke_link", RevokeLinkAsync).WithSummary("Turn a shared link off.");
        return routes;
    }

    private static async Task<IResult> AddMemberAsync(MemberRequest request, HttpContext context, SharingService sharing, CancellationToken ct) =>
        Results.Ok(await sharing.AddMemberAsync(context.Caller(), request.Path, request.Email, request.Role, ct));

    private static async Task<IResult> RemoveMemberAsync(MemberRequest request, HttpContext context, SharingService sharing, CancellationToken ct)
    {
        await sharing.RemoveMemberAsync(context.Caller(), request.Path, request.Email, ct);
        return Results.Ok(new { });
    }

    private static async Task<IResult> ListMembersAsync(PathRequest request, HttpContext context, SharingService sharing, CancellationToken ct) =>
        Results.Ok(new { Members = await sharing.ListMembersAsync(context.Caller(), request.Path, ct) });

    private static async Task<IResult> ListSharedWithMeAsync(HttpContext context, SharingService sharing, CancellationToken ct) =>
        Results.Ok(new { Entries = await sharing.ListSharedWithMeAsync(context.Caller(), ct) });

    private static async Task<IResult> LeaveAsync(PathRequest request, HttpContext context, SharingService sharing, CancellationToken ct)
    {
        await sharing.LeaveAsync(context.Caller(), request.Path, ct);
        return Results.Ok(new { });
    }

    private static async Task<IResult> CreateLinkAsync(LinkRequest request, HttpContext context, LinkService links, CancellationToken ct)
    {
        var created = await links.CreateAsync(context.Caller(), request.Path, request.Expires, request.Password, ct);
        return Results.Ok(LinkView(context, created));
    }

    private static async Task<IResult> ListLinksAsync(HttpContext context, LinkService links, CancellationToken ct) =>
        Results.Ok(new { Links = (await links.ListAsync(context.Caller(), ct)).Select(l => LinkView(context, l)) });

    private static async Task<IResult> RevokeLinkAsync(RevokeLinkRequest request, HttpContext context, LinkService links, CancellationToken ct)
    {
        await links.RevokeAsync(context.Caller(), request.LinkId, ct);
        return Results.Ok(new { });
    }

    private static object LinkView(HttpContext context, CreatedLink created)
    {
        var link = created.Link;
        var origin = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";
        return new
        {
            link.LinkId,
            Url = $"{origin}/s/{created.Token}",
            // The page people open in a browser (the web app's link view); Url is the link's JSON and download API.
            WebUrl = $"{origin}/link/{created.Token}",
            Path = link.OwnerViewPath,
            link.ExpiresAt,
            HasPassword = link.PasswordHash is not null,
            link.CreatedAt,
            link.RevokedAt,
        };
    }
}
