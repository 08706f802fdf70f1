using System.Buffers;
using System.Globalization;
using DropSync.Api.Blocks;
using DropSync.Core.Blocks;
using DropSync.Core.Content;
using DropSync.Core.Contract;
using DropSync.Core.Errors;
using DropSync.Core.Files;
using Microsoft.AspNetCore.Http.Features;

namespace DropSync.Api.Apis;

/// <summary>Block transfer through signed URLs (the embedded stand-in for presigned S3 URLs).</summary>
internal static class BlocksApi
{
    public static IEndpointRouteBuilder MapBlocksApi(this IEndpointRouteBuilder routes)
    {
        var blocks = routes.MapGroup("/blocks").AllowAnonymous().WithTags("Blocks");
        blocks.MapPut("/{hash}", PutBlockAsync).WithName("putBlock").WithSummary("Upload one block to a signed URL from /files/upload?uploadType=resumable.");
        blocks.MapGet("/{hash}", GetBlockAsync).WithName("getBlock")
            .Produces<byte[]>(StatusCodes.Status200OK, "application/octet-stream").WithSummary("Download one block from a signed URL from /files/get_blocks.");
        // A literal segment: routing prefers it to /{hash}, and "run" is no block name.
        blocks.MapGet("/run", GetBlockRunAsync).WithName("getBlockRun")
            .Produces<byte[]>(StatusCodes.Status200OK, "application/octet-stream")
            .WithSummary("Download consecutive blocks, their bytes back to back, from a run URL of /files/get_blocks (embedded mode).");
        return routes;
    }

    private static async Task<StoredBlockResponse> PutBlockAsync(HttpContext context, string hash, SignedBlockUrls urls, BlockService blockService, UploadPieceHashing pieceHashing)
    {
        var (block, userId, size) = Authorize(context, hash, SignedBlockUrls.Put, urls);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = Limits.MaxBlockSize + 1;
        }

        if (context.Request.ContentLength is { } length && length != size)
        {
            throw Errors.BadRequest(ErrorCodes.BlockSizeMismatch, $"This URL is for a block of {size} bytes; the body is {length}.");
        }

