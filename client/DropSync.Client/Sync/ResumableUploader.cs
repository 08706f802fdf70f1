using System.Net;
using DropSync.Client.Api;
using DropSync.Client.Chunking;
using DropSync.Core.Content;
using DropSync.Core.Errors;

namespace DropSync.Client.Sync;

/// <summary>Sends a large file by blocks through an upload session, resumed across runs while the file is unchanged.</summary>
internal sealed partial class ResumableUploader(SyncPass p)
{
    public async Task<(RemoteEntry Result, IReadOnlyList<BlockRef> Blocks, long Sent)> UploadResumableAsync(
        LocalItem item, string remotePath, long size, long mtime, string mode, string? rev, Action<IReadOnlyList<BlockRef>> onBlocks, CancellationToken ct)
    {
        var full = p.Full(item.Rel);
        IReadOnlyList<BlockRef>? blocks = null;
        UploadSession? session = null;
        if (p.Index.GetUpload(item.Key) is { } pending && pending.Size == size && pending.Mtime == mtime && pending.ExpiresAt > DateTimeOffset.UtcNow.AddMinutes(5))
        {
            try
            {
                session = await p.Api.ResumeUploadAsync(pending.UploadId, ct);
                blocks = pending.Blocks;
                p.Options.Log?.Invoke($"resuming the upload of {item.Rel}: {session.Missing.Count + session.MoreMissing} of {blocks.Count} blocks to go");
            }
            catch (DropSyncApiException e) when (e.Status is HttpStatusCode.NotFound or HttpStatusCode.Gone or HttpStatusCode.BadRequest or HttpStatusCode.Conflict)
            {
                p.Index.RemoveUpload(item.Key);
            }
        }

        using var handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var putter = new BlockPutter(p, item, handle);
        try
        {
            if (session is null || blocks is null)
            {
                (session, blocks) = await ScanWhileSendingAsync(item, putter, remotePath, size, mtime, mode, rev, ct);
                onBlocks(blocks);
            }
            else
            {
                onBlocks(blocks);
                putter.UploadId = session.UploadId;
                putter.Locate(blocks, 0);
            }

            // The server hands out URLs a page at a time (more_missing counts the rest): PUT a page, then ask for the next.
            while (true)
            {
                await putter.PutAllAsync(session, ct);
                if (session.MoreMissing <= 0)
                {
                    break;
                }

                var before = session.MoreMissing;
                session = await p.Api.ResumeUploadAsync(session.UploadId, ct);
                if (session.Missing.Count == 0 && session.MoreMissing >= before)
                {
                    throw new InvalidDataException($"The server gave no URLs for the {before} blocks of {item.Rel} it still lacks.");
                }
            }

            var result = await p.Api.FinishUploadAsync(session.UploadId, ct);
            p.Index.RemoveUpload(item.Key);
            return (result, blocks, putter.Sent);
        }
        catch (Exception e) when (putter.UploadId is { } begun && IsGivenUp(item.Key, begun, e))
        {
            // Nothing will resume this session: say so, so that it stops holding a place under the server's cap on open
            // uploads until it expires.
            await AbandonAsync(item.Key, begun);
            throw;
        }
    }

    public static async Task<int> ReadExactlyAtAsync(Microsoft.Win32.SafeHandles.SafeFileHandle handle, Memory<byte> buffer, long offset, CancellationToken ct)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await RandomAccess.ReadAsync(handle, buffer[total..], offset + total, ct);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}
