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
        // Signed URLs, no device token: bounded per client address instead (each transfer holds a block buffer).
        var blocks = routes.MapGroup("/blocks").AllowAnonymous().RequireRateLimiting(Hosting.RateLimits.BlockTransfersPolicy).WithTags("Blocks");
        blocks.MapPut("/{hash}", PutBlockAsync).WithName("putBlock").WithSummary("Upload one block to a signed URL from /files/upload?uploadType=resumable.");
        blocks.MapGet("/{hash}", GetBlockAsync).WithName("getBlock")
            .Produces<byte[]>(StatusCodes.Status200OK, "application/octet-stream").WithSummary("Download one block from a signed URL from /files/get_blocks.");
        // A literal segment: routing prefers it to /{hash}, and "run" is no block name.
        blocks.MapGet("/run", GetBlockRunAsync).WithName("getBlockRun")
            .Produces<byte[]>(StatusCodes.Status200OK, "application/octet-stream")
            .WithSummary("Download consecutive blocks, their bytes back to back, from a run URL of /files/get_blocks (embedded mode).");
        blocks.MapPut("/run", PutBlockRunAsync).WithName("putBlockRun")
            .WithSummary("Upload consecutive missing blocks, their bytes back to back, to a run URL of /files/upload?uploadType=resumable (embedded mode).");
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

    /// <summary>
    /// A run's blocks read from the body one at a time, each into a pooled block buffer, verified against its name and
    /// written as a single block PUT writes it, before the next is read; each block's flush (fsync of the file and its
    /// folder, the index record) runs behind the receive, and the answer waits for all of them, so it still comes only
    /// once every block is durable. Bounded before anything is read (the signed list, and Content-Length equal to its
    /// sizes added). A block that does not match its name stops the run with the single PUT's 400
    /// <c>block_hash_mismatch</c>, naming the blocks stored before it, which stay stored (durable before the answer); a
    /// body that ends early leaves the complete blocks before the cut stored.
    /// </summary>
    private static async Task<StoredBlockRunResponse> PutBlockRunAsync(HttpContext context, SignedBlockUrls urls, BlockService blockService, UploadPieceHashing pieceHashing)
    {
        var (blocks, userId) = AuthorizeRun(context, SignedBlockUrls.PutRun, urls);
        var total = blocks.Sum(b => (long)b.Size);
        if (context.Request.ContentLength != total)
        {
            throw Errors.BadRequest(ErrorCodes.BlockSizeMismatch, $"This run URL is for {blocks.Count} blocks of {total} bytes in all; send them with Content-Length: {total}.");
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = total;
        }

        var stored = new List<StoredBlockResponse>(blocks.Count);
        // At most one per block of the run (8): each holds a file handle and the block's lock, no buffer.
        var flushing = new List<Task>(blocks.Count);
        try
        {
            foreach (var block in blocks)
            {
                Task? durable;
                try
                {
                    // As for a single PUT, upload sessions waiting for the block hash their content-hash pieces from it now.
                    durable = await blockService.BeginStoreNextOfRunAsync(userId, block, context.Request.Body, context.RequestAborted, bytes => pieceHashing.Stored(userId, block.Hash, bytes.Span));
                }
                catch (DropSyncException e) when (e.Code == ErrorCodes.BlockHashMismatch)
                {
                    await Task.WhenAll(flushing);
                    throw new DropSyncException(
                        e.Kind,
                        e.Code,
                        $"Block {stored.Count + 1} of the run does not hash to {block.Hash}; it and the blocks after it were not stored, the {stored.Count} before it were. Re-read it and send it again.",
                        new Dictionary<string, object?> { ["stored"] = stored.Select(b => b.Hash).ToList(), ["refused"] = block.Hash.Hex });
                }

                if (durable is null)
                {
                    await Task.WhenAll(flushing);
                    throw Errors.BadRequest(ErrorCodes.BlockSizeMismatch, $"The body ended inside block {stored.Count + 1} of the run; the {stored.Count} before it were stored.");
                }

                flushing.Add(durable);
                stored.Add(new StoredBlockResponse(block.Hash.Hex, block.Size));
            }

            await Task.WhenAll(flushing);
        }
        finally
        {
            // Whatever failed, no flush outlives the request unobserved; the first failure is the one reported.
            await Task.WhenAll(flushing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        return new StoredBlockRunResponse(stored);
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
        var (blocks, _) = AuthorizeRun(context, SignedBlockUrls.GetRun, urls);
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

    private static (IReadOnlyList<BlockRef> Blocks, string UserId) AuthorizeRun(HttpContext context, string op, SignedBlockUrls urls)
    {
        var query = context.Request.Query;
        var list = query["blocks"].ToString();
        var blocks = BlockRunList.Parse(list);
        var asker = op == SignedBlockUrls.PutRun ? "/files/upload?uploadType=resumable with the upload_id" : "/files/get_blocks";
        if (string.IsNullOrEmpty(query["u"])
            || !long.TryParse(query["exp"], NumberStyles.None, CultureInfo.InvariantCulture, out var exp)
            || string.IsNullOrEmpty(query["sig"]))
        {
            throw Errors.Forbidden(ErrorCodes.InvalidSignature, $"This block run URL is incomplete; ask {asker} for a new one.");
        }

        var userId = query["u"].ToString();
        return urls.VerifyRun(op, userId, list, exp, query["sig"].ToString()) switch
        {
            null => (blocks, userId),
            "url_expired" => throw Errors.Forbidden(ErrorCodes.UrlExpired, $"This block run URL has expired; ask {asker} again for a fresh one."),
            _ => throw Errors.Forbidden(ErrorCodes.InvalidSignature, "This block run URL's signature does not match; a run URL is good only for the blocks and operation it was made for."),
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
