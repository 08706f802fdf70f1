using System.Globalization;
using DropSync.Aws.Benchmarks;

// dotnet run -c Release --project bench/DropSync.Aws.Benchmarks -- [--commits 500] [--concurrency 8]
// dotnet run -c Release --project bench/DropSync.Aws.Benchmarks -- live [--commits 100]
// dotnet run -c Release --project bench/DropSync.Aws.Benchmarks -- uploads [--commits 20]
// dotnet run -c Release --project bench/DropSync.Aws.Benchmarks -- maintenance [--commits 100]
// dotnet run -c Release --project bench/DropSync.Aws.Benchmarks -- tiering [--commits 100]
// dotnet run -c Release --project bench/DropSync.Aws.Benchmarks -- load [--seconds 60] [--rate 83.3]
// Figures go to stdout; progress and notes to stderr.
const string Usage = """
    usage: DropSync.Aws.Benchmarks [--commits 500] [--concurrency 8] [--repeat 10]

      AWS mode's commit path (the core services over the DynamoDB adapters) against DynamoDB Local, which it installs
      (scripts/aws-test-servers.sh, into .tools/aws-servers; needs node and Java 17+), starts in memory on a free
      loopback port and stops at the end. Block bytes stay in memory: the figures are DynamoDB's.
      Prints commits/s and p50/p99 commit latency (sequential; concurrent in separate namespaces; concurrent in one
      namespace) and the read and write capacity units DynamoDB Local reports per API operation, beside the write units
      AWS bills by its documented rules (DynamoDB Local meters transactions differently; CapacityProbe explains).
      --commits      commits per throughput step (default 500)
      --concurrency  committers in the concurrent steps (default 8)
      --repeat       repetitions each capacity figure is averaged over (default 10)

    usage: DropSync.Aws.Benchmarks uploads [--commits 20]

      S3 and DynamoDB requests per uploaded block through real presigned URLs (fauxqs and DynamoDB Local): the staged
      flow as it was (PUT incoming/, HEAD, COPY, DELETE) beside the direct one (PUT blocks/{sha256} once). --commits
      is the number of resumable uploads (2 blocks each) per flow.

    usage: DropSync.Aws.Benchmarks maintenance [--commits 100]

      One garbage-collection run's DynamoDB requests, capacity units and S3 requests with 10,000 and 100,000 blocks
      stored and --commits changes (and ten times as many), beside the bucket-listing sweep it replaces; then the same
      for cold tiering (the retention pass that counts current references, and one tiering run, with its S3 requests).
      `tiering` runs the cold-tiering part alone.

    usage: DropSync.Aws.Benchmarks load [--seconds 60] [--rate 83.3]

      The capacity model's daily mix for 10,000 daily users at their peak (83.3 requests/s, 1/1000 of 10M users'
      peak), open-loop for --seconds, against the API in AWS mode in-process over DynamoDB Local and fauxqs. Prints
      RRU, WRU, S3 and SQS requests per operation beside the model's (docs/architecture.md, "Capacity model").

    usage: DropSync.Aws.Benchmarks live [--commits 100]

      The live feed: p50/p99 from a commit's answer to the event on another device, embedded mode (the server process)
      and AWS mode through the local serverless harness (tests/DropSync.AwsHarness), in the same run, and their ratio.
    """;

var step = args.Length > 0 && args[0] is "live" or "uploads" or "maintenance" or "tiering" or "load" ? args[0] : null;
var live = step == "live";
if (step is not null)
{
    args = args[1..];
}

var commits = step switch { "live" or "maintenance" or "tiering" => 100, "uploads" => 20, _ => 500 };
var concurrency = 8;
var repeat = 10;
var seconds = 60;
var rate = 10_000 * 240 * 3 / 86_400.0;
for (var i = 0; i < args.Length; i++)
{
    var (name, value) = args[i].Split('=', 2) is [var n, var v] ? (n, v) : (args[i], i + 1 < args.Length ? args[++i] : null);
    var number = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : -1;
    switch (name)
    {
        case "--commits" when number is >= 1 and <= 100_000:
            commits = number;
            break;
        case "--concurrency" when number is >= 1 and <= 256:
            concurrency = number;
            break;
        case "--repeat" when number is >= 1 and <= 1000:
            repeat = number;
            break;
        case "--seconds" when number is >= 1 and <= 3600:
            seconds = number;
            break;
        case "--rate" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && r is >= 0.1 and <= 10_000:
            rate = r;
            break;
        default:
            Console.Error.WriteLine($"bad argument: {name} {value}{Environment.NewLine}{Usage}");
            return 2;
    }
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    Console.Error.WriteLine("cancelling: stopping DynamoDB Local ...");
    cancel.Cancel();
};

try
{
    if (live)
    {
        await LiveLatencyBenchmark.RunAsync(commits, cancel.Token);
    }
    else if (step == "load")
    {
        await LoadSimulation.RunAsync(seconds, rate, cancel.Token);
    }
    else if (step is not null)
    {
        Console.Error.WriteLine("==> installing and starting DynamoDB Local ...");
        using var server = await DynamoDbLocal.StartAsync(cancel.Token);
        using var client = server.CreateClient();
        var probe = new CapacityProbe(client);
        await (step switch
        {
            "uploads" => UploadRequestsBenchmark.RunAsync(client, probe, commits, cancel.Token),
            "tiering" => TieringBenchmark.RunAsync(client, probe, commits, cancel.Token),
            _ => MaintenanceBenchmark.RunAsync(client, probe, commits, cancel.Token),
        });
    }
    else
    {
        await AwsBenchmark.RunAsync(commits, concurrency, repeat, cancel.Token);
    }

    return 0;
}
catch (BenchmarkException e)
{
    Console.Error.WriteLine("benchmark failed: " + e.Message);
    return 1;
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("cancelled");
    return 130;
}
