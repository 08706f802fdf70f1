using System.Diagnostics;
using System.Globalization;
using DropSync.Client.Api;
using DropSync.Client.Config;
using DropSync.Client.Sync;
using DropSync.Testing;

/// <summary>
/// Issue 11's idle re-sync (`dropsync sync` with nothing changed), three ways, each labelled: one engine reused across
/// runs (as a watcher's passes are), a fresh engine and index each run in this process (a one-shot sync without the
/// process start), and `dropsync sync` as a fresh process (what a user's command costs, .NET start and JIT included).
/// </summary>
internal static class IdleResyncStep
{
    private const int Runs = 7;

    /// <param name="cliVariants">Environment settings to time the fresh process under besides none ("K=V,K=V" each).</param>
    public static async Task RunAsync(ServerProcess server, HttpClient http, string work, int files, IReadOnlyList<string> cliVariants)
    {
        var email = await IncrementalSteps.RegisterAsync(http, "idle");
        using var a = await IncrementalSteps.DeviceAsync(server, email, "a", work);
        IncrementalSteps.Fill(a.Folder, "", files);
        var sw = Stopwatch.StartNew();
        await a.Engine.SyncAsync(new SyncOptions());
        Console.WriteLine($"idle re-sync setup: first sync of {files} files {sw.Elapsed.TotalSeconds:0.0} s");

        var reused = await TimedRunsAsync(() => a.Engine.SyncAsync(new SyncOptions()));
        Console.WriteLine($"idle re-sync of {files} files, one engine reused (a watcher's passes), {Runs} runs: {reused.Summary}");
        Console.WriteLine($"  phases (mean): {IncrementalSteps.Phases(reused.Reports)}");

        var fresh = await TimedRunsAsync(async () =>
        {
            await using var source = new CursorChangeSource(a.Api);
            return await new SyncEngine(a.Api, a.Folder, source, "a").SyncAsync(new SyncOptions());
        });
        Console.WriteLine($"idle re-sync of {files} files, fresh engine and index each run (one-shot, this process, JIT warm), {Runs} runs: {fresh.Summary}");
        Console.WriteLine($"  phases (mean; index, server and config are waits after the walk, read beside it): {IncrementalSteps.Phases(fresh.Reports)}");

        // What users get (scripts/publish-cli.sh: Native AOT), its ReadyToRun alternative, the plain build (`dotnet
        // run`, the .NET tool), then any variants asked for.
        var published = new List<string>();
        foreach (var kind in new[] { "aot", "r2r" })
        {
            if (await PublishCliAsync(work, kind) is { } app)
            {
                published.Add("CLI=" + app);
            }
        }

        foreach (var variant in published.Append("").Concat(cliVariants))
        {
            await FreshProcessAsync(server, email, a.Folder, work, variant);
        }

        await BreakdownAsync(a);
    }

    private sealed record Timed(List<SyncReport> Reports, string Summary);

    private static async Task<Timed> TimedRunsAsync(Func<Task<SyncReport>> sync)
    {
        var samples = new List<double>();
        var reports = new List<SyncReport>();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var gcBefore = GC.CollectionCount(0);
        for (var i = 0; i < Runs; i++)
        {
            var sw = Stopwatch.StartNew();
            var report = await sync();
            samples.Add(sw.Elapsed.TotalMilliseconds);
            reports.Add(report);
            if (report.FilesUploaded + report.FilesDownloaded + report.Errors.Count > 0)
            {
                throw new InvalidOperationException("the idle re-sync was not idle");
            }
        }

        samples.Sort();
        var cpuPerRun = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds / Runs;
        return new Timed(reports, $"p50 {IncrementalSteps.Percentile(samples, 0.5):0} ms, min {samples[0]:0} ms, max {samples[^1]:0} ms; " +
            $"client CPU {cpuPerRun:0} ms a run; {(GC.CollectionCount(0) - gcBefore) / (double)Runs:0.#} GCs a run");
    }

    /// <summary>The CLI as scripts/publish-cli.sh publishes it for users (aot or r2r), into the work folder; null (and why) if it fails.</summary>
    private static async Task<string?> PublishCliAsync(string work, string kind)
    {
        var output = Path.Combine(work, "cli-" + kind);
        var start = new ProcessStartInfo("bash", [Path.Combine(RepositoryPaths.Root(), "scripts", "publish-cli.sh"), output, "linux-x64", kind])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var sw = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var app = Path.Combine(output, "dropsync");
        if (process.ExitCode != 0 || !File.Exists(app))
        {
            Console.WriteLine($"publishing the CLI ({kind}) failed (exit {process.ExitCode}): {(await stdout).Trim()} {stderr.Trim()}");
            return null;
        }

        Console.WriteLine($"{(await stdout).Trim()}, published in {sw.Elapsed.TotalSeconds:0} s");
        return app;
    }

