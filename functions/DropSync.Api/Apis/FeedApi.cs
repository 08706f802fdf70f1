using DropSync.Api.Auth;
using DropSync.Api.Live;
using DropSync.Core.Feed;

namespace DropSync.Api.Apis;

/// <summary>Catching up by cursor, and the live change feed.</summary>
internal static class FeedApi
{
    public static IEndpointRouteBuilder MapFeedApi(this IEndpointRouteBuilder routes)
    {
        var files = routes.MapGroup("/files/list_folder").WithTags("Changes");
        files.MapPost("/continue", ContinueAsync).WithSummary("Every change since a cursor, in pages; 409 reset means list afresh.");
        files.MapPost("/get_latest_cursor", LatestCursorAsync).WithSummary("A cursor for now, without listing.");
        routes.MapGet("/notifications/ws", ConnectAsync).WithTags("Changes")
            .WithSummary("WebSocket: each change that concerns you as it happens (token in Authorization or access_token; echo=true to see your own).");
        return routes;
    }

    private static async Task<IResult> ContinueAsync(ContinueRequest request, HttpContext context, ChangeFeed feed, CancellationToken ct)
    {
        var page = await feed.ContinueAsync(context.Caller(), request.Cursor, request.Limit ?? ChangeFeed.DefaultPageSize, ct);
        return Results.Ok(page);
    }

    private static async Task<IResult> LatestCursorAsync(ListFolderRequest request, HttpContext context, ChangeFeed feed, CancellationToken ct) =>
        Results.Ok(new { Cursor = await feed.LatestCursorAsync(context.Caller(), request.Path, request.Recursive, ct) });

    private static async Task<IResult> ConnectAsync(HttpContext context, WebSocketHub hub, ChangeFeed feed, IHostApplicationLifetime lifetime, bool? echo)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return Results.Json(
                new { Error = "websocket_required", Message = "Open this URL as a WebSocket (ws:// or wss://)." },
                statusCode: StatusCodes.Status400BadRequest);
        }

        var caller = context.Caller();
        var start = FeedCursor.Decode(await feed.LatestCursorAsync(caller, "", recursive: true, context.RequestAborted), caller.UserId);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        await hub.RunAsync(socket, caller, start, echo ?? false, context.RequestAborted, lifetime.ApplicationStopping);
        return Results.Empty;
    }
}
