using System.Text.Json;

namespace DropSync.Client.Api;

public sealed partial class DropSyncApi
{
    /// <summary>Gives a resumable upload up (<c>/files/upload/abort</c>): it stops counting against the server's cap on open uploads. Safe to repeat.</summary>
    public Task<JsonElement> AbortUploadAsync(string uploadId, CancellationToken ct) =>
        PostAsync<UploadIdRequest, JsonElement>("/files/upload/abort", new(uploadId), ct);
}
