using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace DropSync.Benchmarks;

/// <summary>One measured step: bytes moved, wall time, the server's peak RSS during it, and notes.</summary>
internal sealed record StepResult(string Name, long Bytes, double Seconds, ServerMemory.Monitor Monitor, string Detail)
{
    public long ServerPeakRss => Monitor.Peak;

    public double MebibytesPerSecond => Bytes / (double)ByteSize.MiB / Seconds;

    public double GigabytesPerSecond => Bytes / 1e9 / Seconds;
}

/// <summary>What a run measured, for the report.</summary>
internal sealed record TransferReport(
    string ServerAssembly,
    string Configuration,
    long Size,
    int Parallel,
    long WarmUp,
    IReadOnlyList<double> WarmUpTierUpSeconds,
    double ClientHashSeconds,
    double StartupCpuSeconds,
    long StartupPeakRss,
    long BaselineRss,
    bool ExactPeaks,
    IReadOnlyList<StepResult> Steps,
    long ClientPeakRss);

/// <summary>
/// <c>transfer</c>: media upload, media download, resumable upload and block download of generated files against the
/// real server, each verified by content hash, with the server's memory watched throughout.
/// </summary>
internal static class TransferBenchmark
{
    private const int DownloadBufferSize = 1024 * 1024;

    /// <summary>Steps per run, for the "[n/6]" progress lines (profiling/profile-transfer.sh switches perf files on them).</summary>
    private const int StepCount = 6;

    /// <summary>Warm-up passes when the run does not fix their number: the most it takes for the tier-up JIT to settle.</summary>
    private const int MaxWarmUpPasses = 5;

    /// <summary>A warm-up pass whose background tier-up JIT used less than this (CPU-seconds) left the server settled.</summary>
    private const double SettledTierUpSeconds = 0.1;

