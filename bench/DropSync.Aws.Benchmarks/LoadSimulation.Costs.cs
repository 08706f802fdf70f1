using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.SQS;
using Microsoft.Extensions.DependencyInjection;

namespace DropSync.Aws.Benchmarks;

/// <summary>
/// What the load simulation's operations cost: every SDK request of the app counted and charged to the operation whose
/// execution context made it, and the report that sets those costs beside the capacity model's.
/// </summary>
internal static partial class LoadSimulation
{
    /// <summary>
    /// The model's per-operation inputs: RRU, WRU, S3 requests (per block: the simulated files are one 256 KiB block),
    /// SQS requests (60 per DAU-day over 20 commits: the send, and the fan-out's receive and delete).
    /// </summary>
    private static readonly Dictionary<string, (double Rru, double Wru, double S3, double Sqs)> Model = new(StringComparer.Ordinal)
    {
        ["upload small file"] = (10.7, 37, 1, 3),
        ["list_folder/continue"] = (5.3, 0, 0, 0),
        ["get_metadata"] = (3, 0, 0, 0),
        ["list_folder"] = (9.5, 0, 0, 0),
        ["download"] = (4, 0, 1, 0),
        ["misc (GET /config)"] = (2, 0, 0, 0),
    };

    private static void Report(
        int seconds, double rate, double elapsed, int sent, int lagging, double cpuSeconds, string[] load, Dictionary<string, OperationCost> costs, OperationCost totals)
    {
        var loadEnd = File.ReadAllText("/proc/loadavg").Split(' ')[..3];
        var i = CultureInfo.InvariantCulture;
        Console.WriteLine($"load simulation: 10,000 DAU's daily mix at {rate:0.#} requests/s (1/1000 of 10M DAU's peak), {seconds} s, in-process API in AWS mode over DynamoDB Local + fauxqs");
        Console.WriteLine(string.Create(i, $"  {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; load average {string.Join(' ', load)} at start, {string.Join(' ', loadEnd)} at end; {sent} requests in {elapsed:0.0} s = {sent / elapsed:0.0}/s ({lagging} sent > 1 s late); {cpuSeconds:0} CPU-s in this process (the app, DynamoDB Local and fauxqs are separate for the last two)"));
        Console.WriteLine($"  {"operation",-22} {"count",6} {"err",4} {"p50 ms",7} {"p99 ms",7} | {"RRU",6} {"model",6} {"ratio",5} | {"WRU",6} {"model",6} {"ratio",5} | {"S3",5} {"model",5} | {"SQS",5} {"model",5} | {"DDB req",7}");
        foreach (var (name, _) in Mix)
        {
            var c = costs[name];
            var count = Math.Max(1, c.Count);
            var m = Model[name];
            var lat = c.Latencies.OrderBy(x => x).ToArray();
            Console.WriteLine(string.Create(i,
                $"  {name,-22} {c.Count,6} {c.Errors,4} {Pct(lat, 0.5),7:0} {Pct(lat, 0.99),7:0} | {c.Rru / count,6:0.0} {m.Rru,6:0.0} {Ratio(c.Rru / count, m.Rru),5} | {c.Wru / count,6:0.0} {m.Wru,6:0.0} {Ratio(c.Wru / count, m.Wru),5} | {(double)c.S3 / count,5:0.0} {m.S3,5:0.0} | {(double)c.Sqs / count,5:0.0} {m.Sqs,5:0.0} | {(double)c.DynamoRequests / count,7:0.0}"));
        }

        var sum = new OperationCost();
        foreach (var c in costs.Values)
        {
            sum.Add(c);
        }

        // The model's 10k-DAU peak column (docs/architecture.md): RRU/s, WRU/s, S3 PUT+GET/s.
        Console.WriteLine(string.Create(i, $"  total per second: {sum.Rru / elapsed:0} RRU/s (model peak 479), {sum.Wru / elapsed:0} WRU/s (model 257), {sum.S3 / elapsed:0} S3 requests/s (model 10 PUT + 17 GET), {sum.Sqs / elapsed:0.0} SQS requests/s"));
        Console.WriteLine(string.Create(i, $"  attributed to operations: {sum.DynamoRequests} of {totals.DynamoRequests} DynamoDB requests, {sum.S3} of {totals.S3} S3, {sum.Sqs} of {totals.Sqs} SQS (the rest: background work in the app, none expected)"));
    }

    private static string Ratio(double measured, double model) => model == 0 ? "-" : (measured / model).ToString("0.00", CultureInfo.InvariantCulture);

    private static double Pct(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>Counts every request of the app's SDK clients, in total and for the operation whose execution context made it.</summary>
    private static void Attach(IServiceProvider services, OperationCost totals)
    {
        ((AmazonDynamoDBClient)services.GetRequiredService<IAmazonDynamoDB>()).AfterResponseEvent += (_, e) =>
        {
            if (e is WebServiceResponseEventArgs { Response: { } response })
            {
                var (units, write) = CapacityProbe.Classify(response);
                foreach (var cost in new[] { totals, Current.Value })
                {
                    cost?.AddDynamo(write ? 0 : units, write ? units : 0);
                }
            }
        };
        ((AmazonS3Client)services.GetRequiredService<IAmazonS3>()).BeforeRequestEvent += (_, _) =>
        {
            totals.AddS3();
            Current.Value?.AddS3();
        };
        ((AmazonSQSClient)services.GetRequiredService<IAmazonSQS>()).BeforeRequestEvent += (_, _) =>
        {
            totals.AddSqs();
            Current.Value?.AddSqs();
        };
    }

    /// <summary>What one operation (or a sum of them) cost. Thread-safe.</summary>
    private sealed class OperationCost
    {
        private readonly Lock _lock = new();

        public int Count { get; private set; }

        public int Errors { get; set; }

        public double Rru { get; private set; }

        public double Wru { get; private set; }

        public int DynamoRequests { get; private set; }

        public int S3 { get; set; }

        public int Sqs { get; private set; }

        public List<double> Latencies { get; } = [];

        public void AddDynamo(double rru, double wru)
        {
            lock (_lock)
            {
                (Rru, Wru, DynamoRequests) = (Rru + rru, Wru + wru, DynamoRequests + 1);
            }
        }

        public void AddS3()
        {
            lock (_lock)
            {
                S3++;
            }
        }

        public void AddSqs()
        {
            lock (_lock)
            {
                Sqs++;
            }
        }

        public void Reset()
        {
            lock (_lock)
            {
                (Rru, Wru, DynamoRequests, S3, Sqs) = (0, 0, 0, 0, 0);
            }
        }

        public void Add(OperationCost other)
        {
            lock (_lock)
            {
                Count += Math.Max(1, other.Count);
                Errors += other.Errors;
                Rru += other.Rru;
                Wru += other.Wru;
                DynamoRequests += other.DynamoRequests;
                S3 += other.S3;
                Sqs += other.Sqs;
                Latencies.AddRange(other.Latencies);
            }
        }
    }
}
