using System.Buffers;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace DropSync.Benchmarks;

/// <summary>One file a media step moves: generated from its seed, with the content hash the client computed beforehand.</summary>
internal sealed record MediaFile(ulong Seed, string Path, long Size, string ContentHash);

/// <summary>
/// The media steps of <c>transfer</c>: whole files as one request body each (<c>uploadType=media</c>) and back as one
/// response each (<c>/files/download</c>). With several files they all run at once, each on its own connection, which is
/// how the server's memory is measured with parallel media transfers.
/// </summary>
internal static class MediaTransferSteps
{
    private const int DownloadBufferSize = 1024 * 1024;

    /// <summary>
    /// <paramref name="count"/> files of <paramref name="totalSize"/> / <paramref name="count"/> bytes each (so the step moves
    /// about as much as the single-file step), seeds derived from <paramref name="seed"/> so no file dedups against another.
    /// </summary>
    public static IReadOnlyList<MediaFile> Files(ulong seed, string pathPrefix, long totalSize, int count, CancellationToken ct)
    {
        var size = Math.Max(1, totalSize / count);
        return Enumerable.Range(0, count)
            .Select(i =>
            {
                var fileSeed = count == 1 ? seed : seed + 0x1000 + (ulong)i;
                var path = count == 1 ? pathPrefix + ".bin" : $"{pathPrefix}-{i}.bin";
                var hash = Benchmarks.ContentHash.FromPieceDigests(TransferBenchmark.HashBlocks($"client hash {i + 1}/{count}", fileSeed, size, ct, quiet: count > 1));
                return new MediaFile(fileSeed, path, size, hash);
            })
            .ToList();
    }

    /// <summary>Every file as one request body, generated while it is sent; all files at once.</summary>
    public static Task<StepResult> UploadAsync(string name, IReadOnlyList<MediaFile> files, BenchApi api, ServerMemory memory, CancellationToken ct) =>
        RunAllAsync(name, files, memory, (f, progress) => UploadOneAsync(name, f, api, progress, ct), files.Count == 1
            ? "one request, Content-Length body; server hashes and stores 4 MiB blocks as they arrive"
            : $"{files.Count} requests at once, {ByteSize.Format(files[0].Size)} each");

    /// <summary>Every file streamed back, hashed as it arrives and thrown away; all files at once.</summary>
    public static Task<StepResult> DownloadAsync(string name, IReadOnlyList<MediaFile> files, BenchApi api, ServerMemory memory, CancellationToken ct) =>
        RunAllAsync(name, files, memory, (f, progress) => DownloadOneAsync(name, f, api, progress, ct), files.Count == 1
            ? "one response read with ResponseHeadersRead; content hash verified"
            : $"{files.Count} responses at once, {ByteSize.Format(files[0].Size)} each; content hashes verified");

    /// <summary>Runs one transfer per file at once, timed, with the server's memory watched over the whole step.</summary>
    private static async Task<StepResult> RunAllAsync(string name, IReadOnlyList<MediaFile> files, ServerMemory memory, Func<MediaFile, TransferProgress, Task> transfer, string what)
    {
        var total = files.Sum(f => f.Size);
        double seconds;
        var monitor = memory.Watch();
        await using (monitor)
        {
            await using var progress = new TransferProgress(name, total);
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(files.Select(f => transfer(f, progress)));
            seconds = clock.Elapsed.TotalSeconds;
        }

        return new StepResult(name, total, seconds, monitor, what);
    }

    private static async Task UploadOneAsync(string name, MediaFile file, BenchApi api, TransferProgress progress, CancellationToken ct)
    {
        // Off the caller's thread at once, so the files' bodies are generated concurrently.
        await Task.Yield();
        using var content = new GeneratedContent(file.Seed, file.Size, progress);
        JsonNode metadata;
        using (var response = await api.Api.PostAsync(new Uri($"/files/upload?uploadType=media&path={Uri.EscapeDataString(file.Path)}&mode=overwrite", UriKind.Relative), content, ct))
        {
            metadata = await BenchApi.ReadJsonAsync(response, name, ct);
        }

        TransferBenchmark.CheckMetadata(metadata, $"{name} ({file.Path})", file.Size, file.ContentHash);
    }

    private static async Task DownloadOneAsync(string name, MediaFile file, BenchApi api, TransferProgress progress, CancellationToken ct)
    {
        await Task.Yield();
        using var hasher = new ContentHash();
        long received = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(DownloadBufferSize);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/files/download", UriKind.Relative))
            {
                Content = JsonContent.Create(new { path = file.Path }),
            };
            using var response = await api.Api.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            await BenchApi.EnsureSuccessAsync(response, name, ct);
            if (response.Content.Headers.ContentLength is { } length && length != file.Size)
            {
                throw new BenchmarkException($"{name}: Content-Length is {length}, {file.Path} is {file.Size} bytes");
            }

            if (response.Headers.TryGetValues("DropSync-API-Result", out var values))
            {
                TransferBenchmark.CheckMetadata(JsonNode.Parse(values.First())!, $"{name} (DropSync-API-Result header)", file.Size, file.ContentHash);
            }

            await using var body = await response.Content.ReadAsStreamAsync(ct);
            int n;
            while ((n = await body.ReadAsync(buffer.AsMemory(0, DownloadBufferSize), ct)) > 0)
            {
                hasher.Append(buffer.AsSpan(0, n));
                received += n;
                progress.Add(n);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (received != file.Size)
        {
            throw new BenchmarkException($"{name}: received {received} bytes of {file.Path}, which is {file.Size}");
        }

        var actualHash = hasher.Finish();
        if (actualHash != file.ContentHash)
        {
            throw new BenchmarkException($"{name}: content hash mismatch: the bytes of {file.Path} downloaded hash to {actualHash}, the upload's metadata says {file.ContentHash}");
        }
    }
}
