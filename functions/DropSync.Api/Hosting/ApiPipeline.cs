using DropSync.Api.Apis;
using DropSync.Api.Auth;
using DropSync.Dav;

namespace DropSync.Api.Hosting;

/// <summary>The HTTP pipeline and the endpoint map.</summary>
internal static class ApiPipeline
{
    public static WebApplication UseDropSync(this WebApplication app)
    {
        app.LogWhereDropSyncRuns();
        app.UseRequestTimingLog();
        app.UseClientAddress(app.Services.GetRequiredService<Core.Guarding.RateLimitOptions>());
        app.UseDropSyncErrors();
        // The server pings idle change-feed sockets and drops those that stop answering.
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(20), KeepAliveTimeout = TimeSpan.FromSeconds(60) });
        // A path no endpoint serves (routing has already run) answers 404 to everyone: nothing is behind it to protect,
        // and a 401 would tell a signed-out browser asking for, say, /robots.txt to sign in for something that does not
        // exist. Every endpoint still requires a token unless it opts out, through the fallback policy.
        app.Use((context, next) => context.GetEndpoint() is null
            ? ErrorResponses.WriteAsync(context, StatusCodes.Status404NotFound, Core.Errors.ErrorCodes.NotFound, ErrorResponses.ForStatus(StatusCodes.Status404NotFound).Message)
            : next(context));
        app.UseAuthentication();
        // After authentication: the API's limit is per device token.
        app.UseRateLimiter();
        app.UseAuthorization();
        app.MarkAuthorized();
        app.UseJsonBodyLimit();
        app.MapOpenApi().AllowAnonymous();
        app.MapApiReferencePage();
        app.MapGet("/healthz", () => Results.Ok(new { Status = "ok" })).AllowAnonymous().ExcludeFromDescription();
        app.MapConfigApi();
        app.MapAuthApi();
        app.MapAppPasswordsApi();
        app.MapUploadApi();
        app.MapUploadAbortApi();
        app.MapBatchUploadApi();
        app.MapBatchDownloadApi();
        app.MapDownloadApi();
        app.MapFilesApi();
        app.MapBlocksApi();
        app.MapFeedApi();
        app.MapSharingApi();
        app.MapPublicLinksApi();
        app.MapNotificationsApi();
        app.MapUsersApi();
        app.MapEventsApi();
        app.MapDropSyncDav();
        app.MapDropSyncWebApp();
        return app;
    }
}
