using Microsoft.Extensions.Logging;

namespace DropSync.Api.Hosting;

/// <summary>
/// Keeps secrets that travel in URLs out of the server's logs, whatever the log levels are set to. Three kinds do:
/// the HMAC signature of a signed block URL (<c>?sig=</c>, good for its lifetime), the live feed's
/// <c>?access_token=</c> (a device's token, 90 days sliding) and a share link's token (<c>/s/{token}</c>,
/// <c>/link/{token}</c>: the link's whole secret).
/// </summary>
internal static class SecretSafeLogging
{
    /// <summary>
    /// ASP.NET Core's categories whose messages quote a request's URL or path, each with the least level that does not:
    /// hosting logs "Request starting" with the raw URL, query string included, at Information; routing's matcher
    /// names the request path at Debug; Kestrel quotes a malformed request line at Debug. appsettings.json's
    /// "Microsoft.AspNetCore": "Warning" keeps them quiet, but one override (or a server started where its
    /// appsettings.json is not found, as every server started outside its own folder was before) turns them on. These
    /// rules come after the configuration's, so for the same category they win.
    /// https://learn.microsoft.com/aspnet/core/fundamentals/logging/#how-filtering-rules-are-applied
    /// </summary>
    public static readonly IReadOnlyList<(string Category, LogLevel Least)> UrlQuotingCategories =
    [
        ("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning),
        ("Microsoft.AspNetCore.Routing.Matching", LogLevel.Information),
        ("Microsoft.AspNetCore.Server.Kestrel.BadRequests", LogLevel.Information),
    ];

    private static readonly string[] CapabilityPrefixes = ["/s/", "/link/", "/blocks/"];

    public static ILoggingBuilder KeepUrlSecretsOut(this ILoggingBuilder logging)
    {
        foreach (var (category, least) in UrlQuotingCategories)
        {
            logging.AddFilter(category, least);
        }

        return logging;
    }

    /// <summary>
    /// A request's path as DropSync's own log lines show it: a share link's token and a block's name are cut (the
    /// name is no secret, but "/blocks/*" is one line per kind of request), everything else kept.
    /// </summary>
    public static string LoggedPath(PathString path)
    {
        var value = path.Value ?? "";
        foreach (var prefix in CapabilityPrefixes)
        {
            if (value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return value[..prefix.Length] + "*";
            }
        }

        return value;
    }
}
