using System.Diagnostics;
using System.Globalization;
using DropSync.Client.Sync;

/// <summary>
/// What each save-to-complete try of the latency step waited on: the passes of A and B that ended during it or just after (their
/// phases), each device's HTTP requests in it (<see cref="Handler"/>), the server's WAL checkpoints and slow group commits in
/// it, each request as the server timed it (its stages, GC pause, malloc_trim time, thread-pool queue) and its native heap
/// trims (the server's Debug log, read from <see cref="DropSync.Testing.ServerProcess.Output"/>), and the garbage collections
/// and GC pause time of this process (both clients run in it) meanwhile. Printed for the slowest tries and for the median one,
/// so an outlier's phases can be set beside a typical try's: a checkpoint, a GC pause, a full walk, a slow request.
/// </summary>
internal sealed class LatencyTries
{
    private readonly Lock _lock = new();
    private readonly List<(long At, string Device, SyncReport Report)> _passes = [];
    private readonly List<(long Start, long End, string Device, string Request)> _requests = [];
    private readonly List<Try> _tries = [];

    private sealed record Try(int Number, double Ms, long Start, long End, DateTime StartUtc, int Gen0, int Gen1, int Gen2, double PauseMs);

    /// <summary>A watcher's onSync callback for <paramref name="device"/>.</summary>
    public Action<SyncReport> Recorder(string device, List<SyncReport> passes) => r =>
    {
        lock (_lock)
        {
            _passes.Add((Stopwatch.GetTimestamp(), device, r));
        }

        lock (passes)
        {
            passes.Add(r);
        }
    };

    /// <summary>An HTTP handler for <paramref name="device"/>'s API client that times each request.</summary>
    public DelegatingHandler Handler(string device) => new RequestTimer(this, device);

