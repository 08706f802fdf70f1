using System.Runtime.CompilerServices;
using System.Text.Json;
using DropSync.Api.Auth;
using DropSync.Api.Hosting;
using DropSync.Core.Contract;
using DropSync.Core.Errors;
using DropSync.Core.Files;
using DropSync.Core.Paths;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace DropSync.Api.Apis;

/// <summary>
/// <c>POST /files/upload_batch</c>: many small files in one request. The body is <c>multipart/form-data</c>: first a
/// part named <c>manifest</c> holding JSON <c>{"files": [{"path", "mode", "rev"}, ...]}</c> (at most 1,000 files;
/// mode "add" by default), then one part per file, in the manifest's order, holding its bytes (at most 4 MiB each;
/// parts past the manifest's count are ignored). The answer is <c>{"entries": [...]}</c>, one per manifest file, in
/// order: <c>{"index", "path", "status": 200, "metadata": {...}}</c>, or <c>{"index", "path", "status": 4xx/5xx,
/// "error": {"error", "message", ...}}</c> with the same error body a single upload of that file would have had (a
/// conflict names <c>current</c> and <c>conflicted_copy</c>). One file failing does not fail the others.
/// </summary>
internal static class BatchUploadApi
{
    private const long PartOverhead = 64 * 1024;

    /// <summary>The largest manifest: every file with a path of the longest length, four bytes a character, and room for modes and revs.</summary>
    public const long MaxManifestBytes = (BatchUploadService.MaxFiles * DropPath.MaxPathLength * 4L) + PartOverhead;

    /// <summary>The largest batch request embedded mode takes: every file at its largest, with room for the parts' headers and the manifest.</summary>
    public const long EmbeddedMaxBatchBytes = (BatchUploadService.MaxFiles * (BatchUploadService.MaxFileSize + PartOverhead)) + (4 * 1024 * 1024);

