using System.Net;
using DropSync.Client.Api;
using DropSync.Core.Errors;
using DropSync.Core.Files;

namespace DropSync.Client.Sync;

/// <summary>
/// Brings small files down many to a request (<c>/files/download_batch</c>) when the server offers it (GET /config
/// <c>max_download_batch_files</c>), then verifies and places each as <see cref="Downloader"/> does. A file the batch
/// did not carry (gone or changed meanwhile, past the answer's budget) goes the single way, which reports its error as
/// before; so does every file when the server has no batch download.
/// </summary>
internal sealed class BatchDownloader(SyncPass p)
{
    private readonly SemaphoreSlim _batchGate = new(Math.Max(1, p.Options.BatchParallelism));

    /// <summary>The plan's downloads as actions to run side by side: small files in batches, the rest one by one.</summary>
    public List<(string What, Func<CancellationToken, Task> Run)> Actions(IReadOnlyList<DownloadAction> downloads)
    {
        var batched = p.Options.BatchDownloads ? downloads.Where(FitsABatch).ToList() : [];
        var inBatch = batched.ToHashSet();
        var actions = downloads.Where(d => !inBatch.Contains(d))
            .Select(d => (d.Remote.Path.TrimStart('/'), (Func<CancellationToken, Task>)(c => p.Downloads.DownloadAsync(d.Remote, d.Prior, c))))
            .ToList();
        actions.AddRange(Batches(batched).Select(b => ("a batch of downloads", (Func<CancellationToken, Task>)(c => DownloadBatchAsync(b, c)))));
        return actions;
    }

    private int MaxFiles => Math.Min(p.Server.MaxDownloadBatchFiles ?? 0, DownloadBatches.MaxFiles);

    private int FilesPerBatch => Math.Max(1, Math.Min(MaxFiles, p.Options.DownloadBatchMaxFiles));

    private long MaxBytes => p.Server.MaxDownloadBatchBytes ?? 0;

    /// <summary>Small enough to come whole, and a batch with only it stays within the server's answer budget.</summary>
    private bool FitsABatch(DownloadAction d) =>
        MaxFiles > 1
        && d.Remote.Size is { } size
        && size <= Math.Min(p.Options.SmallFileLimit, DownloadBatches.MaxFileSize)
        && DownloadBatches.FixedBytes + DownloadBatches.EntryBytes(d.Remote.Path, size) <= MaxBytes;

    /// <summary>At least a few batches (so they come side by side), each within the server's file count and answer budget.</summary>
    private List<List<DownloadAction>> Batches(List<DownloadAction> downloads)
    {
        var per = Math.Clamp((downloads.Count + p.Options.BatchParallelism - 1) / Math.Max(1, p.Options.BatchParallelism), 1, FilesPerBatch);
        return UploadBatches.Split(downloads, d => DownloadBatches.EntryBytes(d.Remote.Path, d.Remote.Size ?? 0), per, MaxBytes);
    }

    private async Task DownloadBatchAsync(List<DownloadAction> batch, CancellationToken ct)
    {
        IReadOnlyList<BatchDownloadResult>? results = null;
        await _batchGate.WaitAsync(ct);
        try
        {
            results = await p.Api.DownloadBatchAsync(batch.Select(d => (d.Remote.Path, d.Remote.Rev)).ToList(), ct);
        }
        catch (DropSyncApiException e) when (e.Status is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed && e.Code is ErrorCodes.NotFound or ErrorCodes.MethodNotAllowed)
        {
            p.Options.Log?.Invoke("the server does not take batched downloads; downloading files one by one");
        }
        finally
        {
            _batchGate.Release();
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var d = batch[i];
            // The rev asked for is the planned one, so the content is the one the plan's content hash names.
            var fetched = results is not null && i < results.Count && results[i] is { Status: 200, Content: { } content } ? content : null;
            try
            {
                await p.Downloads.DownloadAsync(d.Remote, d.Prior, ct, fetched);
            }
            catch (Exception e) when (e is not OperationCanceledException && e is not DropSyncApiException { Status: HttpStatusCode.Unauthorized })
            {
                p.RecordError(d.Remote.Path.TrimStart('/'), e);
            }
        }
    }
}
