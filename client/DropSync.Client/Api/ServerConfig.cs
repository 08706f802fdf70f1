using System.Text.Json.Serialization;
using DropSync.Core.Content;
using DropSync.Core.Files;

namespace DropSync.Client.Api;

/// <summary>
/// What the server advertises at <c>GET /config</c>: where its live feed is and the largest requests and answers it
/// takes. A server from before <c>/config</c> (404) gets <see cref="EmbeddedDefaults"/>: the limits such a server has.
/// </summary>
/// <param name="Mode">"embedded" or "aws".</param>
/// <param name="WebsocketUrl">The live change feed (ws:// or wss://); clients add <c>?access_token=</c>.</param>
/// <param name="MaxRequestBytes">The largest request body the server takes (a whole-body upload above it goes by blocks).</param>
/// <param name="MaxResponseBytes">The largest file (or Range) <c>/files/download</c> answers directly; null = unlimited. Larger files come by blocks.</param>
/// <param name="MaxBatchBytes">The largest <c>/files/upload_batch</c> request.</param>
/// <param name="MaxBatchFiles">The most files one <c>/files/upload_batch</c> takes.</param>
/// <param name="MaxBlockBytes">The largest block.</param>
public sealed record ServerConfig(
    string Mode, string WebsocketUrl, long MaxRequestBytes, long? MaxResponseBytes, long MaxBatchBytes, int MaxBatchFiles, int MaxBlockBytes)
{
    /// <summary>How long a replaced revision or a deleted file stays restorable, in seconds; null from a server before retention.</summary>
    public long? VersionRetentionSeconds { get; init; }

    /// <summary>The most revisions the server keeps of one file; null from a server before retention.</summary>
    public int? MaxRevisionsPerFile { get; init; }

    /// <summary>The retention policy in words ("180 days, up to 100 revisions a file"); null or empty from a server before retention.</summary>
    public string? History { get; init; }

    /// <summary>The most files one <c>/files/download_batch</c> names; null or 0: the server has none (files come down one by one).</summary>
    public int? MaxDownloadBatchFiles { get; init; }

    /// <summary>The largest <c>/files/download_batch</c> answer, as <see cref="DownloadBatches.EntryBytes"/> estimates it.</summary>
    public long? MaxDownloadBatchBytes { get; init; }

    /// <summary>
    /// Whether a resumable upload may begin with part of its block list and add the rest as the scan finds it; null or
    /// false from a server before it (which refuses a short list), so the client then sends the whole list at begin.
    /// </summary>
    public bool? UploadBlocksInParts { get; init; }

    /// <summary>
    /// Whether a resumable upload may ask for the content hash derived from its block list (<c>b1:</c>…), which the
    /// server computes from the names alone; null or false from a server before it, which gets Dropbox's.
    /// </summary>
    public bool? BlockListContentHash { get; init; }

    /// <summary>Whether the server answered <c>/config</c> (false: the embedded defaults stand in for it).</summary>
    [JsonIgnore] public bool FromServer { get; init; } = true;

    /// <summary>The limits of a server without <c>/config</c> (an embedded server from before it), its feed at <c>/notifications/ws</c>.</summary>
    public static ServerConfig EmbeddedDefaults(Uri server)
    {
        var feed = new UriBuilder(new Uri(server, "/notifications/ws")) { Scheme = server.Scheme == Uri.UriSchemeHttps ? "wss" : "ws" };
        return new ServerConfig(
            "embedded",
            feed.Uri.ToString(),
            MaxRequestBytes: Limits.MaxFileSize,
            MaxResponseBytes: null,
            // The embedded /files/upload_batch body limit: every file at its largest plus 64 KiB of part overhead, plus 4 MiB.
            MaxBatchBytes: (BatchUploadService.MaxFiles * (BatchUploadService.MaxFileSize + (64L * 1024))) + (4L * 1024 * 1024),
            MaxBatchFiles: BatchUploadService.MaxFiles,
            MaxBlockBytes: Limits.MaxBlockSize)
        {
            FromServer = false,
        };
    }

    /// <summary>A server's answer with any missing or nonsensical field taken from <paramref name="defaults"/>.</summary>
    internal ServerConfig Or(ServerConfig defaults) => this with
    {
        Mode = string.IsNullOrEmpty(Mode) ? defaults.Mode : Mode,
        WebsocketUrl = string.IsNullOrEmpty(WebsocketUrl) ? defaults.WebsocketUrl : WebsocketUrl,
        MaxRequestBytes = MaxRequestBytes > 0 ? MaxRequestBytes : defaults.MaxRequestBytes,
        MaxResponseBytes = MaxResponseBytes is > 0 or null ? MaxResponseBytes : defaults.MaxResponseBytes,
        MaxBatchBytes = MaxBatchBytes > 0 ? MaxBatchBytes : defaults.MaxBatchBytes,
        MaxBatchFiles = MaxBatchFiles > 0 ? MaxBatchFiles : defaults.MaxBatchFiles,
        MaxBlockBytes = MaxBlockBytes > 0 ? MaxBlockBytes : defaults.MaxBlockBytes,
    };

    /// <summary>Whether <c>/files/download</c> answers a file of this many bytes directly.</summary>
    public bool CanDownloadDirectly(long size) => MaxResponseBytes is not { } limit || size <= limit;

    /// <summary>The live feed's address for a token: <see cref="WebsocketUrl"/> with <c>access_token</c> added to its query.</summary>
    public Uri WebSocketUri(Uri server, string? accessToken)
    {
        var builder = new UriBuilder(new Uri(server, WebsocketUrl));
        if (builder.Scheme == Uri.UriSchemeHttp)
        {
            builder.Scheme = "ws";
        }
        else if (builder.Scheme == Uri.UriSchemeHttps)
        {
            builder.Scheme = "wss";
        }

        if (accessToken is not null)
        {
            var query = builder.Query.TrimStart('?');
            builder.Query = (query.Length > 0 ? query + "&" : "") + "access_token=" + Uri.EscapeDataString(accessToken);
        }

        return builder.Uri;
    }
}
