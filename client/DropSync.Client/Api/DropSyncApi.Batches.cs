using System.Net.Http.Headers;
using System.Text.Json;

namespace DropSync.Client.Api;

/// <summary>Many small files to a request, each way: <c>/files/upload_batch</c> and <c>/files/download_batch</c>.</summary>
public sealed partial class DropSyncApi
{
    /// <summary>
    /// Many small files (each at most 4 MiB) in one request: <c>multipart/form-data</c>, a JSON "manifest" part then one
    /// part per file. Each file succeeds or fails on its own; the results are in the files' order.
    /// </summary>
    public async Task<IReadOnlyList<BatchFileResult>> UploadBatchAsync(IReadOnlyList<BatchFile> files, CancellationToken ct)
    {
        using var body = new MultipartFormDataContent();
#pragma warning disable CA2000 // The multipart content owns and disposes its parts.
        var manifest = JsonSerializer.Serialize(new BatchManifest(files.Select(f => new BatchManifestFile(f.Path, f.Mode, f.Rev))), Info<BatchManifest>());
        body.Add(new StringContent(manifest, System.Text.Encoding.UTF8, "application/json"), "manifest");
        foreach (var file in files)
        {
            var part = new ReadOnlyMemoryContent(file.Content);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            body.Add(part, "file", "file");
        }
#pragma warning restore CA2000

        using var request = Authorized(HttpMethod.Post, "/files/upload_batch", body);
        using var response = await _http.SendAsync(request, ct);
        return (await ReadAsync<BatchResult>(response, ct)).Entries;
    }

    /// <summary>
    /// Many small files' contents in one answer (<c>/files/download_batch</c>): one result per file, in order, each its
    /// content and metadata or the error a single download would have had.
    /// </summary>
    public async Task<IReadOnlyList<BatchDownloadResult>> DownloadBatchAsync(IReadOnlyList<(string Path, string? Rev)> files, CancellationToken ct) =>
        (await PostAsync<DownloadBatchRequest, BatchDownloadResponse>("/files/download_batch", new(files.Select(f => new PathRevRequest(f.Path, f.Rev))), ct)).Entries;
}
