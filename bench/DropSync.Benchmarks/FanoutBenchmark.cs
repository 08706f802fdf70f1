using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace DropSync.Benchmarks;

/// <summary>
/// <c>fanout</c>: one user with N devices, each holding the change-feed WebSocket open, and one more device committing
/// small files. Measures, per commit, the time from the commit's HTTP answer to the moment the last of the N devices
/// received its event; then how many commits per second the server sustains (answered, and delivered to every device),
/// sequentially and with concurrent committers; and the server's peak RSS.
/// </summary>
internal static class FanoutBenchmark
{
    private const string Password = "benchmark-password-fanout";

    public static async Task<int> RunAsync(int devices, int commits, int concurrency, CancellationToken ct)
    {
        var (assembly, configuration) = BenchServer.Locate();
        if (configuration != "Release")
        {
            Console.Error.WriteLine($"warning: no Release build of the server; using {configuration}: figures will be lower than they should be.");
        }

        await using var server = await BenchServer.StartAsync(assembly, ct);
        Console.Error.WriteLine($"server: pid {server.ProcessId} at {server.BaseAddress}; logging in {devices} devices ...");
        var memory = new ServerMemory(server.ProcessId);
        using var api = new BenchApi(server.BaseAddress);
        var email = $"fanout-{Guid.NewGuid():N}@example.com";
        await api.LoginAsync(email, Password, ct);
        await api.PostJsonAsync("/files/create_folder", new { path = "/fanout" }, "create_folder", ct);

        var tokens = new string[devices];
        await Parallel.ForAsync(0, devices, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (i, token) =>
        {
            using var response = await api.Blocks.PostAsync(
                new Uri(server.BaseAddress, "/auth/login"),
                JsonContent($$"""{"email":"{{email}}","password":"{{Password}}","device_name":"device {{i}}"}"""),
                token);
            tokens[i] = BenchApi.Text(await BenchApi.ReadJsonAsync(response, "login", token), "access_token", "login");
        });

        var tracker = new DeliveryTracker(devices, 3 * commits + 16);
        var sockets = new List<ClientWebSocket>(devices);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var receivers = new List<Task>(devices);
        Console.Error.WriteLine($"opening {devices} WebSockets ...");
        for (var i = 0; i < devices; i++)
        {
            var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", "Bearer " + tokens[i]);
            socket.Options.KeepAliveInterval = TimeSpan.Zero;
            await socket.ConnectAsync(new UriBuilder(server.BaseAddress) { Scheme = "ws", Path = "/notifications/ws" }.Uri, ct);
            sockets.Add(socket);
            receivers.Add(ReceiveAsync(socket, tracker, stop.Token));
        }

        await tracker.WaitHellosAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(300, ct);
        var (baseline, _) = memory.Read();
        var next = 0;

        // 1. Latency: one commit at a time, each waited for on every device before the next.
        var latencies = new List<double>(commits);
        await using (var monitor = memory.Watch())
        {
            for (var i = 0; i < commits; i++, next++)
            {
                var answered = await CommitAsync(api, next, ct);
                var last = await tracker.WaitAllAsync(next, TimeSpan.FromSeconds(60));
                latencies.Add(Stopwatch.GetElapsedTime(answered, last).TotalMilliseconds);
            }
        }

        // 2. Throughput, sequential: commits back to back; delivered = until every device has every event.
        var sequential = await ThroughputAsync(api, tracker, memory, 1, commits, () => next++, ct);
        // 3. Throughput with concurrent committers.
        var concurrent = await ThroughputAsync(api, tracker, memory, concurrency, commits, () => Interlocked.Increment(ref next) - 1, ct);
        var (_, peak) = memory.Read();

        await stop.CancelAsync();
        foreach (var socket in sockets)
        {
            socket.Abort();
            socket.Dispose();
        }

        await Task.WhenAll(receivers);
        latencies.Sort();
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine(string.Create(c, $"DropSync fan-out benchmark: {devices} devices with a WebSocket open, {commits} commits of small files per step, {Environment.ProcessorCount} cores, server {configuration}"));
        Console.WriteLine(string.Create(c, $"commit answered → last device's event: p50 {Percentile(latencies, 0.50):0.0} ms, p99 {Percentile(latencies, 0.99):0.0} ms, max {latencies[^1]:0.0} ms ({commits} commits, one at a time)"));
        Console.WriteLine(string.Create(c, $"sequential committer: {sequential.Answered:0} commits/s answered, {sequential.Delivered:0} commits/s delivered to all {devices} devices ({sequential.Delivered * devices:0} events/s)"));
        Console.WriteLine(string.Create(c, $"{concurrency} concurrent committers: {concurrent.Answered:0} commits/s answered, {concurrent.Delivered:0} commits/s delivered to all {devices} devices ({concurrent.Delivered * devices:0} events/s)"));
        Console.WriteLine($"server RSS with {devices} sockets open, idle: {ByteSize.Mebibytes(baseline)}; server peak RSS: {ByteSize.Mebibytes(peak)}");
        Console.WriteLine($"events lost: {tracker.Missing(next)} (every device must receive every commit)");
        return tracker.Missing(next) == 0 ? 0 : 1;
    }