        // The upload sessions waiting for this block hash their content-hash pieces from it now, not at the finish.
        var stored = await blockService.StoreFromStreamAsync(userId, block, context.Request.Body, context.RequestAborted, bytes => pieceHashing.Stored(userId, block, bytes.Span));
        return new StoredBlockResponse(block.Hex, stored);
    }

    private static async Task GetBlockAsync(HttpContext context, string hash, SignedBlockUrls urls, BlockService blockService)
    {
        var (block, _, _) = Authorize(context, hash, SignedBlockUrls.Get, urls);

        // A pooled buffer rather than an array per block: the verified block is written from it and the buffer reused.
        var buffer = BlockBuffers.Rent();
        var returned = false;
        try
        {
            var length = await blockService.ReadIntoAsync(block, buffer.Memory, context.RequestAborted);
            var response = context.Response;
            response.ContentType = "application/octet-stream";
            response.ContentLength = length;
            response.Headers.ETag = $"\"{block.Hex}\"";
            if (await SendAsync(response.BodyWriter, buffer.Memory[..length], () =>
            {
                // The last bytes are copied into the response's pipe: the buffer is free before the wait for the client.
                // Given back after that wait, it was still out when the client, holding the whole block, sent its next
                // GET, and under load that request got a fifth 4 MiB buffer the pool then kept (issue 12).
                BlockBuffers.Return(buffer);
                returned = true;
            }, context.RequestAborted))
            {
                return;
            }
        }
        finally
        {
            if (!returned)
            {
                BlockBuffers.Return(buffer);
            }
        }
    }

    /// <summary>
    /// A run's blocks in order, each read (decrypted and its tag checked, as a single block GET) into one pooled buffer and
    /// sent before the next is read. The length is known up front from the signed list; a block that is missing or not
    /// its listed size after the headers went aborts the response, so the client sees a short body, never wrong bytes.
    /// </summary>
    private static async Task GetBlockRunAsync(HttpContext context, SignedBlockUrls urls, BlockService blockService)
    {
        var blocks = AuthorizeRun(context, urls);
        var response = context.Response;
        var buffer = BlockBuffers.Rent();
        var returned = false;
        try
        {
            for (var i = 0; i < blocks.Count; i++)
            {
                var length = await blockService.ReadIntoAsync(blocks[i].Hash, buffer.Memory, context.RequestAborted);
                if (length != blocks[i].Size)
                {
                    // Only a block store that lost or changed a block gets here: nothing wrong is sent either way.
                    context.Abort();
                    return;
                }

                if (i == 0)
                {
                    // Set once the first block is read: a block missing at the start still answers a JSON error.
                    response.ContentType = "application/octet-stream";
                    response.ContentLength = blocks.Sum(b => (long)b.Size);
                }

                var last = i == blocks.Count - 1;
                if (await SendAsync(response.BodyWriter, buffer.Memory[..length], last ? () => { BlockBuffers.Return(buffer); returned = true; }
                : null, context.RequestAborted))
                {
                    return;
                }
            }
        }
        finally
        {
            if (!returned)
            {
                BlockBuffers.Return(buffer);
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="data"/> to the response a chunk at a time; true when the client went away. Each flush waits
    /// for the transport (Kestrel pauses the pipe at 64 KiB): a slow reader slows only itself.
    /// </summary>
    /// <param name="beforeLastFlush">Run once the last bytes are in the pipe (the source buffer is free).</param>
    private static async Task<bool> SendAsync(System.IO.Pipelines.PipeWriter writer, ReadOnlyMemory<byte> data, Action? beforeLastFlush, CancellationToken ct)
    {
        while (!data.IsEmpty)
        {
            var chunk = data[..Math.Min(BlockBuffers.ResponseChunkSize, data.Length)];
            writer.Write(chunk.Span);
            data = data[chunk.Length..];
            if (data.IsEmpty)
            {
                beforeLastFlush?.Invoke();
            }

            var flushed = await writer.FlushAsync(ct);
            if (flushed.IsCompleted || flushed.IsCanceled)
            {
                return true;
            }
        }

        return false;
    }

    private static IReadOnlyList<BlockRef> AuthorizeRun(HttpContext context, SignedBlockUrls urls)
    {
        var query = context.Request.Query;
        var list = query["blocks"].ToString();
        var blocks = BlockRunList.Parse(list);
        if (string.IsNullOrEmpty(query["u"])
            || !long.TryParse(query["exp"], NumberStyles.None, CultureInfo.InvariantCulture, out var exp)
            || string.IsNullOrEmpty(query["sig"]))
        {
            throw Errors.Forbidden(ErrorCodes.InvalidSignature, "This block run URL is incomplete; ask /files/get_blocks for a new one.");
        }

        return urls.VerifyRun(query["u"].ToString(), list, exp, query["sig"].ToString()) switch
        {
            null => blocks,
            "url_expired" => throw Errors.Forbidden(ErrorCodes.UrlExpired, "This block run URL has expired; call /files/get_blocks again for a fresh one."),
            _ => throw Errors.Forbidden(ErrorCodes.InvalidSignature, "This block run URL's signature does not match; a run URL is good only for the blocks it was made for."),
        };
    }

    private static (BlockHash Block, string UserId, long Size) Authorize(HttpContext context, string hash, string op, SignedBlockUrls urls)
    {
        var query = context.Request.Query;
        var block = BlockHash.Parse(hash);
        if (query["op"] != op
            || string.IsNullOrEmpty(query["u"])
            || !long.TryParse(query["size"], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
            || !long.TryParse(query["exp"], NumberStyles.None, CultureInfo.InvariantCulture, out var exp)
            || string.IsNullOrEmpty(query["sig"]))
        {
            throw Errors.Forbidden(ErrorCodes.InvalidSignature, "This block URL is incomplete or not for this operation; ask the API for a new one.");
        }

        var userId = query["u"].ToString();
        switch (urls.Verify(op, userId, block, size, exp, query["sig"].ToString()))
        {
            case "url_expired":
                throw Errors.Forbidden(ErrorCodes.UrlExpired, "This block URL has expired; ask the API for a fresh one (resume the upload with its upload_id, or call /files/get_blocks again).");
            case not null:
                throw Errors.Forbidden(ErrorCodes.InvalidSignature, "This block URL's signature does not match; URLs are good only for the one block and operation they were made for.");
        }

        return (block, userId, size);
    }
}
