using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;

namespace DropSync.Benchmarks;

/// <summary>
/// <c>commits</c>: small-file commits through the real server's HTTP API (<c>POST /files/upload?uploadType=media</c>,
/// mode add, a new 1 KiB file each: its block is stored and verified, then the commit is applied), by 1, 16 and 64
/// concurrent writers. Each step prints commits/s, p50/p99 latency of one commit's request and the CPU both processes
/// spent per commit. Every commit is a new path with new content, so none is deduplicated or conflicts.
/// </summary>
internal static class CommitBenchmark
{
    public static readonly int[] DefaultWriters = [1, 16, 64];

    public static async Task<int> RunAsync(IReadOnlyList<int> writerCounts, int commitsPerStep, int fileSize, int warmupCommits, CancellationToken ct)
    {
        var (assembly, configuration) = BenchServer.Locate();
        if (configuration != "Release")
        {
            Console.Error.WriteLine($"warning: no Release build of the server; using {configuration}: figures will be lower than they should be.");
        }

        await using var server = await BenchServer.StartAsync(assembly, ct);
        Console.Error.WriteLine($"server: pid {server.ProcessId} at {server.BaseAddress}");
        var process = new ServerMemory(server.ProcessId);
        using var api = new BenchApi(server.BaseAddress);
        await api.LoginAsync($"commits-{Guid.NewGuid():N}@example.com", "benchmark-password-commits", ct);

        // Warm-up, not measured: the JIT's tiered recompilation of the hot path (which otherwise takes a sixth of the
        // server's CPU for the first tens of seconds), the connection pool and the database's first pages.
        await api.PostJsonAsync("/files/create_folder", new { path = "/warmup" }, "create_folder", ct);
        Console.Error.WriteLine($"warming up: {warmupCommits} commits by 16 writers ...");
        await RunStepAsync(api, "/warmup", 16, warmupCommits, fileSize, ct);

        var c = CultureInfo.InvariantCulture;
        var rows = new List<string>();
        foreach (var writers in writerCounts)
        {
            var folder = $"/commits-{writers}";
            await api.PostJsonAsync("/files/create_folder", new { path = folder }, "create_folder", ct);
            Console.Error.WriteLine($"{writers} writer(s): {commitsPerStep} commits ...");
            var serverCpu = process.CpuSeconds();
            var clientCpu = Process.GetCurrentProcess().TotalProcessorTime;
            var (seconds, latencies) = await RunStepAsync(api, folder, writers, commitsPerStep, fileSize, ct);
            var serverCpuPerCommit = (process.CpuSeconds() - serverCpu) / commitsPerStep;
            var clientCpuPerCommit = (Process.GetCurrentProcess().TotalProcessorTime - clientCpu).TotalSeconds / commitsPerStep;
            rows.Add(string.Create(c,
                $"{writers,7} {commitsPerStep,8} {commitsPerStep / seconds,10:0} {Percentile(latencies, 0.50),9:0.00} {Percentile(latencies, 0.99),9:0.00} {latencies[^1],9:0.00} {serverCpuPerCommit * 1e3,12:0.000} {clientCpuPerCommit * 1e3,12:0.000}"));
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(c, $"DropSync commit benchmark: new {fileSize}-byte files by POST /files/upload (media, mode add), {Environment.ProcessorCount} cores, server {configuration}"));
        Console.WriteLine($"{"writers",7} {"commits",8} {"commits/s",10} {"p50 ms",9} {"p99 ms",9} {"max ms",9} {"server CPU ms",12} {"client CPU ms",12}");
        foreach (var row in rows)
        {
            Console.WriteLine(row);
        }

        Console.WriteLine("  (latency: one commit's request, sent to answered; CPU: per commit, all threads of that process)");
        return 0;
    }

    /// <summary>Runs <paramref name="commits"/> commits by <paramref name="writers"/> concurrent writers; answers the wall time and sorted latencies in ms.</summary>
    private static async Task<(double Seconds, List<double> Latencies)> RunStepAsync(
        BenchApi api, string folder, int writers, int commits, int fileSize, CancellationToken ct)
    {
        var latencies = new double[commits];
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(writer => Task.Run(
            async () =>
            {
                var content = new byte[fileSize];
                int id;
                while ((id = Interlocked.Increment(ref next)) < commits)
                {
                    // New content per file: a repeated block would be deduplicated, not stored.
                    Random.Shared.NextBytes(content);
                    var started = Stopwatch.GetTimestamp();
                    await CommitAsync(api, $"{folder}/{writer}-{id}.bin", content, ct);
                    latencies[id] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                }
            },
            ct)));
        var seconds = clock.Elapsed.TotalSeconds;
        var sorted = latencies.ToList();
        sorted.Sort();
        return (seconds, sorted);
    }

    private static async Task CommitAsync(BenchApi api, string path, byte[] content, CancellationToken ct)
    {
        using var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var url = $"/files/upload?uploadType=media&mode=add&path={Uri.EscapeDataString(path)}";
        using var response = await api.Api.PostAsync(new Uri(url, UriKind.Relative), body, ct);
        await BenchApi.EnsureSuccessAsync(response, $"commit {path}", ct);
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
