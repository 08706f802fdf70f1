using DropSync.Core.Accounts;
using DropSync.Core.Errors;
using DropSync.Core.Files;
using DropSync.Core.Sharing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace DropSync.Dav;

/// <summary>Maps WebDAV at /dav/ and turns errors into WebDAV answers.</summary>
public static class DavEndpoints
{
    private static readonly string[] Methods =
        ["OPTIONS", "GET", "HEAD", "PUT", "DELETE", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK"];

    public static IServiceCollection AddDropSyncDav(this IServiceCollection services, DavSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        services.AddSingleton(settings);
        if (settings.UnavailableReason is null)
        {
            // Where /dav/ answers 501 (AWS mode) its handler and the stores it needs are not wired at all.
            services.AddSingleton<DavLocks>();
            services.AddSingleton<DavHandler>();
        }

        return services;
    }

    public static IEndpointRouteBuilder MapDropSyncDav(this IEndpointRouteBuilder routes)
    {
        // Anonymous to the API's bearer policy: /dav/ authenticates HTTP Basic with app passwords itself.
        routes.MapMethods(DavRequest.Prefix, Methods, HandleAsync).AllowAnonymous().ExcludeFromDescription();
        routes.MapMethods(DavRequest.Prefix + "/{**path}", Methods, HandleAsync).AllowAnonymous().ExcludeFromDescription();
        return routes;
    }

    private static async Task HandleAsync(HttpContext context)
    {
        var services = context.RequestServices;
        try
        {
            var settings = services.GetRequiredService<DavSettings>();
            if (settings.UnavailableReason is { } reason)
            {
                await DavResponses.WriteErrorAsync(context, StatusCodes.Status501NotImplemented, ErrorCodes.WebdavUnavailable, reason);
                return;
            }

            var caller = await BasicAuthentication.AuthenticateAsync(
                context, services.GetRequiredService<AppPasswordService>(), services.GetRequiredService<Core.Guarding.FailedAttemptLimiter>());
            if (caller is null)
            {
                context.Response.Headers.WWWAuthenticate = BasicAuthentication.Challenge;
                await DavResponses.WriteErrorAsync(
                    context, StatusCodes.Status401Unauthorized, "unauthorized",
                    "WebDAV signs in with your account's e-mail and an app password (create one in the web app or with `dropsync app-password create`); the account password is not accepted here.");
                return;
            }

            var view = await services.GetRequiredService<PathResolver>().ViewAsync(caller, context.RequestAborted);
            var path = DavRequest.PathOf(context.Request.Path.Value);
            var request = new DavRequest(context, caller, view, path, services.GetRequiredService<FileService>());
            await services.GetRequiredService<DavHandler>().HandleAsync(request);
        }
        catch (DavException e) when (!context.Response.HasStarted)
        {
            if (e.Body is not null)
            {
                await DavXml.WriteAsync(context.Response, e.Status, e.Body, context.RequestAborted);
            }
            else
            {
                await DavResponses.WriteErrorAsync(context, e.Status, e.Code, e.Message);
            }
        }
        catch (DropSyncException e) when (!context.Response.HasStarted)
        {
            if (e.Details.TryGetValue(RetryAfter.DetailKey, out var seconds) && seconds is int wait)
            {
                context.Response.Headers.RetryAfter = wait.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            await DavResponses.WriteErrorAsync(context, DavResponses.StatusOf(e), e.Code, e.Message);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            await DavResponses.WriteErrorAsync(context, e.StatusCode, e.StatusCode == 413 ? "file_too_large" : "bad_request", e.Message);
        }
    }
}
