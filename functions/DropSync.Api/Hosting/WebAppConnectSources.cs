using DropSync.Api.Apis;
using DropSync.Core.Content;
using DropSync.Core.Ports;
using DropSync.Web;

namespace DropSync.Api.Hosting;

/// <summary>
/// The origins the web app connects to besides its own, for its Content-Security-Policy: the live feed's (the same URL
/// GET /config answers) and the block URLs' (embedded: this server; AWS: the S3 endpoint the presigned URLs point at,
/// https://{bucket}.s3.{region}.amazonaws.com or DROPSYNC_S3_ENDPOINT). The block origin is read off a URL the
/// server's own <see cref="IBlockTransferUrls"/> makes, so it is exactly what clients are handed.
/// </summary>
internal sealed class WebAppConnectSources(ServerLimits limits, IConfiguration config, IBlockTransferUrls blockUrls) : IWebAppConnectSources
{
    // Any well-formed hash: only the URL's origin is used, and signing a URL touches no storage.
    private static readonly BlockHash SampleBlock = BlockHash.Of([]);

    public IEnumerable<string> For(HttpContext context)
    {
        var origins = new List<string>();
        if (Origin(ConfigApi.WebSocketUrl(context, limits, config)) is { } liveFeed)
        {
            origins.Add(liveFeed);
        }

        if (Origin(blockUrls.DownloadUrl("content-security-policy", SampleBlock, TimeSpan.FromMinutes(1)).Url) is { } blocks)
        {
            origins.Add(blocks);
        }

        return origins;
    }

    /// <summary>scheme://host[:port] of an absolute URL; null for anything else.</summary>
    private static string? Origin(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "ws" or "wss"
            ? uri.GetLeftPart(UriPartial.Authority)
            : null;
}
