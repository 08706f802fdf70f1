using System.Text.Json.Serialization;
using DropSync.Api.Hosting;
using DropSync.Aws.Hosting;
using DropSync.Core.Content;
using DropSync.Core.Files;

namespace DropSync.Api.Apis;

/// <summary>What a client needs to know before it talks to this server: the mode, where the live feed is, the limits.</summary>
/// <param name="Mode">"embedded" or "aws".</param>
/// <param name="WebsocketUrl">The live feed's WebSocket URL (open it with <c>?access_token=</c>).</param>
/// <param name="MaxRequestBytes">The largest request body the server takes.</param>
/// <param name="MaxResponseBytes">The largest body /files/download and /s/{token}/download answer directly; null: no limit.</param>
/// <param name="MaxBatchBytes">The largest /files/upload_batch request.</param>
/// <param name="MaxBatchFiles">The most files in one /files/upload_batch.</param>
/// <param name="MaxBlockBytes">The largest block.</param>
/// <param name="VersionRetentionSeconds">How long a replaced revision or a deleted file stays restorable.</param>
/// <param name="MaxRevisionsPerFile">The most revisions kept of one file (the newest).</param>
/// <param name="History">The retention policy in words, for people ("180 days, up to 100 revisions a file").</param>
/// <param name="MaxDownloadBatchFiles">The most files one /files/download_batch names (0: the server has no batch download).</param>
/// <param name="MaxDownloadBatchBytes">The largest /files/download_batch answer; files past it answer download_batch_full.</param>
/// <param name="UploadBlocksInParts">Whether a resumable upload may begin with part of its block list (<c>more_blocks</c>) and add
/// the rest through /files/upload/blocks; false from servers before it, whose clients send the whole list at begin.</param>
/// <param name="BlockListContentHash">Whether a resumable upload may ask for <c>content_hash_kind: "b1"</c>: the revision's
/// content_hash is then "b1:" + the SHA-256 over its blocks' names and lengths, not Dropbox's; false from servers before it,
/// and from servers whose operator turned it off (DropSync:BlockListContentHash) for clients that cannot check b1.</param>
public sealed record ServerConfigResponse(
    string Mode,
    string WebsocketUrl,
    long MaxRequestBytes,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? MaxResponseBytes,
    long MaxBatchBytes,
    int MaxBatchFiles,
    int MaxBlockBytes,
    long VersionRetentionSeconds = 0,
    int MaxRevisionsPerFile = 0,
    string History = "",
    int MaxDownloadBatchFiles = 0,
    long MaxDownloadBatchBytes = 0,
    bool UploadBlocksInParts = false,
    bool BlockListContentHash = false);

/// <summary><c>GET /config</c> (anonymous).</summary>
internal static class ConfigApi
{
    public static IEndpointRouteBuilder MapConfigApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/config", GetConfig).WithName("getConfig").AllowAnonymous().WithTags("Server")
            .WithSummary("The server's mode, live-feed URL, size limits and how long history is kept (anonymous).");
        return routes;
    }

    private static ServerConfigResponse GetConfig(HttpContext context, ServerLimits limits, IConfiguration config, DropSyncOptions options)
    {
        var retention = Core.Retention.RetentionPolicy.From(options);
        return new(
            limits.Mode,
            WebSocketUrl(context, limits, config),
            limits.MaxRequestBytes,
            limits.MaxResponseBytes,
            limits.MaxBatchBytes,
            BatchUploadService.MaxFiles,
            Limits.MaxBlockSize,
            (long)Math.Min(retention.VersionRetention.TotalSeconds, long.MaxValue),
            retention.MaxRevisionsPerFile,
            Core.Retention.RetentionText.Describe(retention),
            DownloadBatches.MaxFiles,
            limits.MaxDownloadBatchBytes,
            UploadBlocksInParts: true,
            BlockListContentHash: options.BlockListContentHash);
    }

    /// <summary>The live feed's URL: AWS, the WebSocket stage's (DROPSYNC_WS_URL); embedded, this server's.</summary>
    public static string WebSocketUrl(HttpContext context, ServerLimits limits, IConfiguration config) =>
        limits.IsAws ? config.Setting(AwsEnvironment.WebSocketUrl, "WebSocketUrl") ?? "" : EmbeddedWebSocketUrl(context, config);

    /// <summary>/notifications/ws on DropSync:PublicBaseUrl, else on the address the request came to; http→ws, https→wss.</summary>
    private static string EmbeddedWebSocketUrl(HttpContext context, IConfiguration config)
    {
        var baseUrl = config["DropSync:PublicBaseUrl"] is { Length: > 0 } configured
            ? configured.TrimEnd('/')
            : $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";
        var uri = new Uri(baseUrl + "/notifications/ws");
        var scheme = uri.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        return new UriBuilder(uri) { Scheme = scheme, Port = uri.IsDefaultPort ? -1 : uri.Port }.Uri.ToString();
    }
}
