using System.Text.Json;

namespace DropSync.Client.Api;

public sealed partial class DropSyncApi
{
    /// <summary>Gives a resumable upload up (<c>/files/upload/abort</c>): it stops counting against the server's cap on open uploads. Safe to repeat.</summary>
    public Task<JsonElement> AbortUploadAsync(string uploadId, CancellationToken ct) =>
        PostAsync<UploadIdRequest, JsonElement>("/files/upload/abort", new(uploadId), ct);

    /// <summary>PUTs a run of blocks to its signed URL (no bearer token), <paramref name="body"/> their bytes back to back, its length known up front.</summary>
    public async Task PutBlockRunAsync(UploadRun run, HttpContent body, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        using var request = new HttpRequestMessage(HttpMethod.Put, run.Url) { Content = body };
        foreach (var (name, value) in run.Headers ?? new Dictionary<string, string>())
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var response = await SendUnauthenticatedAsync(request, ct);
        await EnsureSuccessAsync(response, ct);
    }
}