    /// <summary>Starts timing a try; call the answer when it completed (it answers the milliseconds).</summary>
    public Func<double> Start()
    {
        var startUtc = DateTime.UtcNow;
        var start = Stopwatch.GetTimestamp();
        var (gen0, gen1, gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var pause = GC.GetTotalPauseDuration();
        return () =>
        {
            var end = Stopwatch.GetTimestamp();
            var ms = Stopwatch.GetElapsedTime(start, end).TotalMilliseconds;
            lock (_lock)
            {
                _tries.Add(new Try(_tries.Count + 1, ms, start, end, startUtc, GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2,
                    (GC.GetTotalPauseDuration() - pause).TotalMilliseconds));
            }

            return ms;
        };
    }

    /// <summary>Prints the <paramref name="count"/> slowest tries and the median one; <paramref name="serverLog"/> is the server's output.</summary>
    public void PrintSlowest(int count, string serverLog)
    {
        var server = ServerEvents(serverLog);
        lock (_lock)
        {
            var all = _tries.Count;
            Console.WriteLine($"  GCs during all {all} tries: gen0 {_tries.Sum(t => t.Gen0)}, gen1 {_tries.Sum(t => t.Gen1)}, gen2 {_tries.Sum(t => t.Gen2)}, " +
                $"pause {_tries.Sum(t => t.PauseMs):0.#} ms in all; GC mode: {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}, " +
                $"latency mode {System.Runtime.GCSettings.LatencyMode}");
            if (_tries.Count > 0)
            {
                var (from, to) = (_tries.Min(t => t.StartUtc), _tries.Max(t => t.StartUtc) + TimeSpan.FromMilliseconds(_tries.Max(t => t.Ms)));
                var during = server.Where(e => e.At >= from && e.At <= to).ToList();
                var checkpoints = during.Where(e => Is(e.Text, "metadata checkpoint")).ToList();
                var slowCommits = during.Count(e => Is(e.Text, "metadata commit"));
                var trims = during.Where(e => Is(e.Text, "native heap trim")).Select(e => double.Parse(Between(e.Text, ": ", " ms"), CultureInfo.InvariantCulture)).ToList();
                Console.WriteLine($"  native heap trims during the tries: {trims.Count}, {trims.DefaultIfEmpty(0).Sum():0.0} ms in all, longest {trims.DefaultIfEmpty(0).Max():0.0} ms");
                Console.WriteLine($"  the server during the tries: {checkpoints.Count} WAL checkpoints, {slowCommits} group commits of 20 ms or more; " +
                    $"checkpoints: {string.Join("; ", checkpoints.Select(c => c.Text[(c.Text.IndexOf(": ", StringComparison.Ordinal) + 2)..]).Take(6).DefaultIfEmpty("none"))}");
            }

            var sorted = _tries.OrderByDescending(t => t.Ms).ToList();
            var shown = sorted.Take(count).Select(t => ("slow try", t)).ToList();
            if (sorted.Count > count)
            {
                shown.Add(("median try", sorted[sorted.Count / 2]));
            }

            foreach (var (label, t) in shown)
            {
                // B's pass reports after its download landed, when the try is already over: a pass that ends soon after counts.
                var after = t.End + (Stopwatch.Frequency / 4);
                var passes = _passes.Where(p => p.At >= t.Start && p.At <= after).Select(p =>
                    $"{p.Device} pass ({p.Report.LocalItemsScanned} items{(p.Report.FullScans > 0 ? ", FULL" : "")}): {IncrementalSteps.Phases([p.Report])}");
                var requests = _requests.Where(r => r.Start >= t.Start && r.Start <= t.End).Select(r =>
                    $"{r.Device} {r.Request} at +{Stopwatch.GetElapsedTime(t.Start, r.Start).TotalMilliseconds:0} {Stopwatch.GetElapsedTime(r.Start, r.End).TotalMilliseconds:0.0} ms");
                var endUtc = t.StartUtc + TimeSpan.FromMilliseconds(t.Ms);
                string Describe((DateTime At, string Text) e) =>
                    $"at +{(e.At - t.StartUtc).TotalMilliseconds:0}: {e.Text[(e.Text.IndexOf(": ", StringComparison.Ordinal) + 2)..]} ({e.Text[..e.Text.IndexOf(" at ", StringComparison.Ordinal)]})";
                var window = server.Where(e => e.At >= t.StartUtc - TimeSpan.FromMilliseconds(50) && e.At <= endUtc).ToList();
                var serverEvents = window.Where(e => Is(e.Text, "metadata ")).Select(Describe);
                var serverRequests = window.Where(e => Is(e.Text, "request at ") && e.At >= t.StartUtc).Select(e =>
                    $"at +{(e.At - t.StartUtc).TotalMilliseconds:0}: {e.Text[(e.Text.IndexOf(": ", StringComparison.Ordinal) + 2)..]}");
                var serverTrims = window.Where(e => Is(e.Text, "native heap trim")).Select(Describe);
                Console.WriteLine($"    {label} {t.Ms:0} ms (try {t.Number} of {all}): GCs gen0 {t.Gen0}, gen1 {t.Gen1}, gen2 {t.Gen2}, pause {t.PauseMs:0.#} ms");
                Console.WriteLine($"      passes ended in it or within 250 ms after: {string.Join(" | ", passes.DefaultIfEmpty("none"))}");
                Console.WriteLine($"      requests: {string.Join("; ", requests.DefaultIfEmpty("none"))}");
                Console.WriteLine($"      server checkpoints and commits of 20 ms or more: {string.Join("; ", serverEvents.DefaultIfEmpty("none"))}");
                Console.WriteLine($"      server native heap trims: {string.Join("; ", serverTrims.DefaultIfEmpty("none"))}");
                Console.WriteLine($"      requests as the server timed them (start offset by the server's clock):");
                foreach (var request in serverRequests.DefaultIfEmpty("none"))
                {
                    Console.WriteLine($"        {request}");
                }
            }
        }
    }

    /// <summary>The server's Debug lines that start with one of <see cref="ServerLines"/>, with their UTC times.</summary>
    private static List<(DateTime At, string Text)> ServerEvents(string serverLog) =>
        [.. serverLog.Split('\n').Select(line => line.Trim())
            .Where(line => ServerLines.Any(prefix => line.StartsWith(prefix, StringComparison.Ordinal)))
            .Select(line => (At: DateTime.Parse(Between(line, " at ", ": "), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind), Text: line))];

    /// <summary>
    /// The server's Debug lines this reads: WAL checkpoints and slow group commits (DropSync.Embedded.Metadata), each
    /// request's timing (DropSync.Api.RequestTiming), and each native heap trim (DropSync.Api.Hosting.NativeHeapTrim).
    /// </summary>
    private static readonly string[] ServerLines = ["metadata checkpoint at ", "metadata commit at ", "request at ", "native heap trim at "];

    /// <summary>The server settings that turn those lines on.</summary>
    public static readonly string[] ServerLogSettings =
    [
        "--Logging:LogLevel:DropSync.Embedded.Metadata", "Debug",
        "--Logging:LogLevel:DropSync.Api.RequestTiming", "Debug",
        "--Logging:LogLevel:DropSync.Api.Hosting.NativeHeapTrim", "Debug",
    ];

    private static bool Is(string text, string prefix) => text.StartsWith(prefix, StringComparison.Ordinal);

    private static string Between(string text, string from, string to)
    {
        var start = text.IndexOf(from, StringComparison.Ordinal) + from.Length;
        return text[start..text.IndexOf(to, start, StringComparison.Ordinal)];
    }

    private sealed class RequestTimer(LatencyTries tries, string device) : DelegatingHandler(DropSync.Client.Api.DropSyncApi.CreateDefaultHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var start = Stopwatch.GetTimestamp();
            var response = await base.SendAsync(request, cancellationToken);
            var path = request.RequestUri?.AbsolutePath ?? "?";
            lock (tries._lock)
            {
                tries._requests.Add((start, Stopwatch.GetTimestamp(), device, $"{request.Method} {(path.StartsWith("/blocks/", StringComparison.Ordinal) ? "/blocks/*" : path)} {(int)response.StatusCode}"));
            }

            return response;
        }
    }
}