    /// <param name="warmUpPasses">Passes of every step over the warm-up files; 0 = until the tier-up JIT settles.</param>
    public static async Task<TransferReport> RunAsync(long size, int parallel, long warmUp, int warmUpPasses, CancellationToken ct)
    {
        var (assembly, configuration) = BenchServer.Locate();
        if (configuration != "Release")
        {
            Console.Error.WriteLine($"warning: no Release build of the server; using {configuration}: figures will be lower than they should be.");
        }

        Console.Error.WriteLine($"server: {assembly}");
        Console.Error.WriteLine("[client] generating and hashing the media files' blocks (not timed as a transfer) ...");
        var clock = Stopwatch.StartNew();
        var media = MediaTransferSteps.Files(Workload.Measured.MediaSeed, Workload.Measured.MediaPath, size, 1, ct);
        var clientHashSeconds = clock.Elapsed.TotalSeconds;
        var parallelMedia = MediaTransferSteps.Files(Workload.Measured.MediaSeed, Workload.Measured.MediaPath, size, parallel, ct);

        await using var server = await BenchServer.StartAsync(assembly, ct);
        Console.Error.WriteLine($"server: pid {server.ProcessId} at {server.BaseAddress} with data in {server.DataRoot}");
        try
        {
            var memory = new ServerMemory(server.ProcessId);
            using var api = new BenchApi(server.BaseAddress);
            await api.LoginAsync($"bench-{Guid.NewGuid():N}@example.com", "benchmark-password-" + Guid.NewGuid().ToString("N"), ct);

            // Let start-up settle for a moment, so the baseline is the idle server rather than a GC in progress.
            await Task.Delay(500, ct);
            var (baselineRss, startupPeak) = memory.Read();
            var startupCpu = memory.CpuSeconds();
            var tierUpByPass = new List<double>();
            if (warmUp > 0)
            {
                tierUpByPass = await WarmUpAsync(api, memory, warmUp, parallel, warmUpPasses, ct);
            }

            var steps = await RunStepsAsync(Workload.Measured, media, parallelMedia, api, memory, size, parallel, ct);

            return new TransferReport(
                assembly, configuration, size, parallel, warmUp, tierUpByPass, clientHashSeconds, startupCpu, startupPeak, baselineRss, memory.PeakResetWorks, steps, ServerMemory.ClientPeak());
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is BenchmarkException && server.HasExited))
        {
            // A broken transfer or a dead server: what the server logged says why (it is killed when this method returns).
            var state = server.HasExited ? "the server process has exited" : "the server is still running";
            throw new BenchmarkException($"{e.Message}{Environment.NewLine}  {state}; its last output:{Environment.NewLine}{server.RecentLog()}", e);
        }
    }

    /// <summary>
    /// Every step on small files of other seeds, not reported, <paramref name="passes"/> times (0: until settled), so that
    /// the measured figures are the steady state. A fresh server JIT-compiles each endpoint's code on first use (about a
    /// CPU-second per step here); then the runtime re-compiles the hot methods optimised (the background tier-up), but it
    /// counts calls only after 100 ms without a new method compiled, which is rare while six different steps run, so one
    /// pass left 0.2-0.4 CPU-s of tier-up to the first measured step (round 9). Further passes go on until one leaves the
    /// tier-up thread nearly idle. Returns the tier-up JIT seconds of each pass.
    /// </summary>
    private static async Task<List<double>> WarmUpAsync(BenchApi api, ServerMemory memory, long warmUp, int parallel, int passes, CancellationToken ct)
    {
        var tierUpByPass = new List<double>();
        for (var pass = 0; passes == 0 ? pass < MaxWarmUpPasses : pass < passes; pass++)
        {
            Console.Error.WriteLine($"warm-up pass {pass + 1}: every step with {ByteSize.Format(warmUp)} files (not reported) ...");
            var workload = Workload.WarmUpPass(pass);
            var warmMedia = MediaTransferSteps.Files(workload.MediaSeed, workload.MediaPath, warmUp, 1, ct);
            var warmParallel = MediaTransferSteps.Files(workload.MediaSeed, workload.MediaPath, warmUp, parallel, ct);
            var steps = await RunStepsAsync(workload, warmMedia, warmParallel, api, memory, warmUp, parallel, ct);
            // The tier-up worker compiles behind the requests: give it a moment to finish what the pass queued.
            var before = memory.TierUpJitSeconds();
            await Task.Delay(500, ct);
            tierUpByPass.Add(steps.Sum(s => s.Monitor.ServerTierUpSeconds) + ServerMemory.TierUpGrowth(before, memory.TierUpJitSeconds()));
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"warm-up pass {pass + 1}: the server's tier-up JIT used {tierUpByPass[^1]:0.00} CPU-s"));
            // The first pass is never settled (counting had not started); after that, stop at the first quiet pass.
            if (passes == 0 && pass >= 1 && tierUpByPass[^1] < SettledTierUpSeconds)
            {
                break;
            }
        }

        return tierUpByPass;
    }

    private static async Task<List<StepResult>> RunStepsAsync(
        Workload w, IReadOnlyList<MediaFile> media, IReadOnlyList<MediaFile> parallelMedia, BenchApi api, ServerMemory memory, long size, int parallel, CancellationToken ct)
    {
        // Printed in the warm-up too: profile-transfer.sh starts a new perf file at each of these lines.
        static void Announce(int step, string what) => Console.Error.WriteLine($"[{step}/{StepCount}] {what} ...");

        var steps = new List<StepResult>();
        Announce(1, $"media upload: POST /files/upload?uploadType=media, {ByteSize.Format(size)} generated on the fly");
        steps.Add(await MediaTransferSteps.UploadAsync("media upload", media, api, memory, ct));
        Announce(2, "media download: POST /files/download, streamed and hashed, not stored");
        steps.Add(await MediaTransferSteps.DownloadAsync("media download", media, api, memory, ct));
        Announce(3, $"parallel media upload: {parallelMedia.Count} media uploads at once, {ByteSize.Format(parallelMedia[0].Size)} each");
        steps.Add(await MediaTransferSteps.UploadAsync($"media upload x{parallelMedia.Count}", parallelMedia, api, memory, ct));
        Announce(4, $"parallel media download: {parallelMedia.Count} downloads at once");
        steps.Add(await MediaTransferSteps.DownloadAsync($"media download x{parallelMedia.Count}", parallelMedia, api, memory, ct));
        steps.Add(await ResumableUploadAsync(w, api, memory, size, parallel, ct));
        steps.Add(await BlockDownloadAsync(w, api, memory, size, parallel, ct));
        return steps;
    }

    /// <summary>Step 5: hash the blocks, declare them, PUT the missing ones <paramref name="parallel"/> at a time, finish.</summary>
    private static async Task<StepResult> ResumableUploadAsync(Workload w, BenchApi api, ServerMemory memory, long size, int parallel, CancellationToken ct)
    {
        const string Name = "resumable upload";
        Console.Error.WriteLine($"[5/{StepCount}] {Name}: hash blocks, begin, {parallel} parallel PUTs, finish ...");
        double seconds, hashSeconds, beginSeconds, putSeconds, finishSeconds;
        int missingCount;
        long putBytes;
        string expectedHash;
        JsonNode metadata;
        var monitor = memory.Watch();
        await using (monitor)
        {
            var clock = Stopwatch.StartNew();
            var digests = HashBlocks("resumable: hash", w.ResumableSeed, size, ct);
            expectedHash = ContentHash.FromPieceDigests(digests);
            hashSeconds = clock.Elapsed.TotalSeconds;

            var mark = clock.Elapsed;
            var blocks = digests.Select((d, i) => new { hash = Convert.ToHexStringLower(d), size = PseudoRandomBlock.LengthOf(size, i) }).ToList();
            var state = await api.PostJsonAsync(
                "/files/upload?uploadType=resumable",
                new { path = w.ResumablePath, size, blocks, mode = "overwrite", content_hash = expectedHash },
                $"{Name}: begin",
                ct);
            var uploadId = BenchApi.Text(state, "upload_id", $"{Name}: begin");
            var missing = state["missing"]?.AsArray() ?? throw new BenchmarkException($"{Name}: begin answered no \"missing\" list");
            beginSeconds = (clock.Elapsed - mark).TotalSeconds;

            mark = clock.Elapsed;
            var indexOf = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < blocks.Count; i++)
            {
                indexOf.TryAdd(blocks[i].hash, i);
            }

            // The server answers one page of missing blocks at a time (a 10 GiB file has 2,560): PUT a page, ask for the next.
            putBytes = 0;
            missingCount = 0;
            await using (var progress = new TransferProgress($"{Name}: PUT", size))
            {
                while (missing.Count > 0)
                {
                    missingCount += missing.Count;
                    putBytes += missing.Sum(m => indexOf.TryGetValue(BenchApi.Text(m!, "hash", Name), out var i) ? PseudoRandomBlock.LengthOf(size, i) : 0L);
                    await Parallel.ForEachAsync(
                        missing,
                        new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct },
                        async (block, token) =>
                        {
                            var hash = BenchApi.Text(block!, "hash", Name);
                            if (!indexOf.TryGetValue(hash, out var index))
                            {
                                throw new BenchmarkException($"{Name}: the server asked for block {hash}, which the file does not have");
                            }

                            await PutBlockAsync(w, api, block!, index, size, token);
                            progress.Add(PseudoRandomBlock.LengthOf(size, index));
                        });
                    if (state["more_missing"]?.GetValue<int>() is not > 0)
                    {
                        break;
                    }

                    state = await api.PostJsonAsync($"/files/upload?uploadType=resumable&upload_id={Uri.EscapeDataString(uploadId)}", new { }, $"{Name}: next page", ct);
                    missing = state["missing"]?.AsArray() ?? throw new BenchmarkException($"{Name}: resume answered no \"missing\" list");
                }
            }

            putSeconds = (clock.Elapsed - mark).TotalSeconds;

            mark = clock.Elapsed;
            metadata = await api.PostJsonAsync("/files/upload/finish", new { upload_id = uploadId }, $"{Name}: finish", ct);
            finishSeconds = (clock.Elapsed - mark).TotalSeconds;
            seconds = clock.Elapsed.TotalSeconds;
        }

        CheckMetadata(metadata, Name, size, expectedHash);
        return new StepResult(
            Name,
            size,
            seconds,
            monitor,
            string.Create(
                CultureInfo.InvariantCulture,
                $"hash {hashSeconds:0.00} s ({size / (double)ByteSize.MiB / hashSeconds:0} MiB/s), begin {beginSeconds:0.00} s, " +
                $"PUT {missingCount} blocks {putSeconds:0.00} s ({putBytes / (double)ByteSize.MiB / putSeconds:0} MiB/s), finish {finishSeconds:0.00} s"));
    }

    private static async Task PutBlockAsync(Workload w, BenchApi api, JsonNode block, int index, long size, CancellationToken ct)
    {
        var url = BenchApi.Text(block, "url", "resumable upload");
        var buffer = ArrayPool<byte>.Shared.Rent(PseudoRandomBlock.BlockSize);
        try
        {
            var length = PseudoRandomBlock.Generate(w.ResumableSeed, size, index, buffer).Length;
            using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(url, UriKind.Absolute))
            {
                Content = new ReadOnlyMemoryContent(buffer.AsMemory(0, length)),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            if (block["headers"] is JsonObject headers)
            {
                foreach (var (name, value) in headers)
                {
                    var text = value?.GetValue<string>() ?? "";
                    if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
                    {
                        request.Content.Headers.Remove(name);
                        request.Content.Headers.TryAddWithoutValidation(name, text);
                    }
                    else
                    {
                        request.Headers.TryAddWithoutValidation(name, text);
                    }
                }
            }

            using var response = await api.Blocks.SendAsync(request, ct);
            await BenchApi.EnsureSuccessAsync(response, $"resumable upload: PUT block {index}", ct);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Step 6: get_blocks, then GET every block's signed URL <paramref name="parallel"/> at a time, each verified.</summary>
    private static async Task<StepResult> BlockDownloadAsync(Workload w, BenchApi api, ServerMemory memory, long size, int parallel, CancellationToken ct)
    {
        const string Name = "block download";
        Console.Error.WriteLine($"[6/{StepCount}] {Name}: POST /files/get_blocks, then {parallel} parallel GETs, each block's SHA-256 verified ...");
        double seconds;
        var monitor = memory.Watch();
        await using (monitor)
        {
            var clock = Stopwatch.StartNew();
            var list = await api.PostJsonAsync("/files/get_blocks", new { path = w.ResumablePath }, $"{Name}: get_blocks", ct);
            // get_blocks answers a page at a time (a 10 GiB file has 2,560 blocks): gather every page's URLs first.
            var blocks = new List<JsonNode>();
            for (var page = list; ;)
            {
                blocks.AddRange((page["blocks"]?.AsArray() ?? throw new BenchmarkException($"{Name}: get_blocks answered no \"blocks\" list")).Select(b => b!));
                if (page["has_more"]?.GetValue<bool>() != true)
                {
                    break;
                }

                var next = BenchApi.Number(page, "next_start", Name);
                page = await api.PostJsonAsync("/files/get_blocks", new { path = w.ResumablePath, start = next }, $"{Name}: get_blocks", ct);
            }

            var expectedHash = list["metadata"] is JsonNode m ? BenchApi.Text(m, "content_hash", Name) : throw new BenchmarkException($"{Name}: get_blocks answered no metadata");
            var digests = new byte[blocks.Count][];
            var total = blocks.Sum(b => BenchApi.Number(b!, "size", Name));
            if (total != size)
            {
                throw new BenchmarkException($"{Name}: the blocks add up to {total} bytes, the file is {size}");
            }

            await using (var progress = new TransferProgress(Name, size))
            {
                await Parallel.ForEachAsync(
                    Enumerable.Range(0, blocks.Count),
                    new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct },
                    async (i, token) =>
                    {
                        digests[i] = await GetBlockAsync(api, blocks[i]!, i, token);
                        progress.Add(BenchApi.Number(blocks[i]!, "size", Name));
                    });
            }

            var actualHash = ContentHash.FromPieceDigests(digests);
            seconds = clock.Elapsed.TotalSeconds;
            if (actualHash != expectedHash)
            {
                throw new BenchmarkException($"{Name}: content hash mismatch: the blocks downloaded make {actualHash}, get_blocks' metadata says {expectedHash}");
            }

            var uploaded = ContentHash.FromPieceDigests(HashBlocks("block download: reference", w.ResumableSeed, size, ct, quiet: true));
            if (actualHash != uploaded)
            {
                throw new BenchmarkException($"{Name}: content hash mismatch: the blocks downloaded make {actualHash}, the file uploaded was {uploaded}");
            }
        }

        return new StepResult(Name, size, seconds, monitor, "ResponseHeadersRead; each block's SHA-256 and the content hash verified (reference re-hash after timing)");
    }

    private static async Task<byte[]> GetBlockAsync(BenchApi api, JsonNode block, int index, CancellationToken ct)
    {
        var what = $"block download: GET block {index}";
        var hash = BenchApi.Text(block, "hash", what);
        var size = (int)BenchApi.Number(block, "size", what);
        var buffer = ArrayPool<byte>.Shared.Rent(PseudoRandomBlock.BlockSize);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BenchApi.Text(block, "url", what), UriKind.Absolute));
            using var response = await api.Blocks.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            await BenchApi.EnsureSuccessAsync(response, what, ct);
            var received = 0;
            await using (var body = await response.Content.ReadAsStreamAsync(ct))
            {
                int n;
                while ((n = await body.ReadAsync(buffer.AsMemory(received, Math.Min(buffer.Length - received, DownloadBufferSize)), ct)) > 0)
                {
                    received += n;
                    if (received > size)
                    {
                        throw new BenchmarkException($"{what}: more than the {size} bytes get_blocks announced");
                    }
                }
            }

            if (received != size)
            {
                throw new BenchmarkException($"{what}: received {received} bytes, get_blocks announced {size}");
            }

            var digest = SHA256.HashData(buffer.AsSpan(0, received));
            return Convert.ToHexStringLower(digest) == hash
                ? digest
                : throw new BenchmarkException($"{what}: the bytes hash to {Convert.ToHexStringLower(digest)}, not {hash}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The SHA-256 of each 4 MiB block of the file generated from <paramref name="seed"/>, one block per core at a time:
    /// nothing but the blocks being hashed is in memory.
    /// </summary>
    internal static byte[][] HashBlocks(string label, ulong seed, long size, CancellationToken ct, bool quiet = false)
    {
        var count = PseudoRandomBlock.BlockCount(size);
        var digests = new byte[count][];
        var progress = quiet ? null : new TransferProgress(label, size);
        try
        {
            Parallel.For(
                0,
                count,
                new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct },
                () => ArrayPool<byte>.Shared.Rent(PseudoRandomBlock.BlockSize),
                (i, _, buffer) =>
                {
                    var block = PseudoRandomBlock.Generate(seed, size, i, buffer);
                    digests[i] = SHA256.HashData(block);
                    progress?.Add(block.Length);
                    return buffer;
                },
                buffer => ArrayPool<byte>.Shared.Return(buffer));
        }
        finally
        {
            progress?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        return digests;
    }

    internal static void CheckMetadata(JsonNode metadata, string what, long size, string expectedHash)
    {
        var actualSize = BenchApi.Number(metadata, "size", what);
        var actualHash = BenchApi.Text(metadata, "content_hash", what);
        if (actualSize != size)
        {
            throw new BenchmarkException($"{what}: the server's metadata says {actualSize} bytes; {size} were sent");
        }

        if (actualHash != expectedHash)
        {
            throw new BenchmarkException($"{what}: content hash mismatch: the server's metadata says {actualHash}; the bytes sent hash to {expectedHash}");
        }
    }
}
