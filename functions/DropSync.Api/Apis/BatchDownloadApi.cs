using DropSync.Api.Auth;
using DropSync.Api.Hosting;
using DropSync.Core.Content;
using DropSync.Core.Contract;
using DropSync.Core.Errors;
using DropSync.Core.Files;
using DropSync.Core.Paths;
using DropSync.Core.Ports;
using DropSync.Core.Sharing;

namespace DropSync.Api.Apis;

/// <summary>One file to fetch: its path, and a rev (empty: the current one).</summary>
internal sealed record BatchDownloadItem(string? Path, string? Rev);

/// <summary>The files to fetch, at most <see cref="DownloadBatches.MaxFiles"/>.</summary>
internal sealed record BatchDownloadRequest(IReadOnlyList<BatchDownloadItem?>? Files);

/// <summary>
/// <c>POST /files/download_batch</c>: many small files' contents in one answer, so a first sync of thousands of small
/// files costs tens of requests instead of one each. Each file is resolved and authorised exactly as
/// <c>/files/download</c> does it and succeeds or fails on its own (404, 409 path_is_folder, ...). A file over one
/// block answers 413 file_too_large, and files past the answer's byte budget (<c>max_download_batch_bytes</c> of GET
/// /config: in AWS mode what a Lambda response carries) answer 413 download_batch_full: the client fetches those alone
/// or in another batch. The content is base64 in the JSON; the metadata's content_hash lets the client verify it.
/// </summary>
internal static class BatchDownloadApi
{
    /// <summary>How many files of one batch are resolved or read at once.</summary>
    private const int Parallelism = 8;

