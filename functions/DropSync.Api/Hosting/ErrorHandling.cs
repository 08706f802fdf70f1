using DropSync.Core.Errors;
using Microsoft.AspNetCore.Diagnostics;

namespace DropSync.Api.Hosting;

/// <summary>Turns exceptions and bodiless error statuses into the JSON error shape.</summary>
internal static class ErrorHandling
{
    public static IApplicationBuilder UseDropSyncErrors(this IApplicationBuilder app)
    {
        // Unexpected failures: logged with their stack, answered without details.
        app.UseExceptionHandler(errors => errors.Run(async context =>
        {
            var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("DropSync.Errors");
            logger.LogError(exception, "Unhandled error on {Method} {Path}", context.Request.Method, SecretSafeLogging.LoggedPath(context.Request.Path));
            await ErrorResponses.WriteAsync(context, 500, ErrorCodes.InternalError, "Something went wrong on the server; try again, and report it if it persists.");
        }));

        // Expected failures (bad input, conflicts, not found): answered as JSON, not logged as server errors.
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (DropSyncException e) when (!context.Response.HasStarted)
            {
                if (e.Details.TryGetValue(RetryAfter.DetailKey, out var seconds) && seconds is int wait)
                {
                    context.Response.Headers.RetryAfter = wait.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                await ErrorResponses.WriteAsync(context, ErrorResponses.StatusOf(e.Kind), e.Code, e.Message, e.Details);
            }
            catch (Exception e) when (!context.Response.HasStarted && DiskFull.Is(e))
            {
                // The disk is full: the write was not stored (a failed block write leaves no temp file, a failed SQLite
                // transaction rolls back); reads go on and the next write after space is freed succeeds.
                DiskFull.Log(context, e);
                await ErrorResponses.WriteAsync(context, StatusCodes.Status507InsufficientStorage, DiskFull.Code, DiskFull.Message);
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                var (code, message) = e.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? (ErrorCodes.PayloadTooLarge, "The request body is larger than this endpoint accepts.")
                    : (ErrorCodes.InvalidRequest, RequestProblem(context, e));
                await ErrorResponses.WriteAsync(context, e.StatusCode, code, message);
            }
        });

        app.UseStatusCodePages(async status =>
        {
            var context = status.HttpContext;
            if (context.Response.HasStarted || context.Response.ContentLength > 0 || context.Response.ContentType is not null)
            {
                return;
            }

            var (code, message) = ErrorResponses.ForStatus(context.Response.StatusCode);
            await ErrorResponses.WriteAsync(context, context.Response.StatusCode, code, message);
        });
        return app;
    }

    private static string RequestProblem(HttpContext context, BadHttpRequestException e) =>
        e.InnerException is System.Text.Json.JsonException json
            ? JsonProblems.Describe(
                json,
                context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>()?.RequestType,
                context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions)
            : e.Message.Contains("body", StringComparison.OrdinalIgnoreCase)
                ? "A JSON body is required (Content-Type: application/json); see /openapi/v1.json for its fields."
                : e.Message;
}
