using DropSync.Api.Auth;
using DropSync.Api.Live;
using DropSync.Core.Contract;
using DropSync.Core.Feed;
using DropSync.Core.Files;

namespace DropSync.Api.Apis;

/// <summary>Catching up by cursor, and the live change feed.</summary>
internal static class FeedApi
{
    public static IEndpointRouteBuilder MapFeedApi(this IEndpointRouteBuilder routes)
    {
        var files = routes.MapGroup("/files/list_folder").WithTags("Changes");
        files.MapPost("/continue", ContinueAsync).WithName("listFolderContinue").WithSummary("The next page of a listing list_folder began, then every change since it, in pages (limit); 409 reset or 400 invalid_cursor means list afresh.");
        files.MapPost("/get_latest_cursor", LatestCursorAsync).WithName("getLatestCursor").WithSummary("A cursor for now, without listing.");
        routes.MapGet("/notifications/ws", ConnectAsync).WithName("changeFeedSocket").Produces(StatusCodes.Status101SwitchingProtocols).WithTags("Changes")
            .WithSummary("WebSocket: each change that concerns you as it happens (token in Authorization or access_token; echo=true to see your own).");
        return routes;
    }

    private static async Task<FeedPage> ContinueAsync(ContinueRequest request, HttpContext context, ChangeFeed feed, FolderPager pager, DropSyncOptions options, CancellationToken ct)
    {
        var caller = context.Caller();
        var cursor = feed.Decode(request.Cursor, caller);
        var limit = options.PageSize(request.Limit);
        if (cursor.After is null)
        {
            return await feed.ContinueAsync(caller, cursor, limit, ct);
        }

        // The listing list_folder began is still being paged: its next entries (as "added"), and once it is done, the
        // cursor follows the journals from where the listing began, so nothing changed meanwhile is missed.
        var page = await pager.ListPageAsync(caller, cursor.Scope, cursor.Recursive, cursor.After, limit, ct);
        return new FeedPage([.. page.Entries.Select(e => FeedEntry.From(e, "added"))], (cursor with { After = page.NextAfter }).Encode(), page.NextAfter is not null);
    }

    private static async Task<CursorResponse> LatestCursorAsync(ListFolderRequest request, HttpContext context, ChangeFeed feed, CancellationToken ct) =>
        new(await feed.LatestCursorAsync(context.Caller(), request.Path, request.Recursive, ct));

    private static async Task<IResult> ConnectAsync(HttpContext context, WebSocketHub hub, ChangeFeed feed, IHostApplicationLifetime lifetime, bool? echo)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return Results.Json(
                new ErrorResponse(Core.Errors.ErrorCodes.WebsocketRequired, "Open this URL as a WebSocket (ws:// or wss://)."),
                statusCode: StatusCodes.Status400BadRequest);
        }

        var caller = context.Caller();
        var start = await feed.LatestAsync(caller, "", recursive: true, context.RequestAborted);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        await hub.RunAsync(socket, caller, start, echo ?? false, context.RequestAborted, lifetime.ApplicationStopping);
        return Results.Empty;
    }
}
