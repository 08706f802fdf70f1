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
/// </summary>
internal static class PeerComparison
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
        await PeerTool.EnsureInstalledAsync();
        var work = Directory.CreateTempSubdirectory("dropsync-peer-bench-").FullName;
        var table = new List<string>();
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
            await WriteSmallFilesAsync(warm, Math.Min(500, smallFiles));
            await using (var w = await DeviceAsync(server, http, work, "warm"))
            {
                CopyTree(warm, w.Folder);
                await SyncAsync(w);
            }

            if (only is null or "big" && !cold)
            {
                await WarmLargePathAsync(server, http, work);
            }

            if (only is null or "small" && !cold)
            {
                await WarmSmallPathAsync(server, http, work, Math.Min(500, smallFiles));
            }

            if (only is null or "big")
            {
                await BigFileAsync(server, http, rsync, rclone, work, sizeMiB * 1024L * 1024, table);
            }

            if (only is null or "small")
            {
                await SmallFilesAsync(server, http, rsync, rclone, work, smallFiles, table);
            }
        }
        finally
        {
            _server?.Dispose();
            _server = null;
            TryDelete(work);
        }

        Console.WriteLine();
        Console.WriteLine($"| figure | dropsync (CPU: client + server) | rsync daemon | rclone WebDAV | dropsync/rsync | dropsync/rclone |");
        Console.WriteLine("|---|---|---|---|---|---|");
        table.ForEach(Console.WriteLine);
        Console.WriteLine($"load average after the run: {LoadAverage()}");
    }

    /// <summary>
    /// Untimed: one 64 MiB file up and down by blocks (other bytes than the timed file's, so nothing is deduplicated), so
    /// that the timed 1 GiB steps find the block path compiled at its final tier, as a long-running server (and a
    /// watching client) has it. A profile of the cold run put the server's JIT at 24 % of its CPU during the upload.
    /// </summary>
    private static async Task WarmLargePathAsync(ServerProcess server, HttpClient http, string work)
    {
        Console.WriteLine("warming the block path with a 64 MiB file (untimed; --cold skips it)...");
        await using var up = await DeviceAsync(server, http, work, "warm-big");
        await RandomFile.WriteAsync(Path.Combine(up.Folder, "warm.bin"), 64L * 1024 * 1024, seed: 7);
        await SyncAsync(up);
        await using var down = await DeviceAsync(server, http, work, "warm-big", up.Email);
        await SyncAsync(down);
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
            await WriteSmallFilesAsync(up.Folder, count, seed: 100 + round);
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

    private static async Task BigFileAsync(ServerProcess server, HttpClient http, RsyncDaemon rsync, RcloneWebDav? rclone, string work, long size, List<string> table)
    {
        var source = Directory.CreateDirectory(Path.Combine(work, "big-src")).FullName;
        var big = Path.Combine(source, "big.bin");
        Console.WriteLine($"writing a {size / 1024 / 1024} MiB random file...");
        await RandomFile.WriteAsync(big, size);
        var mib = size / 1024 / 1024;

        await using var a = await DeviceAsync(server, http, work, "big");
        File.Copy(big, Path.Combine(a.Folder, "big.bin"));
        var (up, _, upCpu) = await SyncAsync(a);
        var rsyncUp = (await rsync.UploadAsync(source, "big")).Elapsed;
        var rcloneUp = rclone is null ? (TimeSpan?)null : await rclone.UploadAsync(source, "big");
        Row(table, $"{mib} MiB, first sync up", up, rsyncUp, rcloneUp, size, upCpu);
        await ScanAloneAsync(big);

        await using (var b = await DeviceAsync(server, http, work, "big", a.Email))
        {
            var (down, _, downCpu) = await SyncAsync(b);
            var rsyncDown = await rsync.DownloadAsync("big", Path.Combine(work, "rsync-down"));
            var rcloneDown = rclone is null ? (TimeSpan?)null : await rclone.DownloadAsync("big", Path.Combine(work, "rclone-down"));
            Row(table, $"{mib} MiB, first sync down", down, rsyncDown, rcloneDown, size, downCpu);
            TryDelete(Path.Combine(work, "rsync-down"));
            TryDelete(Path.Combine(work, "rclone-down"));
        }

        InsertByteInMiddle(Path.Combine(a.Folder, "big.bin"));
        InsertByteInMiddle(big);
        var (delta, report, deltaCpu) = await SyncAsync(a);
        var (rsyncDelta, rsyncSent) = await rsync.UploadAsync(source, "big");
        var rcloneDelta = rclone is null ? (TimeSpan?)null : await rclone.UploadAsync(source, "big");
        Row(table, $"one byte inserted in the middle of {mib} MiB, sync up", delta, rsyncDelta, rcloneDelta, 0, deltaCpu);
        Console.WriteLine($"  bytes sent: dropsync {MiB(report.BytesUploaded)} of block data; rsync {MiB(rsyncSent)} (--stats, whole stream); rclone re-sends the file");
        table.Add($"| …bytes sent | {MiB(report.BytesUploaded)} | {MiB(rsyncSent)} | {mib} MiB (whole file) | {Ratio(report.BytesUploaded, rsyncSent)} | |");
        TryDelete(source);
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
        Console.WriteLine($"  the upload's scan alone (untimed above; what overlapping it with the PUTs could save at most): {elapsed.TotalSeconds:0.00} s, {(self.TotalProcessorTime - cpu).TotalSeconds:0.0} CPU-s");
    }

    private static async Task SmallFilesAsync(ServerProcess server, HttpClient http, RsyncDaemon rsync, RcloneWebDav? rclone, string work, int count, List<string> table)
    {
        var source = Directory.CreateDirectory(Path.Combine(work, "small-src")).FullName;
        await WriteSmallFilesAsync(source, count);
        await using var a = await DeviceAsync(server, http, work, "small");
        CopyTree(source, a.Folder);
        var (up, upReport, upCpu) = await SyncAsync(a);
        var rsyncUp = (await rsync.UploadAsync(source, "small")).Elapsed;
        var rcloneUp = rclone is null ? (TimeSpan?)null : await rclone.UploadAsync(source, "small");
        Row(table, $"first sync of {count:N0} files of 2–6 KiB, up", up, rsyncUp, rcloneUp, 0, upCpu);
        Console.WriteLine($"  dropsync uploaded {upReport.FilesUploaded} files");

        await using var b = await DeviceAsync(server, http, work, "small", a.Email);
        var (down, downReport, downCpu) = await SyncAsync(b);
        var rsyncDown = await rsync.DownloadAsync("small", Path.Combine(work, "rsync-small-down"));
        var rcloneDown = rclone is null ? (TimeSpan?)null : await rclone.DownloadAsync("small", Path.Combine(work, "rclone-small-down"));
        Row(table, $"first sync of {count:N0} files of 2–6 KiB, down", down, rsyncDown, rcloneDown, 0, downCpu);
        Console.WriteLine($"  dropsync downloaded {downReport.FilesDownloaded} files");
    }

    private static void Row(List<string> table, string figure, TimeSpan dropsync, TimeSpan rsync, TimeSpan? rclone, long bytes, (TimeSpan Client, TimeSpan Server) cpu)
    {
        string Cell(TimeSpan? t) => t is not { } v ? "—" : bytes > 0 ? $"{bytes / v.TotalSeconds / 1e6:0} MB/s ({v.TotalSeconds:0.00} s)" : $"{v.TotalSeconds:0.00} s";
        Console.WriteLine($"{figure}: dropsync {Cell(dropsync)} (CPU: client {cpu.Client.TotalSeconds:0.0} s, server {cpu.Server.TotalSeconds:0.0} s); rsync {Cell(rsync)}, ratio {Ratio(dropsync, rsync)}; " +
            $"rclone {Cell(rclone)}, ratio {Ratio(dropsync, rclone)}");
        table.Add($"| {figure} | {Cell(dropsync)}, CPU {cpu.Client.TotalSeconds:0.0} + {cpu.Server.TotalSeconds:0.0} s | {Cell(rsync)} | {Cell(rclone)} | {Ratio(dropsync, rsync)} | {Ratio(dropsync, rclone)} |");
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
        device.Requests.Reset();
        var sw = Stopwatch.StartNew();
        var report = await device.Engine.SyncAsync(new SyncOptions());
        var elapsed = sw.Elapsed;
        Console.WriteLine($"  dropsync requests: {device.Requests.Total} ({device.Requests.Summary()}); refused with 429/503 and retried: {device.Requests.Refused}");
        if (report.Errors.Count > 0)
        {
            Console.WriteLine($"  dropsync reported {report.Errors.Count} errors, first: {report.Errors[0]}");
        }

        self.Refresh();
        _server?.Refresh();
        Console.WriteLine($"  peak RSS: client {self.PeakWorkingSet64 / 1024 / 1024} MiB, server {(_server?.PeakWorkingSet64 ?? 0) / 1024 / 1024} MiB");
        return (elapsed, report, (self.TotalProcessorTime - client, ServerCpu() - server));
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

    private static async Task WriteSmallFilesAsync(string root, int count, int seed = 5)
    {
        var rng = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var bytes = new byte[2048 + rng.Next(4096)];
            rng.NextBytes(bytes);
            var dir = Directory.CreateDirectory(Path.Combine(root, $"dir{i % 100:000}")).FullName;
            await File.WriteAllBytesAsync(Path.Combine(dir, $"file{i:00000}.dat"), bytes);
        }
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }

        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }

    private static void InsertByteInMiddle(string path)
    {
        var size = new FileInfo(path).Length;
        var temp = path + ".new";
        using (var source = File.OpenRead(path))
        using (var target = File.Create(temp))
        {
            var buffer = new byte[8 * 1024 * 1024];
            long copied = 0;
            int n;
            while ((n = source.Read(buffer, 0, (int)Math.Min(buffer.Length, Math.Max(0, (size / 2) - copied)))) > 0)
            {
                target.Write(buffer, 0, n);
                copied += n;
            }

            target.WriteByte(0x42);
            source.CopyTo(target);
        }

        File.Move(temp, path, overwrite: true);
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

    private static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

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
