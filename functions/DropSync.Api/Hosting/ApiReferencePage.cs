using Scalar.AspNetCore;

namespace DropSync.Api.Hosting;

/// <summary>
/// The API reference at <c>/docs</c>: Scalar's page over /openapi/v1.json, served from the package itself (no CDN, no
/// fonts from elsewhere, no telemetry, no AI agent). It gets its own Content-Security-Policy: its one inline script
/// carries a fresh nonce per request, and Scalar styles itself inline, which the web app's own pages never allow.
/// </summary>
internal static class ApiReferencePage
{
    public const string Path = "/docs";

    public static WebApplication MapApiReferencePage(this WebApplication app)
    {
        app.MapScalarApiReference(Path, options => options
                .WithTitle("DropSync API reference")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json")
                .DisableDefaultFonts()
                .DisableTelemetry()
                .DisableAgent()
                .WithNonce())
            .AllowAnonymous()
            .AddEndpointFilter(async (context, next) =>
            {
                var http = context.HttpContext;
                http.Response.OnStarting(() =>
                {
                    if (http.Items[ScalarOptions.NonceHttpContextItemKey] is string nonce)
                    {
                        http.Response.Headers.ContentSecurityPolicy =
                            $"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; " +
                            "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; " +
                            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
                    }

                    return Task.CompletedTask;
                });
                return await next(context);
            });
        return app;
    }
}
