using System.Globalization;
using DropSync.Benchmarks;

// dotnet run -c Release --project bench/DropSync.Benchmarks -- transfer [--size 1GiB] [--parallel 4]
// Figures go to stdout; progress and notes to stderr.
const string Usage = """
    usage: DropSync.Benchmarks transfer [--size 1GiB] [--parallel 4]

      transfer     media upload, media download, resumable upload and block download of generated files through the real
                   server process (the existing build of functions/DropSync.Api, Release preferred; nothing is built here),
                   with the server's peak memory per step.
      --size       bytes per file: 64MiB, 1GiB, 10GiB, 500MB or a plain number (at most 10 GiB, the service's file limit)
      --parallel   concurrent block PUTs and GETs in the resumable upload and block download (default 4)
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
    var report = await TransferBenchmark.RunAsync(size, parallel, cancel.Token);
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
