using System.Net;
using System.Text.Json;
using DropSync.Client.Api;
using DropSync.Client.Chunking;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Files;

namespace DropSync.Client.Sync;

/// <summary>Sends files: whole (small), many to a request (batches), or by blocks (<see cref="ResumableUploader"/>).</summary>
internal sealed class Uploader(SyncPass p)
{
    private readonly SemaphoreSlim _batchGate = new(Math.Max(1, p.Options.BatchParallelism));

    /// <summary>
    /// The plan's uploads as actions to run side by side, each with what it is about: small files many to a request,
    /// the rest (and everything when batching is off) one by one.
    /// </summary>
    public List<(string What, Func<CancellationToken, Task> Run)> Actions(List<UploadAction> uploads)
    {
        // A file new on both sides with the server's size is compared first (one by one): the same bytes are not sent.
        var batched = p.Options.BatchUploads ? uploads.Where(u => u.Over is null && FitsABatch(u.Item.Rel, u.Item.Size)).ToList() : [];
        var single = p.Options.BatchUploads ? uploads.Where(u => u.Over is not null || !FitsABatch(u.Item.Rel, u.Item.Size)).ToList() : uploads;
        var actions = new List<(string What, Func<CancellationToken, Task> Run)>();
        actions.AddRange(single.Select(u => (u.Item.Rel, (Func<CancellationToken, Task>)(c => UploadAsync(u.Item, u.Mode, u.Rev, c, u.Over)))));
        actions.AddRange(Batches(batched).Select(b => ("a batch of uploads", (Func<CancellationToken, Task>)(c => UploadBatchAsync(b, c)))));
        return actions;
    }

    /// <summary>
    /// Sends one file. <paramref name="over"/>: the server's file of the same size an add lands on; when the local bytes
    /// are its bytes (under another hash kind or block cut, which the server's "already there" cannot see), nothing is
    /// sent and the index takes its rev.
    /// </summary>
    public async Task UploadAsync(LocalItem item, string mode, string? rev, CancellationToken ct, RemoteEntry? over = null)
    {
        var full = p.Full(item.Rel);
        var info = new FileInfo(full);
        if (!info.Exists)
        {
            return;
        }

        var (size, mtime) = (info.Length, info.LastWriteTimeUtc.Ticks);
        var remotePath = "/" + item.Rel;
        IReadOnlyList<BlockRef> blocks = [];
        long sent = 0, body = 0;
        try
        {
            if (over is not null && await p.SameContent.SameAsync(full, over, ct) is { } same)
            {
                p.Recorder.RecordSame(item, size, mtime, same, over);
                return;
            }

            RemoteEntry result;
            if (size <= MediaUploadLimit)
            {
                var bytes = await File.ReadAllBytesAsync(full, ct);
                size = bytes.Length;
                blocks = FastCdc.Chunk(bytes).Select(c => new BlockRef(c.Hash, c.Size)).ToList();
                body = bytes.Length;
                result = await p.Api.UploadMediaAsync(remotePath, mode, rev, bytes, ct);
                sent = bytes.Length;
                p.Report.Uploaded(sent);
            }
            else
            {
                // Blocks count as sent as they go up: the server keeps them, whatever the commit answers.
                (result, blocks, sent) = await p.Resumable.UploadResumableAsync(item, remotePath, size, mtime, mode, rev, b => blocks = b, ct);
            }

            p.Recorder.RecordUpload(item, size, mtime, blocks, result);
        }
        catch (DropSyncApiException e) when (e.Code == ErrorCodes.Conflict && e.Body.ValueKind == JsonValueKind.Object)
        {
            await p.Resumable.ForgetAsync(item.Key);
            await p.Conflicts.HandleConflictAsync(item, e, size, mtime, blocks, body, ct);
        }
        catch (DropSyncApiException e) when (e.Code is ErrorCodes.NameClash or ErrorCodes.PathIsFolder or ErrorCodes.PathConflict)
        {
            p.Conflicts.HandleNameProblem(item, e);
        }
        catch (DropSyncApiException e) when (e.Code == ErrorCodes.NoWritePermission)
        {
            await p.Resumable.ForgetAsync(item.Key);
            await p.Conflicts.HandleReadOnlyAsync(item, size, mtime, ct);
        }
        finally
        {
            p.Advance(Math.Max(0, item.Size - sent), item.Rel);
        }
    }

    /// <summary>The largest file sent whole (<c>uploadType=media</c>): larger ones go up by blocks, as does anything over the server's request limit.</summary>
    private long MediaUploadLimit => Math.Min(p.Options.SmallFileLimit, p.Server.MaxRequestBytes);

