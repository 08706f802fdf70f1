using System.Globalization;
using DropSync.Benchmarks;

// dotnet run -c Release --project bench/DropSync.Benchmarks -- transfer [--size 1GiB] [--parallel 4] [--warm-up 64MiB] [--warm-up-passes auto]
// dotnet run -c Release --project bench/DropSync.Benchmarks -- fanout [--devices 100] [--commits 200] [--concurrency 8]
// dotnet run -c Release --project bench/DropSync.Benchmarks -- commits [--writers 1,16,64] [--commits 3000] [--file-size 1024] [--warmup 5000]
// dotnet run -c Release --project bench/DropSync.Benchmarks -- login-flood [--flooders 64] [--seconds 20] [--same-address]
// Figures go to stdout; progress and notes to stderr.
const string Usage = """
    usage: DropSync.Benchmarks transfer [--size 1GiB] [--parallel 4] [--warm-up 64MiB] [--warm-up-passes auto]
           DropSync.Benchmarks fanout [--devices 100] [--commits 200] [--concurrency 8]
           DropSync.Benchmarks commits [--writers 1,16,64] [--commits 3000] [--file-size 1024] [--warmup 5000]
           DropSync.Benchmarks login-flood [--flooders 64] [--seconds 20] [--same-address]

      transfer     media upload, media download, the same with --parallel files at once, resumable upload and block
                   download of generated files through the real server process (the existing build of
                   functions/DropSync.Api, Release preferred; nothing is built here; DROPSYNC_BENCH_SERVER=<path to
                   DropSync.Api.dll> runs another build), with the server's peak memory and CPU per step.
      --size       bytes per file: 64MiB, 1GiB, 10GiB, 500MB or a plain number (at most 10 GiB, the service's file limit)
      --parallel   concurrent media uploads and downloads in the parallel media steps (each file size/parallel bytes),
                   and concurrent block PUTs and GETs in the resumable upload and block download (default 4)
      --warm-up    run every step once on files of this size first, not reported, so that the figures are the steady
                   state rather than the server's first-use JIT compilation (default 64MiB; 0 for a cold server)
      --warm-up-passes  how many times (1-20), or "auto" (default): until a pass leaves the server's background tier-up
                   JIT nearly idle (< 0.1 CPU-s; at least 2, at most 5 passes). 1 = one pass, as before round 9: the
                   first measured step then carries the tier-up backlog (the "cold" figure)

      fanout       one user with N devices each holding the change-feed WebSocket open, and one committing device:
                   p50/p99 from a commit's HTTP answer to the last device's event, commits/s (sequential and concurrent),
                   server peak RSS. Each device is a socket in both processes: for 1000 devices `ulimit -n` must be
                   above ~2100 (.NET raises the soft limit to the hard limit by itself).
      --devices      devices with a socket open (default 100, at most 10000)
      --commits      commits per step (default 200)
      --concurrency  committers in the concurrent step (default 8)

      commits      new small files committed by POST /files/upload (media, mode add) through the real server, by each
                   number of concurrent writers in turn: commits/s, p50/p99 commit latency, CPU per commit.
      --writers      comma-separated writer counts (default 1,16,64, each 1..1024)
      --commits      commits per step (default 3000)
      --file-size    bytes per file (default 1024, at most 4 MiB)
      --warmup       commits by 16 writers before the first step, not measured (default 5000)

      login-flood  concurrent anonymous sign-ins with wrong passwords (600,000-iteration PBKDF2) while one device probes
                   GET /healthz and POST /files/list_folder: their p50/p99 before and during the flood (target p99 <= 50 ms),
                   sign-ins by status, server CPU and peak RSS.
      --flooders     concurrent flooding clients (default 64), each with its own X-Forwarded-For address and e-mails
      --seconds      how long the flood lasts (default 20)
      --same-address every flooder from one address (the per-address limit then refuses most)
    """;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    Console.Error.WriteLine("cancelling: stopping the server and deleting its data ...");
    cancel.Cancel();
};

long size = ByteSize.GiB;
var parallel = 4;
var warmUp = 64 * ByteSize.MiB;
var warmUpPasses = 0;
if (args.Length > 0 && args[0] == "fanout")
{
    var devices = 100;
    var commits = 200;
    var concurrency = 8;
    for (var i = 1; i < args.Length; i++)
    {
        var (name, value) = args[i].Split('=', 2) is [var n, var v] ? (n, v) : (args[i], i + 1 < args.Length ? args[++i] : null);
        var number = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : -1;
        switch (name)
        {
            case "--devices" when number is >= 1 and <= 10_000:
                devices = number;
                break;
            case "--commits" when number is >= 1 and <= 100_000:
                commits = number;
                break;
            case "--concurrency" when number is >= 1 and <= 256:
                concurrency = number;
                break;
            default:
                Console.Error.WriteLine($"bad argument: {name} {value}{Environment.NewLine}{Usage}");
                return 2;
        }
    }

    return await RunStepAsync(() => FanoutBenchmark.RunAsync(devices, commits, concurrency, cancel.Token), cancel);
}