    public static IEndpointRouteBuilder MapBatchDownloadApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/files").WithTags("Files")
            .MapPost("/download_batch", DownloadBatchAsync).WithName("downloadBatch")
            .WithSummary("Fetch up to 1,000 small files (≤ 4 MiB each) in one answer, content base64 with metadata; each file succeeds or fails on its own.");
        return routes;
    }

    private static async Task<BatchDownloadResponse> DownloadBatchAsync(
        BatchDownloadRequest request, HttpContext context, FileService files, PathResolver resolver, ServerLimits limits, IBlockStore blockStore, CancellationToken ct)
    {
        var items = request.Files ?? throw Errors.BadRequest(ErrorCodes.InvalidRequest, "files is required: [{\"path\", \"rev\"}, ...].");
        if (items.Count > DownloadBatches.MaxFiles)
        {
            throw Errors.BadRequest(ErrorCodes.TooManyFiles, $"A download batch names at most {DownloadBatches.MaxFiles} files; ask for the rest in another batch.");
        }

        var caller = context.Caller();
        context.RequestServices.GetRequiredService<BatchFileLimiter>().Take(caller.DeviceId, items.Count);
        var view = await resolver.ViewAsync(caller, ct);
        var errors = new DropSyncException?[items.Count];
        var requests = new RevisionRequest?[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            try
            {
                var item = items[i] ?? throw Errors.BadRequest(ErrorCodes.InvalidRequest, $"files[{i}] is null; each file is an object {{\"path\", \"rev\"}}.");
                var path = DropPath.Parse(item.Path, allowRoot: false);
                requests[i] = new RevisionRequest(view.Resolve(path), path, item.Rev);
            }
            catch (DropSyncException e)
            {
                errors[i] = e;
            }
        }

        // The common case (a first sync asks for current revisions) in a few batched reads; the rest one by one, exactly
        // as /files/download resolves them.
        var resolved = await files.ReadCurrentRevisionsAsync(requests, ct);
        await Parallel.ForEachAsync(Enumerable.Range(0, items.Count).Where(i => requests[i] is not null && resolved[i] is null), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, async (i, c) =>
        {
            try
            {
                resolved[i] = await files.ReadRevisionAsync(requests[i]!.At, requests[i]!.ShownAs, requests[i]!.Rev, c);
            }
            catch (DropSyncException e)
            {
                errors[i] = e;
            }
        });

        // In order: each file that fits is carried; past the budget the rest wait for another batch.
        var budget = limits.MaxDownloadBatchBytes - DownloadBatches.FixedBytes;
        for (var i = 0; i < items.Count; i++)
        {
            if (resolved[i] is not { } file)
            {
                continue;
            }

            if (file.Revision.Size > DownloadBatches.MaxFileSize)
            {
                (resolved[i], errors[i]) = (null, Errors.TooLarge(ErrorCodes.FileTooLarge, $"A batch carries files of at most {DownloadBatches.MaxFileSize} bytes; fetch this one with /files/download or /files/get_blocks."));
                continue;
            }

            budget -= DownloadBatches.EntryBytes(file.Metadata.Path, file.Revision.Size);
            if (budget < 0)
            {
                (resolved[i], errors[i]) = (null, new DropSyncException(ErrorKind.PayloadTooLarge, ErrorCodes.DownloadBatchFull,
                    $"This batch's answer is full (at most {limits.MaxDownloadBatchBytes} bytes here, GET /config gives max_download_batch_bytes); ask for this file in another batch.",
                    new Dictionary<string, object?> { ["max_download_batch_bytes"] = limits.MaxDownloadBatchBytes }));
            }
        }

        var contents = new byte[]?[items.Count];
        await ReadSingleBlockFilesAsync(resolved, contents, blockStore, ct);
        await Parallel.ForEachAsync(Enumerable.Range(0, items.Count).Where(i => resolved[i] is not null && contents[i] is null), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, async (i, c) =>
        {
            var revision = resolved[i]!.Value.Revision;
            var bytes = new byte[revision.Size];
            await using var content = files.OpenContent(revision);
            await content.ReadExactlyAsync(bytes, c);
            contents[i] = bytes;
        });

        return new BatchDownloadResponse([.. Enumerable.Range(0, items.Count).Select(i => resolved[i] is { } file
            ? new BatchDownloadEntry(i, items[i]!.Path, StatusCodes.Status200OK, file.Metadata, contents[i], null)
            : new BatchDownloadEntry(i, Echo(items[i]?.Path), ErrorResponses.StatusOf(errors[i]!.Kind), null, null, ErrorResponses.Of(errors[i]!.Code, errors[i]!.Message, errors[i]!.Details)))]);
    }

    /// <summary>
    /// The files of one block (most small files) read in one batch from the block store, each block verified against its
    /// name by the store and the file's content hash checked from the name, as <see cref="BlockContentStream"/> does for
    /// piece-aligned blocks; the others are left for <see cref="FileService.OpenContent"/>.
    /// </summary>
    private static async Task ReadSingleBlockFilesAsync(
        (FileMetadata Metadata, Core.Model.FileRevision Revision)?[] resolved, byte[]?[] contents, IBlockStore blockStore, CancellationToken ct)
    {
        var single = Enumerable.Range(0, resolved.Length)
            .Where(i => resolved[i] is { Revision.Blocks: [{ } only] } file && only.Size == file.Revision.Size
                && ContentHash.FromNames(file.Revision.Blocks, ContentHash.KindOf(file.Revision.ContentHash)) is not null)
            .ToList();
        if (single.Count == 0)
        {
            return;
        }

        var blocks = await blockStore.ReadManyAsync(single.Select(i => resolved[i]!.Value.Revision.Blocks[0].Hash).ToHashSet(), ct);
        foreach (var i in single)
        {
            var revision = resolved[i]!.Value.Revision;
            var bytes = blocks[revision.Blocks[0].Hash];
            var recorded = ContentHash.FromNames(revision.Blocks, ContentHash.KindOf(revision.ContentHash));
            if (bytes.Length != revision.Size || recorded != revision.ContentHash)
            {
                throw new InvalidDataException($"The block of revision {revision.Rev} makes {bytes.Length} bytes and content hash {recorded}, not the recorded {revision.Size} and {revision.ContentHash}.");
            }

            contents[i] = bytes;
        }
    }

    /// <summary>A refused path as echoed back: never longer than a valid one, so a huge path costs no huge answer.</summary>
    private static string? Echo(string? path) => path is { Length: > DropPath.MaxPathLength } ? path[..DropPath.MaxPathLength] + "…" : path;
}
