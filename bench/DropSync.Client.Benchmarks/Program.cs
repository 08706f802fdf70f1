using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using DropSync.Client.Api;
using DropSync.Client.Chunking;
using DropSync.Client.Sync;
using DropSync.Testing;

// dotnet run -c Release --project bench/DropSync.Client.Benchmarks -- [--size-mib 1024] [--small-files 10000] [--tries 20] [--incremental-only ...]
// ... -- --peers [--size-mib 1024] [--small-files 10000] [--only small|big] [--large-only] [--skip-rclone] [--cold] [--repeat 1]: the side-by-side run against rsync and rclone (PeerComparison.cs).
// --incremental-only: only issue 11's incremental steps (IncrementalSteps.cs, which lists their flags).
// --scan-only [--size-mib 1024] [--tries 5] [--file PATH]: the upload's scan alone, in CPU-seconds (ScanOnly.cs).
if (args.Contains("--scan-only"))
{
    await ScanOnly.RunAsync(args);
    return;
}

if (args.Contains("--peers"))
{
    await PeerComparison.RunAsync(args);
    return;
}

if (args.Contains("--incremental-only"))
{
    await IncrementalSteps.RunAsync(args);
    return;
}

var sizeMiB = Arg("--size-mib", 1024);
var smallFiles = Arg("--small-files", 10_000);
var tries = Arg("--tries", 20);
var work = Directory.CreateTempSubdirectory("dropsync-client-bench-").FullName;
try
{
    var big = Path.Combine(work, "big.bin");
    Console.WriteLine($"writing a {sizeMiB} MiB random file...");
    await RandomFile.WriteAsync(big, sizeMiB * 1024L * 1024);
    var size = new FileInfo(big).Length;

    // 1. Chunk + hash.
    double best = 0;
    IReadOnlyList<Chunk> chunks = [];
    for (var i = 0; i < 3; i++)
    {
        var sw = Stopwatch.StartNew();
        await using var stream = new FileStream(big, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        chunks = await FastCdc.ChunkAsync(stream);
        best = Math.Max(best, size / sw.Elapsed.TotalSeconds / 1e9);
    }

    Console.WriteLine($"chunk+hash (FastCDC + SHA-256 on {Environment.ProcessorCount} cores): {best:0.00} GB/s, {chunks.Count} blocks, avg {size / chunks.Count / 1024} KiB");

    await using var server = await ServerProcess.StartAsync(Path.Combine(work, "server-data"), Path.Combine(work, "keys"));
    using var http = server.CreateClient();

    // 2. First upload of the large file.
    var email = await RegisterAsync(http, "big");
    using (var a = await DeviceAsync(server, email, "a", work))
    {
        File.Move(big, Path.Combine(a.Folder, "big.bin"));
        var sw = Stopwatch.StartNew();
        var first = await a.Engine.SyncAsync(new SyncOptions());
        Console.WriteLine($"first upload: {size / sw.Elapsed.TotalSeconds / 1e6:0} MB/s ({first.BytesUploaded / 1024 / 1024} MiB sent in {sw.Elapsed.TotalSeconds:0.0} s)");

        // 3. One byte inserted in the middle.
        var path = Path.Combine(a.Folder, "big.bin");
        BenchFiles.InsertByteInMiddle(path);
        sw.Restart();
        var delta = await a.Engine.SyncAsync(new SyncOptions());
        const long Fixed = 4 * 1024 * 1024;
        var fixedBytes = size + 1 - (size / 2 / Fixed * Fixed);
        Console.WriteLine($"one-byte insert in the middle: {delta.BytesUploaded / 1024.0 / 1024:0.00} MiB sent in {sw.Elapsed.TotalSeconds:0.0} s " +
            $"(fixed 4 MiB blocks would send {fixedBytes / 1024.0 / 1024:0} MiB)");
        File.Delete(path);
    }

    // 4. First sync of many small files: batched (/files/upload_batch), then one request per file for comparison. A
    // first round of 500 files each way, not timed, warms the server (JIT, SQLite's cache): otherwise whichever mode
    // runs first pays for it and the comparison says nothing.
    foreach (var (batched, warmUp) in new[] { (true, true), (false, true), (true, false), (false, false) })
    {
        var count = warmUp ? Math.Min(500, smallFiles) : smallFiles;
        var smallEmail = await RegisterAsync(http, "small");
        using (var a = await DeviceAsync(server, smallEmail, "a", work))
        {
            var rng = new Random(5);
            for (var i = 0; i < count; i++)
            {
                var bytes = new byte[2048 + rng.Next(4096)];
                rng.NextBytes(bytes);
                var dir = Path.Combine(a.Folder, $"dir{i % 100:000}");
                Directory.CreateDirectory(dir);
                await File.WriteAllBytesAsync(Path.Combine(dir, $"file{i:00000}.dat"), bytes);
            }

            var sw = Stopwatch.StartNew();
            var report = await a.Engine.SyncAsync(new SyncOptions { BatchUploads = batched });
            if (warmUp)
            {
                continue;
            }

            Console.WriteLine($"first sync of {smallFiles} small files (2-6 KiB), {(batched ? "batched uploads" : "one request per file")}: " +
                $"{sw.Elapsed.TotalSeconds:0.00} s ({report.FilesUploaded} uploaded, {report.Errors.Count} errors)");
            if (!batched)
            {
                continue;
            }

            using var b = await DeviceAsync(server, smallEmail, "b", work);
            sw.Restart();
            var down = await b.Engine.SyncAsync(new SyncOptions());
            Console.WriteLine($"  and onto a second device: {sw.Elapsed.TotalSeconds:0.00} s ({down.FilesDownloaded} downloaded); idle re-sync: {await Time(() => a.Engine.SyncAsync(new SyncOptions())):0.00} s");
        }
    }

    // 5. Save on A -> complete on B, B woken by the live change feed (the fallback catch-up is minutes away).
    var latencyEmail = await RegisterAsync(http, "latency");
    using (var a = await DeviceAsync(server, latencyEmail, "a", work))
    using (var b = await DeviceAsync(server, latencyEmail, "b", work))
    {
        for (var i = 0; i < 20; i++)
        {
            await File.WriteAllTextAsync(Path.Combine(a.Folder, $"existing{i}.txt"), "x");
        }

        await a.Engine.SyncAsync(new SyncOptions());
        var poll = TimeSpan.FromMinutes(5);
        using var stop = new CancellationTokenSource();
        var bWatch = new SyncWatcher(b.Engine, b.Source).RunAsync(new SyncOptions(), poll, _ => { }, e => Console.WriteLine(e.Message), stop.Token);
        var aWatch = new SyncWatcher(a.Engine, a.Source).RunAsync(new SyncOptions(), poll, _ => { }, e => Console.WriteLine(e.Message), stop.Token);
        await Task.Delay(1000);
        var samples = new List<double>();
        for (var i = 0; i < tries; i++)
        {
            var text = $"edit {i} {Guid.NewGuid()}";
            var target = Path.Combine(b.Folder, "note.txt");
            var sw = Stopwatch.StartNew();
            await File.WriteAllTextAsync(Path.Combine(a.Folder, "note.txt"), text);
            while (!(File.Exists(target) && SafeRead(target) == text))
            {
                await Task.Delay(5);
                if (sw.Elapsed > TimeSpan.FromSeconds(30))
                {
                    throw new TimeoutException("the edit did not arrive within 30 s");
                }
            }

            samples.Add(sw.Elapsed.TotalMilliseconds);
            await Task.Delay(Random.Shared.Next(50, 300));
        }

        await stop.CancelAsync();
        await Task.WhenAll(aWatch, bWatch).ContinueWith(_ => { }, TaskScheduler.Default);
        samples.Sort();
        Console.WriteLine($"save on A -> complete on B (both watching; B woken by the WebSocket feed), {tries} tries: " +
            $"p50 {IncrementalSteps.Percentile(samples, 0.5):0} ms, p99 {IncrementalSteps.Percentile(samples, 0.99):0} ms, max {samples[^1]:0} ms");
    }
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

await IncrementalSteps.RunAsync(args);

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static async Task<double> Time(Func<Task> action)
{
    var sw = Stopwatch.StartNew();
    await action();
    return sw.Elapsed.TotalSeconds;
}

static string? SafeRead(string path)
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

static async Task<string> RegisterAsync(HttpClient http, string tag)
{
    var email = $"bench-{tag}-{Guid.NewGuid():N}@example.com";
    (await http.PostAsJsonAsync("/auth/register", new { email, password = "benchmark password" })).EnsureSuccessStatusCode();
    return email;
}

static async Task<BenchDevice> DeviceAsync(ServerProcess server, string email, string name, string work)
{
    using var anonymous = new DropSyncApi(server.BaseAddress, null);
    var login = await anonymous.LoginAsync(email, "benchmark password", name, default);
    var folder = Directory.CreateDirectory(Path.Combine(work, $"{name}-{Guid.NewGuid():N}")).FullName;
    var api = new DropSyncApi(server.BaseAddress, login.AccessToken);
    var source = new CursorChangeSource(api) { Debounce = TimeSpan.FromMilliseconds(20) };
    return new BenchDevice(folder, api, source, new SyncEngine(api, folder, source, name));
}

internal sealed record BenchDevice(string Folder, DropSyncApi Api, CursorChangeSource Source, SyncEngine Engine) : IDisposable
{
    public void Dispose()
    {
        Source.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Api.Dispose();
    }
}