    private static async Task<(double Answered, double Delivered)> ThroughputAsync(
        BenchApi api, DeliveryTracker tracker, ServerMemory memory, int committers, int commits, Func<int> take, CancellationToken ct)
    {
        var ids = new List<int>(commits);
        var clock = Stopwatch.StartNew();
        await using (memory.Watch())
        {
            var remaining = commits;
            await Task.WhenAll(Enumerable.Range(0, committers).Select(async _ =>
            {
                while (Interlocked.Decrement(ref remaining) >= 0)
                {
                    var id = take();
                    lock (ids)
                    {
                        ids.Add(id);
                    }

                    await CommitAsync(api, id, ct);
                }
            }));
        }

        var answered = clock.Elapsed.TotalSeconds;
        foreach (var id in ids)
        {
            await tracker.WaitAllAsync(id, TimeSpan.FromSeconds(120));
        }

        var delivered = clock.Elapsed.TotalSeconds;
        return (commits / answered, commits / delivered);
    }

    private static async Task<long> CommitAsync(BenchApi api, int id, CancellationToken ct)
    {
        using var body = new ByteArrayContent(Encoding.UTF8.GetBytes($"commit {id} {Guid.NewGuid()}"));
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await api.Api.PostAsync(new Uri($"/files/upload?uploadType=media&path=/fanout/{id}.txt&mode=add", UriKind.Relative), body, ct);
        await BenchApi.EnsureSuccessAsync(response, $"commit {id}", ct);
        return Stopwatch.GetTimestamp();
    }

    private static async Task ReceiveAsync(ClientWebSocket socket, DeliveryTracker tracker, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        var filled = 0;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(filled), ct);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                filled += result.Count;
                if (!result.EndOfMessage)
                {
                    if (filled == buffer.Length)
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }

                    continue;
                }

                tracker.Record(buffer.AsSpan(0, filled));
                filled = 0;
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Closed at the end.
        }
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static StringContent JsonContent(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>Per commit: how many devices got its event, and when the last one did.</summary>
    private sealed class DeliveryTracker(int devices, int capacity)
    {
        private readonly int[] _counts = new int[capacity];
        private readonly long[] _last = new long[capacity];
        private int _hellos;

        public void Record(ReadOnlySpan<byte> message)
        {
            var now = Stopwatch.GetTimestamp();
            var reader = new Utf8JsonReader(message);
            string? type = null, path = null;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
                {
                    var name = reader.GetString();
                    reader.Read();
                    if (name == "type")
                    {
                        type = reader.GetString();
                    }
                    else if (name == "path" && reader.TokenType == JsonTokenType.String)
                    {
                        path = reader.GetString();
                    }
                }
            }

            if (type == "hello")
            {
                Interlocked.Increment(ref _hellos);
            }
            else if (type == "change" && path is not null && path.StartsWith("/fanout/", StringComparison.Ordinal)
                     && int.TryParse(path.AsSpan(8, path.Length - 12), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id < capacity)
            {
                Volatile.Write(ref _last[id], now);
                Interlocked.Increment(ref _counts[id]);
            }
        }

        public async Task WaitHellosAsync(TimeSpan timeout)
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            while (Volatile.Read(ref _hellos) < devices)
            {
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    throw new BenchmarkException($"only {_hellos} of {devices} devices got the feed's hello");
                }

                await Task.Delay(10);
            }
        }

        /// <summary>Waits until every device has the commit's event; answers when the last one got it.</summary>
        public async Task<long> WaitAllAsync(int id, TimeSpan timeout)
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            var spins = 0;
            while (Volatile.Read(ref _counts[id]) < devices)
            {
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    throw new BenchmarkException($"commit {id}: only {_counts[id]} of {devices} devices got its event within {timeout.TotalSeconds} s");
                }

                if (++spins < 2000)
                {
                    Thread.SpinWait(50);
                }
                else
                {
                    await Task.Yield();
                }
            }

            return Volatile.Read(ref _last[id]);
        }

        public int Missing(int commits) => Enumerable.Range(0, commits).Sum(i => devices - Volatile.Read(ref _counts[i]));
    }
}
