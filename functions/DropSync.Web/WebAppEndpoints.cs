using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using DropSync.Web;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

// In the ASP.NET Core namespace, like MapStaticAssets, so the host needs no extra using directive.
namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Serves the DropSync web app: <c>/</c> and the client-side routes <c>/app/…</c> and <c>/link/{token}</c> answer
/// index.html; <c>/assets/…</c> answers the app's scripts and styles, <c>/favicon.ico</c> its icon. Every route lives under its own prefix, so none
/// shadows an API route and an unknown API call still gets the API's JSON 404, never HTML.
/// </summary>
public static class DropSyncWebApp
{
    private const string ResourcePrefix = "wwwroot/";
    private static readonly Lazy<FrozenDictionary<string, WebAsset>> Assets = new(LoadAssets);

    /// <summary>Maps the web app's endpoints (all anonymous: the app signs in through the API itself).</summary>
    public static IEndpointRouteBuilder MapDropSyncWebApp(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        routes.MapGet("/", ServeIndexAsync).AllowAnonymous().ExcludeFromDescription();
        routes.MapGet("/app", ServeIndexAsync).AllowAnonymous().ExcludeFromDescription();
        routes.MapGet("/app/{**route}", ServeIndexAsync).AllowAnonymous().ExcludeFromDescription();
        routes.MapGet("/link/{token}", ServeIndexAsync).AllowAnonymous().ExcludeFromDescription();
        // Browsers ask for /favicon.ico on their own (for JSON and download pages too, which have no <link rel="icon">).
        routes.MapGet("/favicon.ico", (HttpContext context) => ServeAsync(context, "favicon.ico")).AllowAnonymous().ExcludeFromDescription();
        routes.MapGet("/assets/{**file}", (HttpContext context, string file) => ServeAsync(context, "assets/" + file))
            .AllowAnonymous().ExcludeFromDescription();
        return routes;
    }

    private static Task ServeIndexAsync(HttpContext context) => ServeAsync(context, "index.html");

    private static async Task ServeAsync(HttpContext context, string name)
    {
        var response = context.Response;
        if (!Assets.Value.TryGetValue(name, out var asset))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            await response.WriteAsJsonAsync(new NotFound("not_found", $"The web app has no file \"{name}\"."), context.RequestAborted);
            return;
        }

        var headers = response.Headers;
        headers.ETag = asset.ETag;
        // Revalidate every time: the app has no build step to fingerprint file names, and a 304 is cheap.
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        // Link pages carry the link's token in their address; never send it to anyone as a referrer.
        headers["Referrer-Policy"] = "no-referrer";
        if (name == "index.html")
        {
            // connect-src: exactly the app's own origin, the live feed's (AWS: the WebSocket API,
            // wss://{api}.execute-api.{region}.amazonaws.com) and the block URLs' (AWS: presigned S3 URLs) — nothing else.
            var connectSources = context.RequestServices.GetService<IWebAppConnectSources>()?.For(context) ?? [];
            headers.ContentSecurityPolicy =
                "default-src 'self'; script-src 'self'; worker-src 'self'; style-src 'self'; " +
                $"connect-src {string.Join(' ', new[] { "'self'" }.Concat(connectSources).Distinct(StringComparer.Ordinal))}; " +
                "img-src 'self' blob: data:; media-src 'self' blob:; frame-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
            headers["X-Frame-Options"] = "DENY";
        }

        if (context.Request.Headers.IfNoneMatch is { Count: > 0 } ifNoneMatch && (ifNoneMatch.Contains(asset.ETag) || ifNoneMatch.Contains("*")))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Bytes.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(asset.Bytes, context.RequestAborted);
        }
    }

    private static FrozenDictionary<string, WebAsset> LoadAssets()
    {
        var assembly = typeof(DropSyncWebApp).Assembly;
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".js"] = "text/javascript; charset=utf-8";
        types.Mappings[".mjs"] = "text/javascript; charset=utf-8";
        types.Mappings[".css"] = "text/css; charset=utf-8";
        types.Mappings[".html"] = "text/html; charset=utf-8";
        types.Mappings[".svg"] = "image/svg+xml";
        types.Mappings[".webmanifest"] = "application/manifest+json";
        var assets = new Dictionary<string, WebAsset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var name = resource[ResourcePrefix.Length..].Replace('\\', '/');
            var bytes = Read(assembly, resource);
            var type = types.TryGetContentType(name, out var known) ? known : "application/octet-stream";
            var etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..32]}\"";
            assets[name] = new WebAsset(bytes, type, etag);
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static byte[] Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private sealed record WebAsset(byte[] Bytes, string ContentType, string ETag);

    private sealed record NotFound(string Error, string Message);
}
