using DropSync.Client.Api;

namespace DropSync.Client.Sync;

/// <summary>
/// Upload sessions given up: the file changed under the upload, the sync stopped before the session was recorded for
/// resuming, or the finish was refused. The server is told (<c>/files/upload/abort</c>), best effort, so that the session
/// stops counting against its cap on open uploads at once instead of when it expires; a server from before the abort
/// answers 404, which changes nothing here.
/// </summary>
internal sealed partial class ResumableUploader
{
    /// <summary>How long an abort may take: it runs after a failure (often a cancelled sync) and must not hold it up.</summary>
    private static readonly TimeSpan AbortTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Forgets the index's unfinished upload of <paramref name="key"/>, if any, and aborts it on the server: for a
    /// conflict or a refusal, where the file goes another way (a conflicted copy, kept local).
    /// </summary>
    public async Task ForgetAsync(string key)
    {
        if (p.Index.GetUpload(key) is { } pending)
        {
            await AbandonAsync(key, pending.UploadId);
        }
    }

    /// <summary>
    /// Whether a failure of the upload to <paramref name="uploadId"/> gives it up: the file changed (its blocks no longer
    /// stand), or the session is not the one the index keeps for resuming (it failed before it was recorded).
    /// </summary>
    private bool IsGivenUp(string key, string uploadId, Exception failure) =>
        failure is FileChangedWhileUploadingException || p.Index.GetUpload(key)?.UploadId != uploadId;

    private async Task AbandonAsync(string key, string uploadId)
    {
        if (p.Index.GetUpload(key)?.UploadId == uploadId)
        {
            p.Index.RemoveUpload(key);
        }

        // Not the sync's token: a cancelled sync is one of the reasons to abort.
        using var timeout = new CancellationTokenSource(AbortTimeout);
        try
        {
            await p.Api.AbortUploadAsync(uploadId, timeout.Token);
        }
        catch (Exception e) when (e is DropSyncApiException or HttpRequestException or OperationCanceledException or IOException)
        {
            // Best effort: the session expires on its own.
            p.Options.Log?.Invoke($"could not abort the upload {uploadId} ({e.Message}); the server lets it expire");
        }
    }
}

/// <summary>The file's bytes no longer match the blocks it was cut into: its upload session is given up.</summary>
internal sealed class FileChangedWhileUploadingException(string message) : IOException(message);
