using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Amazon.S3;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.S3;
using DropSync.Core.Accounts;
using DropSync.Core.Content;
using DropSync.Core.Files;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Retention;

namespace DropSync.Aws.Benchmarks;

/// <summary>
/// Cold tiering's cost per maintenance run against how much is stored: N blocks seeded as current elsewhere (block
/// items with rc=1, cc=1), then C files committed and overwritten through the real commit path (each leaves one block
/// only an old revision names), then the retention pass (which counts current references, <see cref="TieringRetentionStore"/>)
/// and one tiering run (<see cref="ColdTiering"/>). Prints DynamoDB requests and capacity units of each, and the S3
/// requests of the tiering run, counted at a loopback endpoint that answers PutObjectTagging as S3 documents it (200).
/// </summary>
internal static class TieringBenchmark
{
    private static readonly int[] StoredCounts = [10_000, 100_000];

    public static async Task RunAsync(AmazonDynamoDBClient client, CapacityProbe probe, int changes, CancellationToken ct)
    {
        using var s3 = new TaggingEndpoint();
        using var s3Client = new AmazonS3Client(
            new BasicAWSCredentials("local", "local"), new AmazonS3Config { ServiceURL = s3.Url, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        Console.WriteLine();
        Console.WriteLine("maintenance (cold tiering) per run, by blocks stored (DynamoDB Local; S3 PutObjectTagging counted at a loopback endpoint)");
        Console.WriteLine($"  {"stored",8} {"changes",8} {"step",-34} {"DDB req",8} {"RRU",8} {"WRU",8} {"S3 req",8} {"tagged",7}");
        foreach (var stored in StoredCounts)
        {
            var tables = new DynamoDbTableNames("ct" + Guid.NewGuid().ToString("N")[..6] + "-");
            await DynamoDbSchema.CreateAsync(client, tables, ct);
            using var stack = new AwsStack(client, tables);
            await SeedCurrentAsync(client, tables, stored, ct);
            var references = new DynamoDbCurrentReferences(stack.Db, TimeSpan.Zero);
            var retention = new HistoryCollector(
                new TieringRetentionStore(new DynamoDbRetentionStore(stack.Db), references, TimeProvider.System), new DropSyncOptions(), TimeProvider.System);
            var tiering = new ColdTiering(stack.Db, s3Client, new S3BlockStoreOptions { BucketName = "dropsync-bench" }, TimeProvider.System);
            foreach (var changeCount in new[] { changes, changes * 10 })
            {
                await OverwriteFilesAsync(stack, changeCount, ct);
                probe.Take();
                var pass = await retention.RunOnceAsync(ct);
                var counting = probe.Take();
                s3.Requests = 0;
                var run = await tiering.RunOnceAsync(ct);
                var tier = probe.Take();
                Print(stored, changeCount, $"retention pass + counting ({pass.CheckedFiles} due)", counting, 0, 0);
                Print(stored, changeCount, "tiering run", tier, s3.Requests, run.TaggedCold);
            }
        }

        Console.WriteLine("  (a change here: a file overwritten, which leaves one block only its old revision names; the retention pass");
        Console.WriteLine("  reads its due paths and moves the counts, the tiering run reads only the due queue. DROPSYNC_COLD_AFTER_DAYS=0.)");
    }

    private static void Print(int stored, int changes, string step, Capacity used, int s3Requests, int tagged) =>
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  {stored,8} {changes,8} {step,-34} {used.Requests,8} {used.ReadUnits,8:0.#} {used.WriteUnits,8:0.#} {s3Requests,8} {tagged,7}"));

    /// <summary>N blocks a current revision elsewhere names: block item with rc=1 and cc=1.</summary>
    private static async Task SeedCurrentAsync(AmazonDynamoDBClient client, DynamoDbTableNames tables, int count, CancellationToken ct)
    {
        var old = DateTimeOffset.UtcNow.AddDays(-30).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        await Parallel.ForEachAsync(Enumerable.Range(0, (count + 24) / 25), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (batch, token) =>
        {
            var writes = Enumerable.Range(0, Math.Min(25, count - (batch * 25))).Select(_ => new WriteRequest
            {
                PutRequest = new PutRequest
                {
                    Item = new()
                    {
                        ["h"] = new AttributeValue(BlockHash.FromDigest(RandomNumberGenerator.GetBytes(32)).Hex),
                        ["k"] = new AttributeValue("b"),
                        ["sz"] = new AttributeValue { N = "4096" },
                        ["st"] = new AttributeValue { N = old },
                        ["rc"] = new AttributeValue { N = "1" },
                        ["cc"] = new AttributeValue { N = "1" },
                    },
                },
            }).ToList();
            var request = new BatchWriteItemRequest { RequestItems = new() { [tables.Blocks] = writes } };
            while (request.RequestItems.Count > 0)
            {
                var response = await client.BatchWriteItemAsync(request, token);
                request.RequestItems = response.UnprocessedItems ?? [];
            }
        });
    }

    /// <summary>C files, each committed with one new block and then overwritten with another.</summary>
    private static async Task OverwriteFilesAsync(AwsStack stack, int count, CancellationToken ct)
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var caller = new Caller("u_" + id, id + "@bench.example", "d_" + id, "bench", Namespaces.RootOf("u_" + id));
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (i, token) =>
        {
            var at = (await stack.Resolver.ViewAsync(caller, token)).Resolve(DropPath.Parse($"/tier/f{i}.bin", false));
            foreach (var mode in new[] { WriteMode.Add, WriteMode.Overwrite })
            {
                var data = RandomNumberGenerator.GetBytes(1024);
                var hash = BlockHash.Of(data);
                await stack.Blocks.StoreAsync(caller.UserId, hash, data, token);
                using var hasher = new ContentHasher();
                hasher.Append(data);
                await stack.Committer.CommitAsync(caller, at, new NewContent([new BlockRef(hash, data.Length)], data.Length, hasher.GetHashHex()), mode, null, null, token);
            }
        });
    }

    /// <summary>A loopback S3 endpoint that answers every request 200 with an empty body (PutObjectTagging's answer) and counts them.</summary>
    private sealed class TaggingEndpoint : IDisposable
    {
        private readonly HttpListener _listener = new();
        private int _requests;

        public TaggingEndpoint()
        {
            var port = FreePort();
            Url = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Add(Url + "/");
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    try
                    {
                        var context = await _listener.GetContextAsync();
                        Interlocked.Increment(ref _requests);
                        context.Response.StatusCode = 200;
                        context.Response.ContentLength64 = 0;
                        context.Response.Close();
                    }
                    catch (Exception) when (!_listener.IsListening)
                    {
                        return;
                    }
                }
            });
        }

        public string Url { get; }

        public int Requests
        {
            get => Volatile.Read(ref _requests);
            set => Volatile.Write(ref _requests, value);
        }

        public void Dispose() => _listener.Close();

        private static int FreePort()
        {
            using var socket = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            socket.Start();
            return ((IPEndPoint)socket.LocalEndpoint).Port;
        }
    }
}