    /// <summary>
    /// `dropsync sync FOLDER` in a process of its own, timed by /usr/bin/time (wall, CPU, peak RSS): a published app
    /// runs as itself, a .dll (the plain build) as `dotnet DropSync.Cli.dll`.
    /// </summary>
    private static async Task FreshProcessAsync(ServerProcess server, string email, string folder, string work, string variant)
    {
        // "CLI=path" in a variant times another build's client (main's, for a before/after in the same run).
        var settings = variant.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => (Key: s[..s.IndexOf('=', StringComparison.Ordinal)], Value: s[(s.IndexOf('=', StringComparison.Ordinal) + 1)..])).ToList();
        var cli = settings.Where(s => s.Key == "CLI").Select(s => s.Value).FirstOrDefault()
            ?? Path.Combine(RepositoryPaths.Root(), "client", "DropSync.Cli", "bin", "Release", "net10.0", "DropSync.Cli.dll");
        if (!File.Exists(cli) || !File.Exists("/usr/bin/time"))
        {
            Console.WriteLine($"idle re-sync as a fresh process: skipped (needs {cli}, built with -c Release, and /usr/bin/time)");
            return;
        }

        using var anonymous = new DropSyncApi(server.BaseAddress, null);
        var login = await anonymous.LoginAsync(email, "benchmark password", "cli", default);
        var config = Path.Combine(work, "cli-config-" + Guid.NewGuid().ToString("N"));
        new ClientConfig(config).Save(new Account(server.BaseAddress.ToString(), email, login.AccessToken, login.DeviceId, "cli"));
        var walls = new List<double>();
        var cpus = new List<double>();
        var rss = new List<long>();
        for (var i = 0; i < Runs; i++)
        {
            string[] command = cli.EndsWith(".dll", StringComparison.Ordinal) ? ["dotnet", cli] : [cli];
            var start = new ProcessStartInfo("/usr/bin/time", ["-f", "time: %e %U %S %M", .. command, "sync", folder, "--json", "--config", config])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var (key, value) in settings.Where(s => s.Key != "CLI"))
            {
                start.Environment[key] = value;
            }

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            var line = errors.Split('\n').LastOrDefault(l => l.StartsWith("time: ", StringComparison.Ordinal));
            if (process.ExitCode != 0 || line is null || !NothingMoved(await output))
            {
                Console.WriteLine($"idle re-sync as a fresh process failed (exit {process.ExitCode}): {(await output).Trim()} {errors.Trim()}");
                return;
            }

            var f = line["time: ".Length..].Split(' ');
            walls.Add(double.Parse(f[0], CultureInfo.InvariantCulture) * 1000);
            cpus.Add((double.Parse(f[1], CultureInfo.InvariantCulture) + double.Parse(f[2], CultureInfo.InvariantCulture)) * 1000);
            rss.Add(long.Parse(f[3], CultureInfo.InvariantCulture) / 1024);
        }

        walls.Sort();
        cpus.Sort();
        var label = cli.EndsWith(".dll", StringComparison.Ordinal)
            ? $"`dotnet {Path.GetFileName(cli)} sync`, IL: JIT"
            : $"`{Path.GetFileName(cli)} sync`, published {Path.GetFileName(Path.GetDirectoryName(cli))}";
        var others = string.Join(", ", settings.Where(s => s.Key != "CLI").Select(s => s.Key + "=" + s.Value));
        Console.WriteLine($"idle re-sync as a fresh process ({label}, .NET start included; {cli}{(others.Length > 0 ? ", " + others : "")}), {Runs} runs: " +
            $"p50 {IncrementalSteps.Percentile(walls, 0.5):0} ms, min {walls[0]:0} ms; CPU p50 {IncrementalSteps.Percentile(cpus, 0.5):0} ms; peak RSS {rss.Max()} MiB");
    }

    private static bool NothingMoved(string json)
    {
        try
        {
            using var report = System.Text.Json.JsonDocument.Parse(json);
            return report.RootElement.GetProperty("files_uploaded").GetInt32() == 0 && report.RootElement.GetProperty("files_downloaded").GetInt32() == 0;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    /// <summary>Each part of a pass on its own, one after another (warm): wall and this process's CPU time.</summary>
    private static async Task BreakdownAsync(BenchDevice a)
    {
        var parts = new List<string>();
        var cpu = new IncrementalSteps.CpuClock();
        using var index = LocalIndex.Open(a.Folder);
        parts.Add($"open index {cpu.Lap()}");
        var indexed = index.LoadAll();
        parts.Add($"read index ({indexed.Count} rows) {cpu.Lap()}");
        var ignore = IgnoreRules.Load(a.Folder);
        var local = LocalScan.Scan(a.Folder, ignore);
        parts.Add($"walk folder ({local.Count} items) {cpu.Lap()}");
        await using var source = new CursorChangeSource(a.Api);
        var remote = await source.GetSnapshotAsync(index, default);
        parts.Add($"server tree (stored tree + one continue) {cpu.Lap()}");
        var visible = SyncPlanner.Visible(remote, ignore);
        parts.Add($"ignore rules on the server tree {cpu.Lap()}");
        var plan = SyncPlanner.Plan(new PlannerInput(local, indexed, visible, index.LoadLocalOnly()));
        parts.Add($"plan {cpu.Lap()} ({plan.Actions.Count()} actions)");
        Console.WriteLine($"  breakdown, each part alone: {string.Join("; ", parts)}");
    }
}