if (args.Length > 0 && args[0] == "login-flood")
{
    var flooders = 64;
    var seconds = 20;
    var sameAddress = false;
    for (var i = 1; i < args.Length; i++)
    {
        var (name, value) = args[i] == "--same-address" ? (args[i], null) : args[i].Split('=', 2) is [var n, var v] ? (n, v) : (args[i], i + 1 < args.Length ? args[++i] : null);
        var number = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : -1;
        switch (name)
        {
            case "--flooders" when number is >= 1 and <= 1024:
                flooders = number;
                break;
            case "--seconds" when number is >= 3 and <= 3600:
                seconds = number;
                break;
            case "--same-address":
                sameAddress = true;
                break;
            default:
                Console.Error.WriteLine($"bad argument: {name} {value}{Environment.NewLine}{Usage}");
                return 2;
        }
    }

    return await RunStepAsync(() => LoginFloodBenchmark.RunAsync(flooders, seconds, sameAddress, cancel.Token), cancel);
}

if (args.Length > 0 && args[0] == "commits")
{
    ClientSocketCompletions.InlineInThisProcess();
    var writers = CommitBenchmark.DefaultWriters;
    var commits = 3000;
    var fileSize = 1024;
    var warmup = 5000;
    for (var i = 1; i < args.Length; i++)
    {
        var (name, value) = args[i].Split('=', 2) is [var n, var v] ? (n, v) : (args[i], i + 1 < args.Length ? args[++i] : null);
        var number = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : -1;
        var counts = value?.Split(',').Select(w => int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : -1).ToArray();
        switch (name)
        {
            case "--writers" when counts is { Length: > 0 } && counts.All(w => w is >= 1 and <= 1024):
                writers = counts;
                break;
            case "--commits" when number is >= 1 and <= 1_000_000:
                commits = number;
                break;
            case "--file-size" when number is >= 1 and <= 4 * 1024 * 1024:
                fileSize = number;
                break;
            case "--warmup" when number is >= 0 and <= 1_000_000:
                warmup = number;
                break;
            default:
                Console.Error.WriteLine($"bad argument: {name} {value}{Environment.NewLine}{Usage}");
                return 2;
        }
    }

    return await RunStepAsync(() => CommitBenchmark.RunAsync(writers, commits, fileSize, warmup, cancel.Token), cancel);
}

if (args.Length == 0 || args[0] != "transfer")
{
    Console.Error.WriteLine(args.Length == 0 ? Usage : $"unknown command \"{args[0]}\"{Environment.NewLine}{Usage}");
    return args.Length > 0 && args[0] is "--help" or "-h" or "help" ? 0 : 2;
}

for (var i = 1; i < args.Length; i++)
{
    var argument = args[i];
    var (name, value) = args[i].Split('=', 2) is [var n, var v] ? (n, v) : (args[i], i + 1 < args.Length ? args[++i] : null);
    switch (name)
    {
        case "--size" when value is not null && ByteSize.TryParse(value, out var parsed):
            size = parsed;
            break;
        case "--warm-up" when value is "0":
            warmUp = 0;
            break;
        case "--warm-up" when value is not null && ByteSize.TryParse(value, out var warm) && warm <= ByteSize.GiB:
            warmUp = warm;
            break;
        case "--warm-up-passes" when value is "auto":
            warmUpPasses = 0;
            break;
        case "--warm-up-passes" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var passes) && passes is >= 1 and <= 20:
            warmUpPasses = passes;
            break;
        case "--parallel" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 256:
            parallel = p;
            break;
        case "--help" or "-h":
            Console.Error.WriteLine(Usage);
            return 0;
        default:
            Console.Error.WriteLine($"bad argument: {(argument == name ? $"{name} {value}".TrimEnd() : argument)}{Environment.NewLine}{Usage}");
            return 2;
    }
}

const long MaxFileSize = 10L * 1024 * 1024 * 1024;
if (size > MaxFileSize)
{
    Console.Error.WriteLine($"--size {ByteSize.Format(size)} is more than the service's 10 GiB file limit");
    return 2;
}

try
{
    var report = await TransferBenchmark.RunAsync(size, parallel, warmUp, warmUpPasses, cancel.Token);
    Report.Print(report);
    return 0;
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("cancelled.");
    return 130;
}
catch (BenchmarkException e)
{
    Console.Error.WriteLine($"FAILED: {e.Message}");
    return 1;
}
catch (HttpRequestException e)
{
    Console.Error.WriteLine($"FAILED: HTTP error talking to the server: {e.Message}");
    return 1;
}

// One step's run: Ctrl+C answers 130, a failure the benchmark names (or a connection that fails) answers 1 with its message.
static async Task<int> RunStepAsync(Func<Task<int>> step, CancellationTokenSource cancel)
{
    try
    {
        return await step();
    }
    catch (OperationCanceledException) when (cancel.IsCancellationRequested)
    {
        Console.Error.WriteLine("cancelled.");
        return 130;
    }
    catch (Exception e) when (e is BenchmarkException or HttpRequestException or System.Net.WebSockets.WebSocketException)
    {
        Console.Error.WriteLine($"FAILED: {e.Message}");
        return 1;
    }
}
