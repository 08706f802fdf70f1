using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using DropSync.Api.Auth;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Files;
using Microsoft.Extensions.Options;

namespace DropSync.Api.Apis;

/// <summary>
/// Downloads: the whole content streamed block by block with HTTP Range support, or the block list with signed URLs.
/// Range is handled here rather than by ASP.NET's file results, which only honour it on GET and HEAD while the
/// Dropbox-style API downloads with POST.
/// </summary>
internal static class DownloadApi
{
    private static readonly ConditionalWeakTable<JsonSerializerOptions, JsonSerializerOptions> HeaderJsonCache = new();

    private const int CopyBufferSize = 1024 * 1024;

    public static IEndpointRouteBuilder MapDownloadApi(this IEndpointRouteBuilder routes)
    {
        var files = routes.MapGroup("/files").WithTags("Files");
        files.MapPost("/download", DownloadAsync).WithName("download")
            .Produces<byte[]>(StatusCodes.Status200OK, "application/octet-stream").Produces<byte[]>(StatusCodes.Status206PartialContent, "application/octet-stream").WithSummary("Stream a file's content (current or a given rev); honours Range.");
        files.MapGet("/download", (HttpContext context, FileService service, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, string? path, string? rev) =>
                DownloadAsync(new PathRequest(path, rev), context, service, json))
            .WithName("downloadByQuery")
            .Produces<byte[]>(StatusCodes.Status200OK, "application/octet-stream").Produces<byte[]>(StatusCodes.Status206PartialContent, "application/octet-stream")
            .WithSummary("The same, with path and rev in the query string.");
        files.MapPost("/get_blocks", GetBlocksAsync).WithName("getBlocks")
            .WithSummary("A page of a file's ordered blocks (start, limit), each with a signed URL to GET it; has_more/next_start lead to the next page.");
        return routes;
    }

    private static async Task<BlockList> GetBlocksAsync(GetBlocksRequest request, HttpContext context, FileService files, CancellationToken ct) =>
        await files.GetBlocksAsync(context.Caller(), request.Path, request.Rev, request.Start, request.Limit, ct);

    private static async Task<IResult> DownloadAsync(PathRequest request, HttpContext context, FileService files, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
    {
        var (metadata, revision) = await files.ResolveRevisionAsync(context.Caller(), request.Path, request.Rev, context.RequestAborted);
        await WriteContentAsync(context, metadata, revision, files, json.Value.SerializerOptions);
        return Results.Empty;
    }

    /// <summary>
    /// Streams a revision as the response, honouring a single-range Range header. Where the server limits what it answers
    /// directly (AWS mode: a Lambda response), a body over the limit is refused with 409 too_large_for_direct_download
    /// and the client fetches the file by blocks (presigned URLs) or in smaller Ranges.
    /// </summary>
    public static async Task WriteContentAsync(HttpContext context, FileMetadata metadata, Core.Model.FileRevision revision, FileService files, JsonSerializerOptions json, string blocksEndpoint = "/files/get_blocks")
    {
        var ct = context.RequestAborted;
        var response = context.Response;
        var length = revision.Size;
        long from = 0, count = length;
        string? contentRange = null;
        ByteRange? asked;
        try
        {
            asked = ByteRange.Of(context.Request.Headers.Range.ToString(), length);
        }
        catch (DropSyncException)
        {
            response.Headers.ContentRange = ByteRange.UnsatisfiableContentRange(length);
            throw;
        }

        if (asked is { } part)
        {
            (from, count, contentRange) = (part.From, part.Count, part.ContentRange);
        }

        if (context.RequestServices.GetRequiredService<Hosting.ServerLimits>().MaxResponseBytes is { } max && count > max)
        {
            throw Errors.Conflict(
                ErrorCodes.TooLargeForDirectDownload,
                $"This answer would be {count} bytes; this server answers at most {max} bytes directly. Fetch the file by blocks with {blocksEndpoint} (presigned URLs), or in Ranges of at most {max} bytes.",
                new Dictionary<string, object?> { ["max_response_bytes"] = max });
        }

        response.ContentType = "application/octet-stream";
        response.Headers.AcceptRanges = "bytes";
        response.Headers.ETag = $"\"{metadata.ContentHash}\"";
        response.Headers["DropSync-API-Result"] = JsonSerializer.Serialize(metadata, HeaderJson(json));
        if (contentRange is not null)
        {
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = contentRange;
        }

        response.ContentLength = count;
        await using var content = files.OpenContent(revision);
        content.Position = from;
        if (content is BlockContentStream blocks)
        {
            // Straight from the block buffer to the response: no copy through a buffer of ours.
            await blocks.CopyToAsync(response.Body, count, ct);
        }
        else
        {
            await CopyAsync(content, response.Body, count, ct);
        }
    }

    private static async Task CopyAsync(Stream source, Stream destination, long count, CancellationToken ct)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            while (count > 0)
            {
                var n = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), ct);
                if (n == 0)
                {
                    throw new InvalidDataException("The file's content ended before its recorded size.");
                }

                await destination.WriteAsync(buffer.AsMemory(0, n), ct);
                count -= n;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The API's JSON options with every non-ASCII character escaped (\u00e9): a header value must be ASCII, and
    /// ASP.NET Core's own options write "é" as is (only surrogate pairs are escaped), which fails the response.
    /// </summary>
    private static JsonSerializerOptions HeaderJson(JsonSerializerOptions json) =>
        HeaderJsonCache.GetValue(json, options => new JsonSerializerOptions(options) { Encoder = JavaScriptEncoder.Default });
}