    private long BatchBytesLimit => Math.Min(p.Options.BatchMaxBytes, p.Server.MaxBatchBytes);

    /// <summary>Whether a file goes up in a batch: small, and its part alone keeps a batch request within the server's limit.</summary>
    private bool FitsABatch(string rel, long size) =>
        size <= Math.Min(p.Options.SmallFileLimit, BatchUploadService.MaxFileSize)
        && UploadBatches.FixedBytes + UploadBatches.PartBytes("/" + rel, size) <= BatchBytesLimit;

    /// <summary>Splits small uploads into batches: at least a few (so they go up side by side), each within the file and byte limits of client and server.</summary>
    private List<List<UploadAction>> Batches(List<UploadAction> uploads)
    {
        var maxFiles = Math.Max(1, Math.Min(p.Options.BatchMaxFiles, p.Server.MaxBatchFiles));
        var per = Math.Clamp((uploads.Count + p.Options.BatchParallelism - 1) / Math.Max(1, p.Options.BatchParallelism), 1, maxFiles);
        return UploadBatches.Split(uploads, u => UploadBatches.PartBytes("/" + u.Item.Rel, u.Item.Size), per, BatchBytesLimit);
    }

    private async Task UploadBatchAsync(List<UploadAction> batch, CancellationToken ct)
    {
        await _batchGate.WaitAsync(ct);
        try
        {
            var files = new List<(LocalItem Item, string Mode, string? Rev, byte[] Bytes, long Mtime, IReadOnlyList<BlockRef> Blocks)>(batch.Count);
            foreach (var (item, mode, rev, _, _) in batch)
            {
                var info = new FileInfo(p.Full(item.Rel));
                if (!info.Exists || !FitsABatch(item.Rel, info.Length))
                {
                    // Gone, or grown past the batch limit since the scan: the single path handles both.
                    await GuardedAsync(item, () => UploadAsync(item, mode, rev, ct));
                    continue;
                }

                try
                {
                    // Read at once: a few KiB cost less read in place than handed to the thread pool and back.
                    var bytes = File.ReadAllBytes(p.Full(item.Rel));
                    var blocks = FastCdc.Chunk(bytes).Select(c => new BlockRef(c.Hash, c.Size)).ToList();
                    files.Add((item, mode, rev, bytes, info.LastWriteTimeUtc.Ticks, blocks));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    p.RecordError(item.Rel, e);
                    p.Advance(item.Size, item.Rel);
                }
            }

            if (files.Count == 0)
            {
                return;
            }

            IReadOnlyList<BatchFileResult> results;
            try
            {
                results = await p.Api.UploadBatchAsync(files.Select(f => new BatchFile("/" + f.Item.Rel, f.Mode, f.Rev, f.Bytes)).ToList(), ct);
            }
            catch (DropSyncApiException e) when (e.Status is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed && e.Code is ErrorCodes.NotFound or ErrorCodes.MethodNotAllowed)
            {
                p.Options.Log?.Invoke("the server does not take batched uploads; uploading files one by one");
                foreach (var f in files)
                {
                    await GuardedAsync(f.Item, () => UploadAsync(f.Item, f.Mode, f.Rev, ct));
                }

                return;
            }

            for (var i = 0; i < files.Count; i++)
            {
                var f = files[i];
                try
                {
                    if (i < results.Count && results[i].Metadata is { } metadata && results[i].Error is null)
                    {
                        p.Report.Uploaded(f.Bytes.Length);
                        p.Recorder.RecordUpload(f.Item, f.Bytes.Length, f.Mtime, f.Blocks, metadata);
                    }
                    else
                    {
                        var error = i < results.Count ? results[i].ToException() : new DropSyncApiException(HttpStatusCode.BadGateway, "missing_result", "The server did not answer for this file.", default);
                        await p.Conflicts.HandleUploadErrorAsync(f.Item, error, f.Bytes.Length, f.Mtime, f.Blocks, ct);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException && e is not DropSyncApiException { Status: HttpStatusCode.Unauthorized })
                {
                    p.RecordError(f.Item.Rel, e);
                }
                finally
                {
                    p.Advance(f.Item.Size, f.Item.Rel);
                }
            }
        }
        finally
        {
            _batchGate.Release();
        }
    }

    private async Task GuardedAsync(LocalItem item, Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception e) when (e is not OperationCanceledException && e is not DropSyncApiException { Status: HttpStatusCode.Unauthorized })
        {
            p.RecordError(item.Rel, e);
        }
    }
}
