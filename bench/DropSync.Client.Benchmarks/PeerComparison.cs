using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using DropSync.Client.Api;
using DropSync.Client.Chunking;
using DropSync.Client.Sync;
using DropSync.Testing;

/// <summary>
/// Issue 11's side-by-side benchmark: the same workloads through dropsync (server process on loopback, embedded mode),
/// an rsync daemon on loopback and rclone serving WebDAV on loopback, in one run, each workload run by dropsync and the
/// peers in turn. Prints each figure, the dropsync/peer time ratio (below 1: dropsync is faster), and a Markdown table.
/// <c>--repeat N</c> runs each step N times (other bytes each round, so nothing is deduplicated or found in place), the
/// tools alternating within the step and their order flipped every other round, so that none always runs first after
/// another's writeback; the table then gives medians (<see cref="PeerRuns"/>).
/// </summary>
internal static partial class PeerComparison
{
    private const string Password = "benchmark password";

    public static async Task RunAsync(string[] args)
    {
        var sizeMiB = Arg(args, "--size-mib", 1024);
        var smallFiles = Arg(args, "--small-files", 10_000);
        // --only small|big: one workload (--large-only is --only big); --skip-rclone: no rclone (its small-file run alone takes minutes).
        var only = StringArg(args, "--only") ?? (args.Contains("--large-only") ? "big" : null);
        var skipRclone = args.Contains("--skip-rclone");
        // --cold: no untimed large-file warm-up and no extra small-file rounds, so the timed steps also pay the first run's JIT (a fresh CLI process does).
        var cold = args.Contains("--cold");
        // --repeat N: each step N times (rsync's own 1 GiB times swing 1.1–2.9 s between quiet runs: one run's ratio says little).
        var runs = new PeerRuns { Rounds = Math.Max(1, Arg(args, "--repeat", 1)) };
        await PeerTool.EnsureInstalledAsync();
        var work = Directory.CreateTempSubdirectory("dropsync-peer-bench-").FullName;
        try
        {
            await using var server = await ServerProcess.StartAsync(Path.Combine(work, "server-data"), Path.Combine(work, "keys"));
            using var http = server.CreateClient();
            _server = Process.GetProcessById(server.ProcessId);
            using var rsync = await RsyncDaemon.StartAsync(work);
            using var rclone = skipRclone ? null : await RcloneWebDav.StartAsync(work);
            Console.WriteLine($"peers: {FirstLine("rsync", "--version")}; {(rclone is null ? "rclone skipped" : FirstLine("rclone", "version"))}; load average {LoadAverage()}");

            // Untimed: warms the server (JIT, SQLite's cache) so the first timed workload does not pay for it.
            var warm = Directory.CreateDirectory(Path.Combine(work, "warm")).FullName;
            await BenchFiles.WriteSmallFilesAsync(warm, Math.Min(500, smallFiles));
            await using (var w = await DeviceAsync(server, http, work, "warm"))
            {
                BenchFiles.CopyTree(warm, w.Folder);
                await SyncAsync(w);
            }

            if (only is null or "big" or "medium" && !cold)
            {
                await WarmLargePathAsync(server, http, work);
            }

            if (only is null or "small" && !cold)
            {
                await WarmSmallPathAsync(server, http, work, Math.Min(500, smallFiles));
            }

            if (only is null or "big")
            {
                for (var round = 1; round <= runs.Rounds; round++)
                {
                    Announce(runs, round, rclone);
                    await BigFileAsync(server, http, rsync, rclone, work, sizeMiB * 1024L * 1024, runs, round);
                }
            }

            if (only == "medium")
            {
                // Not part of the default run (no peer side): a pass of many medium files down, for per-download costs.
                for (var round = 1; round <= runs.Rounds; round++)
                {
                    await MediumFilesAsync(server, http, work, Arg(args, "--medium-files", 32), Arg(args, "--medium-mib", 32), round);
                }
            }

            if (only is null or "small")
            {
                for (var round = 1; round <= runs.Rounds; round++)
                {
                    Announce(runs, round, rclone);
                    await SmallFilesAsync(server, http, rsync, rclone, work, smallFiles, runs, round);
                }
            }
        }
        finally
        {
            _server?.Dispose();
            _server = null;
            BenchFiles.TryDelete(work);
        }

        Console.WriteLine();
        Console.WriteLine($"| figure | dropsync (CPU: client + server) | rsync daemon | rclone WebDAV | dropsync/rsync | dropsync/rclone |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var row in runs.Rows())
        {
            Console.WriteLine(row);
        }

        Console.WriteLine($"load average after the run: {LoadAverage()}");
    }

    /// <summary>
    /// Untimed: four 64 MiB files, each up and then down by blocks (other bytes than the timed file's, so nothing is
    /// deduplicated), a pause before each, so that the timed 1 GiB steps find the block path compiled at its final tier,
    /// as a long-running server (and the AOT-compiled CLI) has it. A profile of the cold run put the server's JIT at 24 %
    /// of its CPU during the upload. One file was enough before upload runs (round 13): a 64 MiB file now makes ~7 run
    /// PUTs and ~28 cuts, fewer than the runtime's 30 calls for tier-1, so round 14's profile still found 0.24 (client)
    /// + 0.29 (server) CPU-s of JIT inside the timed GiB's upload, 13 % of each side's CPU there.
    /// </summary>
    private static async Task WarmLargePathAsync(ServerProcess server, HttpClient http, string work)
    {
        Console.WriteLine("warming the block path with 4 files of 64 MiB (untimed; --cold skips it)...");
        await using var up = await DeviceAsync(server, http, work, "warm-big");
        await using var down = await DeviceAsync(server, http, work, "warm-big", up.Email);
        for (var round = 1; round <= 4; round++)
        {
            await Task.Delay(300);
            await RandomFile.WriteAsync(Path.Combine(up.Folder, $"warm-{round}.bin"), 64L * 1024 * 1024, seed: 6 + round);
            await SyncAsync(up);
            await Task.Delay(300);
            await SyncAsync(down);
        }
    }

    /// <summary>
    /// Untimed: three more rounds of small files up and down (other bytes each round), a pause before each, so that the
    /// timed small-file steps find the batch paths compiled at their final tier, as a server that has been running does.
    /// One round is not enough: the runtime starts counting calls for tier-1 only once new code has stopped appearing
    /// for 100 ms (TC_CallCountingDelayMs), so methods first run in the first round were promoted, and their tier-1
    /// code compiled on a background thread, during the timed upload (2.0 CPU-s of the server's there in round 7's
    /// profile; 0.25 s with these rounds). <c>--cold</c> skips them: then only the first round has run, as before round 8.
    /// </summary>
    private static async Task WarmSmallPathAsync(ServerProcess server, HttpClient http, string work, int count)
    {
        Console.WriteLine($"warming the batch paths with 3 rounds of {count} small files up and down (untimed; --cold skips it)...");
        for (var round = 1; round <= 3; round++)
        {
            await Task.Delay(300);
            await using var up = await DeviceAsync(server, http, work, $"warm-small-{round}");
            await BenchFiles.WriteSmallFilesAsync(up.Folder, count, seed: 100 + round);
            await up.Engine.SyncAsync(new SyncOptions());
            await Task.Delay(300);
            await using var down = await DeviceAsync(server, http, work, $"warm-small-{round}", up.Email);
            await down.Engine.SyncAsync(new SyncOptions());
        }

        // profiling/profile-small.sh marks the end of each step by this line.
        using var self = Process.GetCurrentProcess();
        Console.WriteLine($"  warm-up done; peak RSS: client {self.PeakWorkingSet64 / 1024 / 1024} MiB, server {(ServerPeakWorkingSet() / 1024 / 1024)} MiB");
    }

    private static long ServerPeakWorkingSet()
    {
        _server?.Refresh();
        return _server?.PeakWorkingSet64 ?? 0;
    }

    private static async Task BigFileAsync(ServerProcess server, HttpClient http, RsyncDaemon rsync, RcloneWebDav? rclone, string work, long size, PeerRuns runs, int round)
    {
        // Round 1 as the single run always was; later rounds under names (and bytes) of their own.
        var (tag, seed) = round == 1 ? ("big", 42) : ($"big-{round}", 42 + round);
        var source = Directory.CreateDirectory(Path.Combine(work, "big-src")).FullName;
        var big = Path.Combine(source, "big.bin");
        Console.WriteLine($"writing a {size / 1024 / 1024} MiB random file...");
        await RandomFile.WriteAsync(big, size, seed);
        var mib = size / 1024 / 1024;

        await using var a = await DeviceAsync(server, http, work, "big");
        File.Copy(big, Path.Combine(a.Folder, "big.bin"));
        (TimeSpan Elapsed, SyncReport Report, (TimeSpan Client, TimeSpan Server) Cpu) up = default, down = default, delta = default;
        (TimeSpan Elapsed, long Sent) rsyncUp = default, rsyncDelta = default;
        TimeSpan rsyncDown = default;
        TimeSpan? rcloneUp = null, rcloneDown = null, rcloneDelta = null;
        await InTurnAsync(round, rclone, async () => up = await SyncAsync(a), async () => rsyncUp = await rsync.UploadAsync(source, tag),
            async () => rcloneUp = await rclone!.UploadAsync(source, tag));
        Row(runs, $"{mib} MiB, first sync up", up.Elapsed, rsyncUp.Elapsed, rcloneUp, size, up.Cpu);
        await ScanAloneAsync(big);

        // Device B and the peers' downloaded copies stay for the one-byte insert's way down.
        await using var b = await DeviceAsync(server, http, work, "big", a.Email);
        var rsyncCopy = Path.Combine(work, "rsync-down");
        var rcloneCopy = Path.Combine(work, "rclone-down");
        await InTurnAsync(round, rclone, async () => down = await SyncAsync(b),
            async () => rsyncDown = await rsync.DownloadAsync(tag, rsyncCopy),
            async () => rcloneDown = await rclone!.DownloadAsync(tag, rcloneCopy));
        Row(runs, $"{mib} MiB, first sync down", down.Elapsed, rsyncDown, rcloneDown, size, down.Cpu);

        BenchFiles.InsertByteInMiddle(Path.Combine(a.Folder, "big.bin"));
        BenchFiles.InsertByteInMiddle(big);
        await InTurnAsync(round, rclone, async () => delta = await SyncAsync(a), async () => rsyncDelta = await rsync.UploadAsync(source, tag),
            async () => rcloneDelta = await rclone!.UploadAsync(source, tag));
        Row(runs, $"one byte inserted in the middle of {mib} MiB, sync up", delta.Elapsed, rsyncDelta.Elapsed, rcloneDelta, 0, delta.Cpu);
        Console.WriteLine($"  bytes sent: dropsync {MiB(delta.Report!.BytesUploaded)} of block data; rsync {MiB(rsyncDelta.Sent)} (--stats, whole stream); rclone re-sends the file");
        runs.AddSent("…bytes sent", size, new SentRun(delta.Report.BytesUploaded, rsyncDelta.Sent));

        // The same change onto the device that holds the old version: rsync's pull sends its checksums and gets the
        // delta back (and rebuilds the file, as dropsync does); rclone fetches the whole file again.
        (TimeSpan Elapsed, SyncReport Report, (TimeSpan Client, TimeSpan Server) Cpu) deltaDown = default;
        TimeSpan rsyncDeltaDown = default;
        TimeSpan? rcloneDeltaDown = null;
        await InTurnAsync(round, rclone, async () => deltaDown = await SyncAsync(b), async () => rsyncDeltaDown = await rsync.DownloadAsync(tag, rsyncCopy),
            async () => rcloneDeltaDown = await rclone!.DownloadAsync(tag, rcloneCopy));
        Row(runs, $"one byte inserted in the middle of {mib} MiB, sync down", deltaDown.Elapsed, rsyncDeltaDown, rcloneDeltaDown, 0, deltaDown.Cpu);
        Console.WriteLine($"  dropsync fetched {MiB(deltaDown.Report!.BytesDownloaded)} and took {MiB(deltaDown.Report.BytesReusedLocally)} from the old version");
        BenchFiles.TryDelete(rsyncCopy);
        BenchFiles.TryDelete(rcloneCopy);
        if (round < runs.Rounds)
        {
            BenchFiles.TryDelete(b.Folder);
        }

        BenchFiles.TryDelete(source);
        if (round < runs.Rounds)
        {
            // The next round starts from empty folders, as the first did (and 1 GiB less on the disk).
            BenchFiles.TryDelete(a.Folder);
            DeletePeerCopies(rsync, rclone, tag);
        }
    }

    /// <summary>
    /// Times the scan the upload runs before its first PUT (FastCDC, then SHA-256 of each block; the file in the page
    /// cache, as it was for the sync): the most that sending blocks while the file is still being scanned could save.
    /// </summary>
    private static async Task ScanAloneAsync(string path)
    {
        using var self = Process.GetCurrentProcess();
        var cpu = self.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
        {
            _ = await FastCdc.ChunkAsync(stream, ChunkerOptions.ForLength(stream.Length));
        }

        var elapsed = clock.Elapsed;
        self.Refresh();
        Console.WriteLine($"  the upload's scan alone (untimed above; what overlapping it with the PUTs could save at most): {elapsed.TotalSeconds:0.00} s, {(self.TotalProcessorTime - cpu).TotalSeconds:0.00} CPU-s");
    }

    private static async Task SmallFilesAsync(ServerProcess server, HttpClient http, RsyncDaemon rsync, RcloneWebDav? rclone, string work, int count, PeerRuns runs, int round)
    {
        var (tag, seed) = round == 1 ? ("small", 5) : ($"small-{round}", 1000 + round);
        var source = Directory.CreateDirectory(Path.Combine(work, "small-src")).FullName;
        await BenchFiles.WriteSmallFilesAsync(source, count, seed);
        await using var a = await DeviceAsync(server, http, work, "small");
        BenchFiles.CopyTree(source, a.Folder);
        (TimeSpan Elapsed, SyncReport Report, (TimeSpan Client, TimeSpan Server) Cpu) up = default, down = default;
        TimeSpan rsyncUp = default, rsyncDown = default;
        TimeSpan? rcloneUp = null, rcloneDown = null;
        await InTurnAsync(round, rclone, async () => up = await SyncAsync(a), async () => rsyncUp = (await rsync.UploadAsync(source, tag)).Elapsed,
            async () => rcloneUp = await rclone!.UploadAsync(source, tag));
        Row(runs, $"first sync of {count:N0} files of 2–6 KiB, up", up.Elapsed, rsyncUp, rcloneUp, 0, up.Cpu);
        Console.WriteLine($"  dropsync uploaded {up.Report!.FilesUploaded} files");

        // Nothing changed, sent again: dropsync as a one-shot `dropsync sync` runs (a fresh engine and change source, so
        // the index and the stored server tree are read from disk), rsync and rclone sending the same folder again. First,
        // untimed, the sync after the upload: its delta holds the upload's own 100,000 changes (a watcher pays that once).
        await a.Engine.SyncAsync(new SyncOptions());
        var idleSource = new CursorChangeSource(a.Api);
        var idle = a with { Source = idleSource, Engine = new SyncEngine(a.Api, a.Folder, idleSource, Path.GetFileName(a.Folder)) };
        (TimeSpan Elapsed, SyncReport Report, (TimeSpan Client, TimeSpan Server) Cpu) again = default;
        TimeSpan rsyncAgain = default;
        TimeSpan? rcloneAgain = null;
        await InTurnAsync(round, rclone, async () => again = await SyncAsync(idle), async () => rsyncAgain = (await rsync.UploadAsync(source, tag)).Elapsed,
            async () => rcloneAgain = await rclone!.UploadAsync(source, tag));
        await idleSource.DisposeAsync();
        Row(runs, $"idle re-sync of {count:N0} files (nothing changed), one-shot", again.Elapsed, rsyncAgain, rcloneAgain, 0, again.Cpu);
        if (again.Report!.FilesUploaded + again.Report.FilesDownloaded > 0)
        {
            Console.WriteLine($"  the idle re-sync was not idle: {again.Report.FilesUploaded} up, {again.Report.FilesDownloaded} down");
        }

        await using var b = await DeviceAsync(server, http, work, "small", a.Email);
        await InTurnAsync(round, rclone, async () => down = await SyncAsync(b),
            async () => rsyncDown = await rsync.DownloadAsync(tag, Path.Combine(work, "rsync-small-down")),
            async () => rcloneDown = await rclone!.DownloadAsync(tag, Path.Combine(work, "rclone-small-down")));
        Row(runs, $"first sync of {count:N0} files of 2–6 KiB, down", down.Elapsed, rsyncDown, rcloneDown, 0, down.Cpu);
        Console.WriteLine($"  dropsync downloaded {down.Report!.FilesDownloaded} files");
        if (round < runs.Rounds)
        {
            // The next round starts from empty folders, as the first did.
            foreach (var folder in new[] { source, a.Folder, b.Folder, Path.Combine(work, "rsync-small-down"), Path.Combine(work, "rclone-small-down") })
            {
                BenchFiles.TryDelete(folder);
            }

            DeletePeerCopies(rsync, rclone, tag);
        }
    }

    /// <summary>Says which round this is and who goes first in it (nothing with one run, whose output is as it always was).</summary>
    private static void Announce(PeerRuns runs, int round, RcloneWebDav? rclone)
    {
        if (runs.Rounds > 1)
        {
            Console.WriteLine($"round {round} of {runs.Rounds}, each step in the order {string.Join(", ", PeerRuns.InTurn(round, rclone is null ? ["dropsync", "rsync"] : new[] { "dropsync", "rsync", "rclone" }))}");
        }
    }

    /// <summary>Runs one step's tools one after the other, in the round's order (<see cref="PeerRuns.InTurn"/>); rclone only when it is running.</summary>
    private static async Task InTurnAsync(int round, RcloneWebDav? rclone, Func<Task> dropsync, Func<Task> rsync, Func<Task> rcloneRun)
    {
        foreach (var run in PeerRuns.InTurn(round, rclone is null ? [dropsync, rsync] : new[] { dropsync, rsync, rcloneRun }))
        {
            await WriteBackDirtyPagesAsync();
            await run();
        }
    }

    /// <summary>
    /// Writes back every dirty page (sync(1)) before each tool's timed run, untimed, so that no tool pays for another's
    /// writes: on ext4 (data=ordered) an fsync commits the journal and so waits for the data of every file written
    /// since — rsync's copy it never flushed, this benchmark's fresh 1 GiB source. Round 13's scheduler trace showed the
    /// 1 GiB download's last 0.75 s as one client thread in D state after the last byte had arrived.
    /// </summary>
    private static async Task WriteBackDirtyPagesAsync()
    {
        using var sync = Process.Start(new ProcessStartInfo("sync") { UseShellExecute = false })
            ?? throw new InvalidOperationException("could not start sync(1)");
        await sync.WaitForExitAsync();
    }

    /// <summary>The peers' copies of a round's files, removed so that the next round's uploads start from nothing, as the first did.</summary>
    private static void DeletePeerCopies(RsyncDaemon rsync, RcloneWebDav? rclone, string tag)
    {
        BenchFiles.TryDelete(Path.Combine(rsync.Root, tag));
        if (rclone is not null)
        {
            BenchFiles.TryDelete(Path.Combine(rclone.Root, tag));
        }
    }

    private static void Row(PeerRuns runs, string figure, TimeSpan dropsync, TimeSpan rsync, TimeSpan? rclone, long bytes, (TimeSpan Client, TimeSpan Server) cpu)
    {
        string Cell(TimeSpan? t) => t is not { } v ? "—" : bytes > 0 ? $"{bytes / v.TotalSeconds / 1e6:0} MB/s ({v.TotalSeconds:0.00} s)" : $"{v.TotalSeconds:0.00} s";
        Console.WriteLine($"{figure}: dropsync {Cell(dropsync)} (CPU: client {cpu.Client.TotalSeconds:0.00} s, server {cpu.Server.TotalSeconds:0.00} s); rsync {Cell(rsync)}, ratio {Ratio(dropsync, rsync)}; " +
            $"rclone {Cell(rclone)}, ratio {Ratio(dropsync, rclone)}");
        runs.AddTimes(figure, bytes, new TimeRun(dropsync, rsync, rclone, cpu.Client, cpu.Server));
    }

    private static string Ratio(TimeSpan ours, TimeSpan? theirs) => Ratio(ours.Ticks, theirs?.Ticks ?? 0);

    private static string Ratio(long ours, long theirs) => theirs > 0 ? (ours / (double)theirs).ToString("0.00", CultureInfo.InvariantCulture) : "—";

    private static string MiB(long bytes) => $"{bytes / 1024.0 / 1024:0.00} MiB";

    /// <summary>The server's process, for its CPU time next to the client's (set once the server is up).</summary>
    private static Process? _server;

    /// <summary>One dropsync run, timed, with the CPU seconds the client (this process) and the server spent on it.</summary>
    private static async Task<(TimeSpan Elapsed, SyncReport Report, (TimeSpan Client, TimeSpan Server) Cpu)> SyncAsync(PeerBenchDevice device)
    {
        using var self = Process.GetCurrentProcess();
        var (client, server) = (self.TotalProcessorTime, ServerCpu());
        var (allocated, collections, faults) = (GC.GetTotalAllocatedBytes(precise: true), (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)), MinorFaults());
        device.Requests.Reset();
        var sw = Stopwatch.StartNew();
        var report = await device.Engine.SyncAsync(new SyncOptions());
        var elapsed = sw.Elapsed;
        // Untimed: the sync answered with its files in place; the space of the files it replaced is freed behind it
        // (SyncEngine.SettleAsync), and the next step should not share the disk with that.
        await device.Engine.SettleAsync();
        if (sw.Elapsed - elapsed is { TotalMilliseconds: >= 1 } settling)
        {
            Console.WriteLine($"  replaced files freed {settling.TotalSeconds:0.00} s after the sync answered (untimed)");
        }

        device.Requests.WriteTimeline($"{Path.GetFileName(device.Folder)} {elapsed.TotalMilliseconds:0} ms");
        Console.WriteLine($"  dropsync requests: {device.Requests.Total} ({device.Requests.Summary()}); refused with 429/503 and retried: {device.Requests.Refused}");
        if (report.Errors.Count > 0)
        {
            Console.WriteLine($"  dropsync reported {report.Errors.Count} errors, first: {report.Errors[0]}");
        }

        self.Refresh();
        _server?.Refresh();
        Console.WriteLine($"  peak RSS: client {self.PeakWorkingSet64 / 1024 / 1024} MiB, server {(_server?.PeakWorkingSet64 ?? 0) / 1024 / 1024} MiB");
        // The client's managed allocations in the run (the benchmark's own are a few objects), and the collections they cost.
        Console.WriteLine($"  client allocated: {MiB(GC.GetTotalAllocatedBytes(precise: true) - allocated)} managed; GCs gen0/1/2 " +
            $"{GC.CollectionCount(0) - collections.Item1}/{GC.CollectionCount(1) - collections.Item2}/{GC.CollectionCount(2) - collections.Item3}; " +
            $"minor page faults {MinorFaults() - faults}; RSS now {self.WorkingSet64 / 1024 / 1024} MiB");
        return (elapsed, report, (self.TotalProcessorTime - client, ServerCpu() - server));
    }

