using System.Buffers;
using System.Net;
using DropSync.Client.Api;
using DropSync.Client.Chunking;
using DropSync.Core.Content;
using DropSync.Core.Errors;

namespace DropSync.Client.Sync;

/// <summary>Sends a large file by blocks through an upload session, resumed across runs while the file is unchanged.</summary>
internal sealed class ResumableUploader(SyncPass p)
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

        if (session is null || blocks is null)
        {
            await using (var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan))
            {
                var chunks = await FastCdc.ChunkAsync(stream, ChunkerOptions.ForLength(size), ct: ct);
                blocks = chunks.Select(c => new BlockRef(c.Hash, c.Size)).ToList();
            }

            if (blocks.Sum(b => (long)b.Size) != size)
            {
                throw new IOException($"{item.Rel} changed while it was being read; it will be uploaded on the next sync.");
            }

            session = await p.Api.BeginUploadAsync(remotePath, size, blocks.Select(b => new BlockSpec(b.Hash.Hex, b.Size)).ToList(), mode, rev, ct);
            p.Index.PutUpload(new PendingUpload(item.Key, session.UploadId, size, mtime, blocks, session.ExpiresAt));
        }

        onBlocks(blocks);
        var where = new Dictionary<string, (long Offset, int Size)>(StringComparer.Ordinal);
        long offset = 0;
        foreach (var b in blocks)
        {
            where.TryAdd(b.Hash.Hex, (offset, b.Size));
            offset += b.Size;
        }

        long sent = 0;
        using (var handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            // The server hands out URLs a page at a time (more_missing counts the rest): PUT a page, then ask for the next.
            while (true)
            {
                await PutMissingAsync(handle, session.Missing);
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
        }

        var result = await p.Api.FinishUploadAsync(session.UploadId, ct);
        p.Index.RemoveUpload(item.Key);
        return (result, blocks, sent);

        Task PutMissingAsync(Microsoft.Win32.SafeHandles.SafeFileHandle handle, IReadOnlyList<Api.MissingBlock> missing) =>
            Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = p.Options.BlockParallelism, CancellationToken = ct }, async (m, c) =>
            {
                var (at, length) = where[m.Hash];
                var buffer = ArrayPool<byte>.Shared.Rent(length);
                try
                {
                    // The block is not hashed again here: the server (S3 through the signed checksum) hashes every
                    // block it takes and refuses one that no longer matches its name, so a file changed since it was
                    // chunked fails below, and hashing 1 GiB twice on the client cost a core for nothing.
                    var read = await ReadExactlyAtAsync(handle, buffer.AsMemory(0, length), at, c);
                    if (read != length)
                    {
                        throw ChangedWhileUploading(item);
                    }

                    try
                    {
                        await TransientRetry.RunAsync(t => p.Api.PutBlockAsync(m, buffer.AsMemory(0, length), t), c);
                    }
                    catch (DropSyncApiException e) when (e.Code == ErrorCodes.BlockHashMismatch || e.ServerMessage.Contains("<Code>BadDigest</Code>", StringComparison.Ordinal))
                    {
                        // S3 answers a checksum mismatch in XML (code BadDigest), which reaches here as the message.
                        throw ChangedWhileUploading(item);
                    }

                    Interlocked.Add(ref sent, length);
                    p.Report.Uploaded(length);
                    p.Advance(length, item.Rel);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            });
    }

    /// <summary>The file's bytes no longer match the blocks it was chunked into: forget the session, so the next sync chunks it afresh.</summary>
    private IOException ChangedWhileUploading(LocalItem item)
    {
        p.Index.RemoveUpload(item.Key);
        return new IOException($"{item.Rel} changed while it was being uploaded; it will be uploaded again on the next sync.");
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
