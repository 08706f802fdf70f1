using DropSync.Api.Auth;
using DropSync.Api.Live;
using DropSync.Core.Contract;
using DropSync.Core.Feed;

namespace DropSync.Api.Apis;

/// <summary>Catching up by cursor, and the live change feed.</summary>
internal static class FeedApi
{
    public static IEndpointRouteBuilder MapFeedApi(this IEndpointRouteBuilder routes)
    {
        var files = routes.MapGroup("/files/list_folder").WithTags("Changes");
        files.MapPost("/continue", ContinueAsync).WithName("listFolderContinue").WithSummary("Every change since a cursor, in pages; 409 reset means list afresh.");
        files.MapPost("/get_latest_cursor", LatestCursorAsync).WithName("getLatestCursor").WithSummary("A cursor for now, without listing.");
        routes.MapGet("/notifications/ws", ConnectAsync).WithName("changeFeedSocket").Produces(StatusCodes.Status101SwitchingProtocols).WithTags("Changes")
            .WithSummary("WebSocket: each change that concerns you as it happens (token in Authorization or access_token; echo=true to see your own).");
        return routes;
    }

    private static async Task<FeedPage> ContinueAsync(ContinueRequest request, HttpContext context, ChangeFeed feed, CancellationToken ct) =>
        await feed.ContinueAsync(context.Caller(), request.Cursor, request.Limit ?? ChangeFeed.DefaultPageSize, ct);

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
        var start = FeedCursor.Decode(await feed.LatestCursorAsync(caller, "", recursive: true, context.RequestAborted), caller.UserId);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        await hub.RunAsync(socket, caller, start, echo ?? false, context.RequestAborted, lifetime.ApplicationStopping);
        return Results.Empty;
    }
}
