using System.Diagnostics;
using DropSync.Client.Sync;

/// <summary>
/// What each save-to-complete try of the latency step waited on: the passes of A and B that ended during it or just after (their
/// phases), and the garbage collections and GC pause time of this process (both clients run in it) meanwhile. Printed
/// for the slowest tries, so an outlier can be told apart: a GC pause, a full walk, a slow server request.
/// </summary>
internal sealed class LatencyTries
{
    private readonly Lock _lock = new();
    private readonly List<(long At, string Device, SyncReport Report)> _passes = [];
    private readonly List<Try> _tries = [];

    private sealed record Try(int Number, double Ms, long Start, long End, int Gen0, int Gen1, int Gen2, double PauseMs);

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

    /// <summary>Starts timing a try; call the answer when it completed (it answers the milliseconds).</summary>
    public Func<double> Start()
    {
        var start = Stopwatch.GetTimestamp();
        var (gen0, gen1, gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var pause = GC.GetTotalPauseDuration();
        return () =>
        {
            var end = Stopwatch.GetTimestamp();
            var ms = Stopwatch.GetElapsedTime(start, end).TotalMilliseconds;
            lock (_lock)
            {
                _tries.Add(new Try(_tries.Count + 1, ms, start, end, GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2,
                    (GC.GetTotalPauseDuration() - pause).TotalMilliseconds));
            }

            return ms;
        };
    }

    public void PrintSlowest(int count)
    {
        lock (_lock)
        {
            var all = _tries.Count;
            Console.WriteLine($"  GCs during all {all} tries: gen0 {_tries.Sum(t => t.Gen0)}, gen1 {_tries.Sum(t => t.Gen1)}, gen2 {_tries.Sum(t => t.Gen2)}, " +
                $"pause {_tries.Sum(t => t.PauseMs):0.#} ms in all; GC mode: {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}, " +
                $"latency mode {System.Runtime.GCSettings.LatencyMode}");
            foreach (var t in _tries.OrderByDescending(t => t.Ms).Take(count))
            {
                // B's pass reports after its download landed, when the try is already over: a pass that ends soon after counts.
                var after = t.End + (Stopwatch.Frequency / 4);
                var passes = _passes.Where(p => p.At >= t.Start && p.At <= after).Select(p =>
                    $"{p.Device} pass ({p.Report.LocalItemsScanned} items{(p.Report.FullScans > 0 ? ", FULL" : "")}): {IncrementalSteps.Phases([p.Report])}");
                Console.WriteLine($"    slow try {t.Ms:0} ms (try {t.Number} of {all}): GCs gen0 {t.Gen0}, gen1 {t.Gen1}, gen2 {t.Gen2}, pause {t.PauseMs:0.#} ms; " +
                    $"passes ended in it or within 250 ms after: {string.Join(" | ", passes.DefaultIfEmpty("none"))}");
            }
        }
    }
}
