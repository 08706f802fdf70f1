using DropSync.Api.Auth;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Files;
using DropSync.Core.Model;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;

namespace DropSync.Api.Apis;

/// <summary>
/// <c>POST /files/upload</c>: <c>uploadType=media</c> takes the file as the body; <c>uploadType=resumable</c> takes the
/// block list as JSON and answers where to PUT the missing blocks (or, with <c>upload_id</c>, what is still missing).
/// </summary>
internal static class UploadApi
{
    public static IEndpointRouteBuilder MapUploadApi(this IEndpointRouteBuilder routes)
    {
        var files = routes.MapGroup("/files").WithTags("Files");
        // No Accepts metadata: it would make routing refuse bodies of other content types, and a media upload takes any bytes.
        files.MapPost("/upload", UploadAsync).WithName("upload").Produces<FileMetadata>()
            .WithSummary("Upload a file: uploadType=media (body is the file) or uploadType=resumable (JSON block list; add upload_id to resume).");
        files.MapPost("/upload/blocks", AddBlocksAsync).WithName("addUploadBlocks").Produces<ResumableUploadState>()
            .WithSummary("Add the next part of a resumable upload's block list (one begun with more_blocks); answers the blocks still to PUT.");
        files.MapPost("/upload/finish", FinishAsync).WithName("finishUpload").WithSummary("Commit a resumable upload once its blocks are uploaded.");
        return routes;
    }

    private static async Task<IResult> UploadAsync(
        HttpContext context,
        UploadService uploads,
        [FromQuery] string? uploadType,
        [FromQuery] string? path,
        [FromQuery] string? mode,
        [FromQuery] string? rev,
        [FromQuery(Name = "upload_id")] string? uploadId,
        CancellationToken ct)
    {
        var caller = context.Caller();
        switch (uploadType)
        {
            case "media":
                return await UploadMediaAsync(context, uploads, caller, path, mode, rev, ct);
            case "resumable" when uploadId is not null:
                return Results.Ok(await uploads.ResumeAsync(caller, uploadId, ct));
            case "resumable":
                var request = await ReadJsonAsync<ResumableRequest>(context, ct);
                var declared = new ResumableUploadRequest(
                    request.Path, request.Size ?? throw Errors.BadRequest(ErrorCodes.MissingSize, "size (the file's length in bytes) is required."), ToBlockRefs(request.Blocks),
                    ParseMode(request.Mode), request.Rev, request.ContentHash, request.MoreBlocks ?? false, ParseContentHashKind(request.ContentHashKind));
                return Results.Ok(await uploads.BeginAsync(caller, declared, ct));
            default:
                throw Errors.BadRequest(ErrorCodes.InvalidUploadType, "uploadType must be \"media\" or \"resumable\".");
        }
    }

    private static async Task<IResult> UploadMediaAsync(HttpContext context, UploadService uploads, Core.Accounts.Caller caller, string? path, string? mode, string? rev, CancellationToken ct)
    {
        // Embedded: the core stops reading past 10 GiB; the transport must not stop it earlier. AWS: a Lambda request
        // is at most max_request_bytes; a larger file goes by the resumable upload (blocks straight to S3).
        var limits = context.RequestServices.GetRequiredService<Hosting.ServerLimits>();
        // The core answers file_too_large past 10 GiB itself; the transport's bound sits a block above it (Kestrel counts a
        // chunked body past its data bytes: a chunked upload of exactly 10 GiB hit a bound of 10 GiB + 1).
        var maxBytes = limits.IsAws ? limits.MaxRequestBytes : Limits.MaxFileSize + Limits.MaxBlockSize;
        if (limits.IsAws && context.Request.ContentLength > maxBytes)
        {
            throw TooLargeForDirectUpload(maxBytes);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes;
        }

        try
        {
            return Results.Ok(await uploads.UploadMediaAsync(caller, path, ParseMode(mode), rev, context.Request.Body, ct, context.Request.ContentLength));
        }
        catch (BadHttpRequestException e) when (limits.IsAws && e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLargeForDirectUpload(maxBytes);
        }
    }

    private static DropSyncException TooLargeForDirectUpload(long maxBytes) => new(
        ErrorKind.PayloadTooLarge,
        ErrorCodes.TooLargeForDirectUpload,
        $"A file sent as the request body is at most {maxBytes} bytes here; upload it with uploadType=resumable (its blocks go straight to storage).",
        new Dictionary<string, object?> { ["max_request_bytes"] = maxBytes });

    private static async Task<ResumableUploadState> AddBlocksAsync(AddBlocksRequest request, HttpContext context, UploadService uploads, CancellationToken ct) =>
        await uploads.AddBlocksAsync(context.Caller(), request.UploadId, request.Index, ToBlockRefs(request.Blocks), ct);

    private static List<BlockRef> ToBlockRefs(IReadOnlyList<BlockRequest>? blocks) =>
        (blocks ?? []).Select(b => b is null
            ? throw Errors.BadRequest(ErrorCodes.InvalidRequest, "Each entry of blocks is an object {hash, size}; null is not one.")
            : new BlockRef(BlockHash.Parse(b.Hash), b.Size)).ToList();

    private static async Task<FileMetadata> FinishAsync(FinishRequest request, HttpContext context, UploadService uploads, CancellationToken ct) =>
        await uploads.FinishAsync(context.Caller(), request.UploadId, ct);

    private static ContentHashKind ParseContentHashKind(string? kind) => kind switch
    {
        null or "" or "pieces" => ContentHashKind.Pieces,
        ContentHash.BlockListKindName => ContentHashKind.BlockList,
        _ => throw Errors.BadRequest(ErrorCodes.InvalidRequest, "content_hash_kind must be \"b1\" (the block-list hash) or \"pieces\" (Dropbox's, the default)."),
    };

    internal static WriteMode ParseMode(string? mode) => mode switch
    {
        null or "" or "add" => WriteMode.Add,
        "overwrite" => WriteMode.Overwrite,
        "update" => WriteMode.Update,
        _ => throw Errors.BadRequest(ErrorCodes.InvalidMode, "mode must be add, overwrite or update."),
    };

    private static async Task<T> ReadJsonAsync<T>(HttpContext context, CancellationToken ct)
    {
        if (!context.Request.HasJsonContentType())
        {
            throw Errors.BadRequest(ErrorCodes.InvalidRequest, "Send the block list as JSON (Content-Type: application/json).");
        }

        // This endpoint reads its own body (media or JSON), so the JSON bound is applied here, while reading.
        var max = context.RequestServices.GetRequiredService<DropSyncOptions>().MaxJsonBodyBytes;
        var tooLarge = Errors.TooLarge(ErrorCodes.PayloadTooLarge, $"A JSON request body is at most {max} bytes here.");
        if (context.Request.ContentLength > max)
        {
            throw tooLarge;
        }

        var json = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>();
        await using var body = new Hosting.BoundedReadStream(context.Request.Body, max);
        try
        {
            return await System.Text.Json.JsonSerializer.DeserializeAsync<T>(body, json.Value.SerializerOptions, ct)
                ?? throw Errors.BadRequest(ErrorCodes.InvalidRequest, "The JSON body is empty.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw Errors.BadRequest(ErrorCodes.InvalidRequest, Hosting.JsonProblems.Describe(e, typeof(T), json.Value.SerializerOptions));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw tooLarge;
        }
    }
}
