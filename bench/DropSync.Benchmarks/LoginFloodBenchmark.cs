using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace DropSync.Benchmarks;

/// <summary>
/// <c>login-flood</c>: N concurrent anonymous sign-ins with wrong passwords (each a 600,000-iteration PBKDF2, the
/// production cost) while one signed-in device probes <c>GET /healthz</c> and <c>POST /files/list_folder</c> one after
/// another. Prints the probes' p50/p99 before and during the flood, the sign-ins answered by status, and the server's
/// CPU and peak RSS. With distinct addresses (the default) each flooder has its own <c>X-Forwarded-For</c> address (the
/// server trusts the header for this step) and its own e-mails, so the per-address and per-account limits do not simply
/// refuse them and the hashing gate is what protects the probes; <c>--same-address</c> floods from one address instead.
/// </summary>
internal static class LoginFloodBenchmark
{
    private const string Password = "benchmark-password-flood";

    public static async Task<int> RunAsync(int flooders, int seconds, bool sameAddress, CancellationToken ct)
    {
        var (assembly, configuration) = BenchServer.Locate();
        if (configuration != "Release")
        {
            Console.Error.WriteLine($"warning: no Release build of the server; using {configuration}: figures will be lower than they should be.");
        }

        await using var server = await BenchServer.StartAsync(
            assembly,
            ct,
            "--DropSync:PasswordIterations", "600000",
            "--DropSync:RateLimits:TrustForwardedFor", "true",
            "--DropSync:RateLimits:LoginsPerAddressPerMinute", "120");
        Console.Error.WriteLine($"server: pid {server.ProcessId} at {server.BaseAddress}; {Environment.ProcessorCount} cores");
        var process = new ServerMemory(server.ProcessId);

        // The probing device has a connection pool of its own, so the flood's connections never queue its requests.
        using var probe = new BenchApi(server.BaseAddress);
        await probe.LoginAsync($"probe-{Guid.NewGuid():N}@example.com", Password, ct);
        for (var i = 0; i < 20; i++)
        {
            await probe.PostJsonAsync("/files/create_folder", new { path = $"/folder-{i:00}" }, "create_folder", ct);
        }

        Console.Error.WriteLine("baseline: probing with no flood ...");
        var baseline = await ProbeAsync(probe, TimeSpan.FromSeconds(Math.Max(3, seconds / 3)), ct);

        Console.Error.WriteLine($"flood: {flooders} concurrent wrong-password sign-ins for {seconds} s ({(sameAddress ? "one address" : "an address each")}) ...");
        using var flood = new BenchApi(server.BaseAddress);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        var cpuBefore = process.CpuSeconds();
        var clock = Stopwatch.StartNew();
        var floodTasks = Enumerable.Range(0, flooders).Select(i => Task.Run(() => FloodAsync(flood.Api, i, sameAddress, statuses, stop.Token), CancellationToken.None)).ToList();
        await Task.Delay(TimeSpan.FromSeconds(1), ct); // let the flood build up
        var during = await ProbeAsync(probe, TimeSpan.FromSeconds(seconds - 1), ct);
        await stop.CancelAsync();
        await Task.WhenAll(floodTasks);
        var elapsed = clock.Elapsed.TotalSeconds;
        var cpu = process.CpuSeconds() - cpuBefore;
        var (_, peak) = process.Read();

        var c = CultureInfo.InvariantCulture;
        Console.WriteLine($"login-flood: {flooders} flooders, {(sameAddress ? "one address" : "distinct addresses")}, {Environment.ProcessorCount} cores (shared; figures are noisy)");
        Console.WriteLine("probe             phase      requests   p50 ms   p99 ms   max ms");
        foreach (var (phase, result) in new[] { ("baseline", baseline), ("flood", during) })
        {
            foreach (var (name, samples) in new[] { ("GET /healthz", result.Health), ("list_folder", result.List) })
            {
                Console.WriteLine(string.Format(c, "{0,-17} {1,-9} {2,9} {3,8:0.0} {4,8:0.0} {5,8:0.0}", name, phase, samples.Count, Percentile(samples, 0.50), Percentile(samples, 0.99), samples.Count == 0 ? 0 : samples.Max()));
            }
        }

        var total = statuses.Values.Sum();
        Console.WriteLine(string.Format(c, "sign-ins answered: {0} in {1:0.0} s ({2:0.0}/s): {3}", total, elapsed, total / elapsed, string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))));
        Console.WriteLine(string.Format(c, "server CPU during the flood: {0:0.0} s ({1:0.00} cores); peak RSS {2:0} MiB", cpu, cpu / elapsed, peak / 1024.0 / 1024.0));
        Console.WriteLine(string.Format(c, "target p99 ≤ 50 ms during the flood: healthz {0}, list_folder {1}", Percentile(during.Health, 0.99) <= 50 ? "met" : "NOT met", Percentile(during.List, 0.99) <= 50 ? "met" : "NOT met"));
        return 0;
    }

    private static async Task FloodAsync(HttpClient http, int flooder, bool sameAddress, System.Collections.Concurrent.ConcurrentDictionary<int, int> statuses, CancellationToken stop)
    {
        var address = sameAddress ? "198.51.100.1" : $"10.{flooder / 250}.{flooder % 250}.{1 + (flooder % 200)}";
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/login")
            {
                Content = JsonContent.Create(new { email = $"flood-{flooder}-{n}@example.com", password = "wrong password " + n }),
            };
            request.Headers.Add("X-Forwarded-For", address);
            try
            {
                using var response = await http.SendAsync(request, stop);
                statuses.AddOrUpdate((int)response.StatusCode, 1, (_, count) => count + 1);
                if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter?.Delta is { } wait)
                {
                    // A polite client waits; a hostile one would not, which only makes the refusals cheaper.
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(wait.TotalMilliseconds, 200)), stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private sealed record ProbeResult(List<double> Health, List<double> List);

    private static async Task<ProbeResult> ProbeAsync(BenchApi api, TimeSpan duration, CancellationToken ct)
    {
        var result = new ProbeResult([], []);
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            var start = Stopwatch.GetTimestamp();
            using (var health = await api.Api.GetAsync(new Uri("/healthz", UriKind.Relative), ct))
            {
                await BenchApi.ReadJsonAsync(health, "healthz", ct);
            }

            result.Health.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            start = Stopwatch.GetTimestamp();
            await api.PostJsonAsync("/files/list_folder", new { path = "" }, "list_folder", ct);
            result.List.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            await Task.Delay(20, ct);
        }

        return result;
    }

    private static double Percentile(List<double> samples, double p)
    {
        if (samples.Count == 0)
        {
            return 0;
        }

        var sorted = samples.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }
}