    public static IEndpointRouteBuilder MapBatchUploadApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/files").WithTags("Files")
            .MapPost("/upload_batch", UploadBatchAsync).WithName("uploadBatch")
            .WithSummary("Upload up to 1,000 small files (≤ 4 MiB each) in one multipart request; each file succeeds or fails on its own.");
        return routes;
    }

    private static async Task<BatchUploadResponse> UploadBatchAsync(HttpContext context, BatchUploadService batches, IOptions<JsonOptions> json, CancellationToken ct)
    {
        var caller = context.Caller();
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type)
            || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 } boundary)
        {
            throw Errors.BadRequest(ErrorCodes.InvalidRequest, "Send the batch as multipart/form-data: a \"manifest\" JSON part, then one part per file.");
        }

        var maxBytes = context.RequestServices.GetRequiredService<ServerLimits>().MaxBatchBytes;
        if (context.Request.ContentLength > maxBytes)
        {
            throw BatchTooLarge(maxBytes);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes;
        }

        // The declared size, against the caller's own quota, before any block is stored; each file's commit checks its
        // target's quota again (a file into a folder shared by someone else counts for them).
        await context.RequestServices.GetRequiredService<StorageQuota>().RequireRoomAsync(caller.RootNamespaceId, context.Request.ContentLength ?? 0, ct);
        Core.Diagnostics.RequestStages.Mark("quota");
        try
        {
            return await ReadBatchAsync(context, caller, boundary, batches, json, ct);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw BatchTooLarge(maxBytes);
        }
    }

    /// <summary>413 batch_too_large (AWS mode: a Lambda request is at most max_batch_bytes, see GET /config).</summary>
    private static DropSyncException BatchTooLarge(long maxBytes) => new(
        ErrorKind.PayloadTooLarge,
        ErrorCodes.BatchTooLarge,
        $"A batch request is at most {maxBytes} bytes here; split it into smaller batches (GET /config gives max_batch_bytes).",
        new Dictionary<string, object?> { ["max_batch_bytes"] = maxBytes });

    private static async Task<BatchUploadResponse> ReadBatchAsync(HttpContext context, Core.Accounts.Caller caller, string boundary, BatchUploadService batches, IOptions<JsonOptions> json, CancellationToken ct)
    {
        var reader = new MultipartReader(boundary, context.Request.Body) { BodyLengthLimit = null };
        var first = await MultipartAsync(() => reader.ReadNextSectionAsync(ct));
        if (first is null || first.GetContentDispositionHeader()?.Name.Value != "manifest")
        {
            throw Errors.BadRequest(ErrorCodes.MissingManifest, "The first part of a batch is \"manifest\": JSON {\"files\": [{\"path\", \"mode\", \"rev\"}, ...]}.");
        }

        // Bounded while it is read: a manifest past the bound (say a 32 MiB path) is refused after MaxManifestBytes, never buffered whole.
        BatchManifest? manifest;
        await using var manifestBody = new BoundedReadStream(first.Body, MaxManifestBytes);
        try
        {
            manifest = await MultipartAsync(() => JsonSerializer.DeserializeAsync<BatchManifest>(manifestBody, json.Value.SerializerOptions, ct).AsTask());
        }
        catch (JsonException e)
        {
            throw Errors.BadRequest(ErrorCodes.InvalidManifest, Hosting.JsonProblems.Describe(e, typeof(BatchManifest), json.Value.SerializerOptions, "The manifest"));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw Errors.TooLarge(ErrorCodes.PayloadTooLarge, $"A batch manifest is at most {MaxManifestBytes} bytes (paths are at most {DropPath.MaxPathLength} characters).");
        }

        var items = manifest?.Files ?? throw Errors.BadRequest(ErrorCodes.InvalidManifest, "The manifest lists no files.");
        for (var i = 0; i < items.Count; i++)
        {
            // JSON null deserializes into the list as is; the service takes every item for an object.
            if (items[i] is null)
            {
                throw Errors.BadRequest(ErrorCodes.InvalidManifest, $"files[{i}] is null; each file is an object {{\"path\", \"mode\", \"rev\"}}.");
            }
        }

        context.RequestServices.GetRequiredService<BatchFileLimiter>().Take(caller.DeviceId, items.Count);
        Core.Diagnostics.RequestStages.Mark("manifest read");
        var results = await batches.UploadAsync(caller, items, ReadFilesAsync(reader, items, ct), ct);
        LogUnexpectedFailures(context, results);
        return new BatchUploadResponse([.. results.Select(r => r.Error switch
        {
            null => new BatchUploadEntry(r.Index, r.Path, StatusCodes.Status200OK, r.Metadata, null),

            // As a single upload would be answered: the disk being full is 507, not a server fault.
            { Kind: ErrorKind.Internal } e when DiskFull.Is(e.InnerException) =>
                new BatchUploadEntry(r.Index, Echo(r.Path), StatusCodes.Status507InsufficientStorage, null, ErrorResponses.Of(DiskFull.Code, DiskFull.Message, null)),
            { } e => new BatchUploadEntry(r.Index, Echo(r.Path), ErrorResponses.StatusOf(e.Kind), null, ErrorResponses.Of(e.Code, e.Message, e.Details)),
        })]);
    }

    /// <summary>
    /// A file that failed with internal_error is answered without details, as any 500 is; its cause goes to the server's
    /// log here, as the exception handler logs an unhandled one, so a store or metadata failure is never silent.
    /// </summary>
    private static void LogUnexpectedFailures(HttpContext context, IReadOnlyList<BatchUploadResult> results)
    {
        var failures = results.Where(r => r.Error is { Kind: ErrorKind.Internal }).ToList();
        if (failures.Count == 0)
        {
            return;
        }

        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("DropSync.Errors");
        foreach (var group in failures.GroupBy(r => r.Error!.InnerException?.GetType()))
        {
            // One line per kind of cause, with the first one's stack: a batch of 1,000 failing files is not 1,000 lines.
            var first = group.First();
            if (DiskFull.Is(first.Error!.InnerException))
            {
                DiskFull.Log(context, first.Error.InnerException!);
            }
            else
            {
                logger.LogError(first.Error.InnerException, "{Count} of {Total} files of a batch failed unexpectedly on {Path} (first: index {Index})",
                    group.Count(), results.Count, SecretSafeLogging.LoggedPath(context.Request.Path), first.Index);
            }
        }
    }

    /// <summary>A refused path as echoed back: never longer than a valid one, so a huge path costs no huge answer.</summary>
    private static string? Echo(string? path) => path is { Length: > DropPath.MaxPathLength } ? path[..DropPath.MaxPathLength] + "…" : path;

    /// <summary>The file parts, one by one as they arrive; a part over the limit is skipped and fails alone.</summary>
    private static async IAsyncEnumerable<BatchUploadFile> ReadFilesAsync(MultipartReader reader, IReadOnlyList<BatchUploadItem> items, [EnumeratorCancellation] CancellationToken ct)
    {
        // One read buffer for the whole batch (parts are read one after another): 80 KiB a file was most of a small
        // file batch's allocations.
        var chunk = new byte[81920];
        for (var index = 0; index < items.Count; index++)
        {
            var section = await MultipartAsync(() => reader.ReadNextSectionAsync(ct));
            if (section is null)
            {
                yield break;
            }

            var buffer = new MemoryStream();
            var tooLarge = false;
            int n;
            while ((n = await MultipartAsync(() => section.Body.ReadAsync(chunk, ct).AsTask())) > 0)
            {
                if (buffer.Length + n > BatchUploadService.MaxFileSize)
                {
                    tooLarge = true;
                    continue; // Drain the rest of this part.
                }

                buffer.Write(chunk, 0, n);
            }

            yield return tooLarge
                ? new BatchUploadFile(index, items[index], ReadOnlyMemory<byte>.Empty,
                    Errors.TooLarge(ErrorCodes.FileTooLarge, $"A file in a batch is at most {BatchUploadService.MaxFileSize} bytes; upload larger files on their own."))
                : new BatchUploadFile(index, items[index], buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
        }
    }

    /// <summary>
    /// A read of the multipart body: the reader's IOException (a body that ends before its closing boundary, a header
    /// line past its limit) is the client's malformed request, 400; the transport's own (a body past its size limit)
    /// stays what it is.
    /// </summary>
    private static async Task<T> MultipartAsync<T>(Func<Task<T>> read)
    {
        try
        {
            return await read();
        }
        catch (IOException e) when (e is not BadHttpRequestException)
        {
            throw Errors.BadRequest(ErrorCodes.InvalidRequest, $"The multipart body is malformed: {e.Message}");
        }
    }

    private sealed record BatchManifest(IReadOnlyList<BatchUploadItem>? Files);
}
