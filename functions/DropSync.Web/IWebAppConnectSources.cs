using Microsoft.AspNetCore.Http;

namespace DropSync.Web;

/// <summary>
/// The origins, besides its own, the web app's scripts connect to: where the live feed is and where block URLs point.
/// The host registers it; the web app's Content-Security-Policy allows exactly these in <c>connect-src</c>.
/// </summary>
public interface IWebAppConnectSources
{
    /// <summary>Origins (<c>scheme://host[:port]</c>) for the page answering <paramref name="context"/>.</summary>
    IEnumerable<string> For(HttpContext context);
}
