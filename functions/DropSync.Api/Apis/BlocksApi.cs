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
            var writer = response.BodyWriter;
            var rest = buffer.Memory[..length];
            while (!rest.IsEmpty)
            {
                var chunk = rest[..Math.Min(BlockBuffers.ResponseChunkSize, rest.Length)];
                writer.Write(chunk.Span);
                rest = rest[chunk.Length..];
                if (rest.IsEmpty)
                {
                    // The last bytes are copied into the response's pipe: the buffer is free before the wait for the client.
                    // Given back after that wait, it was still out when the client, holding the whole block, sent its next
                    // GET, and under load that request got a fifth 4 MiB buffer the pool then kept (issue 12).
                    BlockBuffers.Return(buffer);
                    returned = true;
                }

                // Each flush waits for the transport (Kestrel pauses the pipe at 64 KiB): a slow reader slows only itself.
                var flushed = await writer.FlushAsync(context.RequestAborted);
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    break;
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
