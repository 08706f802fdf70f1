using DropSync.Api.Apis;
using DropSync.Api.Auth;

namespace DropSync.Api.Hosting;

/// <summary>The HTTP pipeline and the endpoint map.</summary>
internal static class ApiPipeline
{
    public static WebApplication UseDropSync(this WebApplication app)
    {
        app.UseDropSyncErrors();
        // The server pings idle change-feed sockets and drops those that stop answering.
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(20), KeepAliveTimeout = TimeSpan.FromSeconds(60) });
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOpenApi().AllowAnonymous();
        app.MapGet("/healthz", () => Results.Ok(new { Status = "ok" })).AllowAnonymous().ExcludeFromDescription();
        app.MapAuthApi();
        app.MapUploadApi();
        app.MapBatchUploadApi();
        app.MapDownloadApi();
        app.MapFilesApi();
        app.MapBlocksApi();
        app.MapFeedApi();
        app.MapSharingApi();
        app.MapPublicLinksApi();
        app.MapNotificationsApi();
        app.MapEventsApi();
        app.MapDropSyncWebApp();
        return app;
    }
}
