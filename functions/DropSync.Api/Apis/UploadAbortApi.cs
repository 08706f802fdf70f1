using DropSync.Api.Auth;
using DropSync.Core.Contract;
using DropSync.Core.Files;

namespace DropSync.Api.Apis;

/// <summary><c>POST /files/upload/abort</c>: gives a resumable upload up, so it stops counting against the cap on open uploads.</summary>
internal static class UploadAbortApi
{
    public static IEndpointRouteBuilder MapUploadAbortApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/files").WithTags("Files")
            .MapPost("/upload/abort", AbortAsync).WithName("abortUpload")
            .WithSummary("Give a resumable upload up: it no longer counts as open and cannot be finished. Safe to repeat; a finished upload is left as it is.");
        return routes;
    }

    private static async Task<AbortUploadResponse> AbortAsync(AbortUploadRequest request, HttpContext context, UploadService uploads, CancellationToken ct) =>
        await uploads.AbortAsync(context.Caller(), request.UploadId, ct);
}

/// <summary>/files/upload/abort: which upload.</summary>
internal sealed record AbortUploadRequest(string? UploadId);
