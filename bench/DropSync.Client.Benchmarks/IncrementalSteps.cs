using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using DropSync.Client.Api;
using DropSync.Client.Sync;
using DropSync.Testing;

/// <summary>
/// Issue 11's figures for incremental passes, each on a folder of its own size: an idle re-sync (with a breakdown of
/// where its time goes), save on A → complete on B with both watching, and a folder rename synced up and down.
/// Flags: --idle-files (10,000), --latency-files (100,000), --latency-tries (50), --rename-files (5,000), --steps (idle,rename,latency),
/// --cli-env "K=V,K=V|K=V" (environment variants the fresh `dropsync sync` process is also timed under),
/// --metadata-checkpoints Background|OnCommit (where the server's WAL checkpoints run; OnCommit is SQLite's automatic way).
/// </summary>
internal static class IncrementalSteps
{
    private const string Password = "benchmark password";

    public static async Task RunAsync(string[] args)
    {
        var idleFiles = Arg(args, "--idle-files", 10_000);
        var latencyFiles = Arg(args, "--latency-files", 100_000);
        var latencyTries = Arg(args, "--latency-tries", 50);
        var renameFiles = Arg(args, "--rename-files", 5_000);
        var stepsAt = Array.IndexOf(args, "--steps");
        var cliAt = Array.IndexOf(args, "--cli-env");
        var cliVariants = cliAt >= 0 && cliAt + 1 < args.Length ? args[cliAt + 1].Split('|') : [];
        var steps = (stepsAt >= 0 && stepsAt + 1 < args.Length ? args[stepsAt + 1] : "idle,rename,latency").Split(',');
        var work = Directory.CreateTempSubdirectory("dropsync-incremental-bench-").FullName;
        try
        {
            var checkpointsAt = Array.IndexOf(args, "--metadata-checkpoints");
            var checkpoints = checkpointsAt >= 0 && checkpointsAt + 1 < args.Length ? args[checkpointsAt + 1] : "Background";
            // The server's Debug lines (WAL checkpoints, group commits of 20 ms or more, each request's stages, native heap
            // trims) say where a slow try's server time went.
            await using var server = await ServerProcess.StartAsync(
                Path.Combine(work, "server-data"), Path.Combine(work, "keys"),
                [.. LatencyTries.ServerLogSettings, "--DropSync:MetadataCheckpoints", checkpoints]);
            Console.WriteLine($"server's metadata checkpoints: {checkpoints}");
            using var http = server.CreateClient();
            Console.WriteLine($"load average at start: {LoadAverage()}");
            if (steps.Contains("idle"))
            {
                await IdleResyncStep.RunAsync(server, http, work, idleFiles, cliVariants);
            }

            if (steps.Contains("rename"))
            {
                await FolderRenameAsync(server, http, work, renameFiles);
            }

            if (steps.Contains("latency"))
            {
                await LatencyAsync(server, http, work, latencyFiles, latencyTries);
            }

            Console.WriteLine($"load average at end: {LoadAverage()}; client CPU {Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:0.0} s, " +
                $"peak RSS {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024} MiB");
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>A folder of many files renamed on A: one sync on A (up), then one on B (down).</summary>
    private static async Task FolderRenameAsync(ServerProcess server, HttpClient http, string work, int files)
    {
        var email = await RegisterAsync(http, "rename");
        using var a = await DeviceAsync(server, email, "a", work);
        using var b = await DeviceAsync(server, email, "b", work);
        Fill(a.Folder, "folder/", files);
        await a.Engine.SyncAsync(new SyncOptions());
        await b.Engine.SyncAsync(new SyncOptions());
        for (var round = 0; round < 4; round++)
        {
            // The last round renames it back to a name it had: a name the server keeps a deleted entry under.
            var (from, to) = (round == 0 ? "folder" : $"renamed{round}", round == 3 ? "folder" : $"renamed{round + 1}");
            Directory.Move(Path.Combine(a.Folder, from), Path.Combine(a.Folder, to));
            var sw = Stopwatch.StartNew();
            var up = await a.Engine.SyncAsync(new SyncOptions());
            var upMs = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            var down = await b.Engine.SyncAsync(new SyncOptions());
            var downMs = sw.Elapsed.TotalMilliseconds;
            Console.WriteLine($"  up phases: {Phases([up])}; down phases: {Phases([down])}");
            if (!Directory.Exists(Path.Combine(b.Folder, to)) || down.Moved != files || up.FilesUploaded + down.FilesDownloaded > 0)
            {
                Console.WriteLine($"rename {from} -> {to} was not replayed as a move: up moved {up.Moved}, uploaded {up.FilesUploaded}, deleted {up.DeletedRemote}, " +
                    $"errors {string.Join(" | ", up.Errors.Take(3))}; down moved {down.Moved}, downloaded {down.FilesDownloaded}, deleted {down.DeletedLocal}");
                continue;
            }

            Console.WriteLine($"rename a folder of {files} files, round {round + 1}: up {upMs:0} ms (one /files/move), down {downMs:0} ms (one local rename)");
        }

        // Where the up side's time goes: the server's move alone, and a full pass with nothing to do.
        const string folder = "folder";
        using var serverProcess = Process.GetProcessById(server.ProcessId);
        var moves = new List<(double Ms, double CpuMs)>();
        for (var i = 0; i < 4; i++)
        {
            // There and back, twice: the way back lands on the tombstones the way there left.
            var (there, back) = i % 2 == 0 ? ("/" + folder, "/moved-by-api") : ("/moved-by-api", "/" + folder);
            serverProcess.Refresh();
            var cpu = serverProcess.TotalProcessorTime;
            var timer = Stopwatch.StartNew();
            await a.Api.MoveAsync(there, back, default);
            var ms = timer.Elapsed.TotalMilliseconds;
            serverProcess.Refresh();
            moves.Add((ms, (serverProcess.TotalProcessorTime - cpu).TotalMilliseconds));
        }

        var idle = Stopwatch.StartNew();
        await a.Engine.SyncAsync(new SyncOptions());
        Console.WriteLine($"  breakdown: the server's /files/move of {files + 1} entries alone {string.Join(", ", moves.Select(m => $"{m.Ms:0} ms (server CPU {m.CpuMs:0} ms)"))}; " +
            $"an idle sync of this folder {idle.Elapsed.TotalMilliseconds:0} ms");
    }

    /// <summary>Save on A → complete on B, both watching a folder of <paramref name="files"/> files.</summary>
    private static async Task LatencyAsync(ServerProcess server, HttpClient http, string work, int files, int tries)
    {
        var email = await RegisterAsync(http, "latency100k");
        var log = new LatencyTries();
        using var a = await DeviceAsync(server, email, "a", work, log.Handler("A"));
        using var b = await DeviceAsync(server, email, "b", work, log.Handler("B"));
        Fill(a.Folder, "", files);
        var sw = Stopwatch.StartNew();
        await a.Engine.SyncAsync(new SyncOptions());
        var upS = sw.Elapsed.TotalSeconds;
        sw.Restart();
        await b.Engine.SyncAsync(new SyncOptions());
        Console.WriteLine($"latency setup: {files} files synced up in {upS:0.0} s, down in {sw.Elapsed.TotalSeconds:0.0} s");

        using var stop = new CancellationTokenSource();
        var poll = TimeSpan.FromMinutes(5);
        var bPasses = new List<SyncReport>();
        // Timed from here, each watcher on a thread of its own: a watcher's first pass runs synchronously as far as its
        // first real wait (the walk, and the plan when the server's tree is already at hand).
        sw.Restart();
        var bWatch = Task.Run(() => new SyncWatcher(b.Engine, b.Source).RunAsync(new SyncOptions(), poll, log.Recorder("B", bPasses), e => Console.WriteLine(e.Message), stop.Token));
        var aPasses = new List<SyncReport>();
        var aWatcher = new SyncWatcher(a.Engine, a.Source);
        var aWatch = Task.Run(() => aWatcher.RunAsync(new SyncOptions(), poll, log.Recorder("A", aPasses), e => Console.WriteLine(e.Message), stop.Token));
        // The first passes read everything (100,000 files): wait for them before timing.
        int BPasses()
        {
            lock (bPasses)
            {
                return bPasses.Count;
            }
        }

        while (BPasses() == 0 || !a.Source.Connected || !b.Source.Connected)
        {
            await Task.Delay(50);
        }

        Console.WriteLine($"  watchers' first (full) passes: {sw.Elapsed.TotalSeconds:0.0} s");
        await Task.Delay(2000);
        var samples = new List<double>();
        for (var i = 0; i < tries; i++)
        {
            var text = $"edit {i} {Guid.NewGuid()}";
            var target = Path.Combine(b.Folder, "note.txt");
            sw.Restart();
            var done = log.Start();
            await File.WriteAllTextAsync(Path.Combine(a.Folder, "note.txt"), text);
            while (!(File.Exists(target) && SafeRead(target) == text))
            {
                await Task.Delay(2);
                if (sw.Elapsed > TimeSpan.FromSeconds(60))
                {
                    throw new TimeoutException("the edit did not arrive within 60 s");
                }
            }

            samples.Add(done());
            await Task.Delay(Random.Shared.Next(300, 600));
        }

        await stop.CancelAsync();
        await Task.WhenAll(aWatch, bWatch).ContinueWith(_ => { }, TaskScheduler.Default);
        samples.Sort();
        List<SyncReport> passes;
        lock (bPasses)
        {
            passes = [.. bPasses.Skip(1)];
        }

        Console.WriteLine($"save on A -> complete on B, {files} files in the folder, both watching, {tries} tries: p50 {Percentile(samples, 0.5):0} ms, " +
            $"p99 {Percentile(samples, 0.99):0} ms, max {samples[^1]:0} ms (B's incremental passes read {passes.Sum(p => p.LocalItemsScanned) / Math.Max(1, passes.Count)} items each on average)");
        Console.WriteLine($"  B's passes after the first: {passes.Count}, {passes.Sum(p => p.FullScans)} of them full, {passes.Sum(p => p.Errors.Count)} errors; " +
            $"slowest tries {string.Join(", ", samples.TakeLast(3).Select(x => x.ToString("0", CultureInfo.InvariantCulture)))} ms; mean phases per pass: {Phases(passes)}");
        List<SyncReport> aAfterFirst;
        lock (aPasses)
        {
            aAfterFirst = [.. aPasses.Skip(1)];
        }

        Console.WriteLine($"  A's passes after the first: {aAfterFirst.Count}, {aAfterFirst.Sum(p => p.FullScans)} of them full, {aAfterFirst.Sum(p => p.Errors.Count)} errors " +
            $"({string.Join(" | ", aAfterFirst.SelectMany(p => p.Errors).Take(2))}); mean phases per pass: {Phases(aAfterFirst)}");
        log.PrintSlowest(5, server.Output);
        Console.WriteLine($"  waits by design: A's quiet period {aWatcher.QuietPeriod.TotalMilliseconds:0} ms after the last local event, B's debounce {b.Source.Debounce.TotalMilliseconds:0} ms after a change event");
        foreach (var slow in passes.Concat(aAfterFirst).Where(p => p.FullScans > 0 || p.LocalItemsScanned > 1000).Take(5))
        {
            Console.WriteLine($"    a pass that read {slow.LocalItemsScanned} items ({slow.FullScans} full): {Phases([slow])}; errors: {string.Join(" | ", slow.Errors.Take(2))}");
        }
    }

    /// <summary>Wall and CPU time (of this process, all threads) since the last lap.</summary>
    internal sealed class CpuClock
    {
        private Stopwatch _wall = Stopwatch.StartNew();
        private TimeSpan _cpu = Process.GetCurrentProcess().TotalProcessorTime;

        public string Lap()
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var text = $"{_wall.Elapsed.TotalMilliseconds:0} ms (CPU {(cpu - _cpu).TotalMilliseconds:0} ms)";
            (_cpu, _wall) = (cpu, Stopwatch.StartNew());
            return text;
        }
    }

    /// <summary>Each phase's mean time over <paramref name="reports"/> (SyncReport.PhaseMilliseconds), in milliseconds.</summary>
    internal static string Phases(IReadOnlyCollection<SyncReport> reports) =>
        string.Join(", ", reports.SelectMany(r => r.PhaseMilliseconds).GroupBy(kv => kv.Key)
            .Select(g => $"{g.Key} {g.Sum(kv => kv.Value) / Math.Max(1, reports.Count):0.#}"));

    /// <summary>Small distinct files, 100 to a folder.</summary>
    internal static void Fill(string folder, string prefix, int files)
    {
        for (var i = 0; i < files; i++)
        {
            var dir = Path.Combine(folder, prefix + $"dir{i / 100:0000}");
            if (i % 100 == 0)
            {
                Directory.CreateDirectory(dir);
            }

            File.WriteAllText(Path.Combine(dir, $"file{i:000000}.txt"), $"file {i}");
        }
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    internal static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static string? SafeRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
    }

    internal static async Task<string> RegisterAsync(HttpClient http, string tag)
    {
        var email = $"bench-{tag}-{Guid.NewGuid():N}@example.com";
        (await http.PostAsJsonAsync("/auth/register", new { email, password = Password })).EnsureSuccessStatusCode();
        return email;
    }

    internal static async Task<BenchDevice> DeviceAsync(ServerProcess server, string email, string name, string work, HttpMessageHandler? handler = null)
    {
        using var anonymous = new DropSyncApi(server.BaseAddress, null);
        var login = await anonymous.LoginAsync(email, Password, name, default);
        var folder = Directory.CreateDirectory(Path.Combine(work, $"{name}-{Guid.NewGuid():N}")).FullName;
        var api = new DropSyncApi(server.BaseAddress, login.AccessToken, handler);
        var source = new CursorChangeSource(api);
        return new BenchDevice(folder, api, source, new SyncEngine(api, folder, source, name));
    }
}