    /// <summary>This process's minor page faults so far (Linux: <c>/proc/self/stat</c>, field 10; 0 elsewhere): memory touched for the first time.</summary>
    private static long MinorFaults()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, minflt field 10.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[7], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static TimeSpan ServerCpu()
    {
        _server?.Refresh();
        return _server?.TotalProcessorTime ?? TimeSpan.Zero;
    }

    private static async Task<PeerBenchDevice> DeviceAsync(ServerProcess server, HttpClient http, string work, string tag, string? email = null)
    {
        if (email is null)
        {
            email = $"bench-{tag}-{Guid.NewGuid():N}@example.com";
            (await http.PostAsJsonAsync("/auth/register", new { email, password = Password })).EnsureSuccessStatusCode();
        }

        using var anonymous = new DropSyncApi(server.BaseAddress, null);
        var name = $"{tag}-{Guid.NewGuid():N}";
        var login = await anonymous.LoginAsync(email, Password, name, default);
        var folder = Directory.CreateDirectory(Path.Combine(work, name)).FullName;
#pragma warning disable CA2000 // The API's HttpClient owns and disposes the handler.
        var requests = new RequestCounter();
        var api = new DropSyncApi(server.BaseAddress, login.AccessToken, requests);
#pragma warning restore CA2000
        var source = new CursorChangeSource(api);
        return new PeerBenchDevice(email, folder, api, source, new SyncEngine(api, folder, source, name), requests);
    }

    private static string FirstLine(string file, string arg)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, arg) { RedirectStandardOutput = true, UseShellExecute = false })!;
            var line = process.StandardOutput.ReadLine() ?? file;
            process.WaitForExit();
            return line.Trim();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return $"{file} (version unknown)";
        }
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static string? StringArg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}

internal sealed record PeerBenchDevice(string Email, string Folder, DropSyncApi Api, CursorChangeSource Source, SyncEngine Engine, RequestCounter Requests) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await Source.DisposeAsync();
        Api.Dispose();
    }
}
