extern alias api;

using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SQS;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.Hosting;
using DropSync.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace DropSync.Aws.Benchmarks;

/// <summary>
/// <c>load</c>: the capacity model's daily mix (docs/architecture.md, "Capacity model") for 10,000 daily users at their
/// peak — 10,000 × 240 requests/day × 3 / 86,400 s ≈ 83 requests/s, 1/1000 of 10M users' peak — driven open-loop for a
/// bounded time against the API in AWS mode (in-process host over DynamoDB Local and fauxqs, the real adapters; blocks
/// PUT and GET through their presigned URLs). Every DynamoDB, S3 and SQS request the app makes is counted at its SDK
/// client and charged to the operation that caused it (the request's execution context flows into the test server), and
/// the presigned PUTs and GETs to the operation that made them. Prints per operation the measured RRU, WRU, S3 and SQS
/// requests beside the model's, and the totals per second beside the model's 10k-DAU peak column.
/// The simulated users share a pool of accounts (each account stands for many users): per-operation costs do not
/// depend on how many accounts there are, and signing up 10,000 would take longer than the run. This part drives the
/// load; the Costs part counts and reports.
/// </summary>
internal static partial class LoadSimulation
{
    private const int Accounts = 20;
    private const int SmallFile = 256 * 1024;

    /// <summary>The mix per DAU per day (model: 20 uploads, 200 other requests, 10 downloads, 10 misc).</summary>
    private static readonly (string Name, int PerDay)[] Mix =
    [
        ("upload small file", 20), ("list_folder/continue", 150), ("get_metadata", 25), ("list_folder", 25), ("download", 10), ("misc (GET /config)", 10),
    ];

    private static readonly AsyncLocal<OperationCost?> Current = new();

    public static async Task RunAsync(int seconds, double rate, CancellationToken ct)
    {
        var load = File.ReadAllText("/proc/loadavg").Split(' ')[..3];
        Console.Error.WriteLine("==> starting DynamoDB Local and fauxqs ...");
        using var dynamo = await DynamoDbLocal.StartAsync(ct);
        using var dynamoClient = dynamo.CreateClient();
        var (_, fauxqs) = await AwsTestServers.InstallAsync();
        var port = LocalPorts.Free();
        using var process = ChildProcess.Start("node", [fauxqs], new Dictionary<string, string> { ["FAUXQS_PORT"] = port.ToString(CultureInfo.InvariantCulture), ["FAUXQS_LOGGER"] = "false" });
        var endpoint = $"http://127.0.0.1:{port}";
        using var s3 = new AmazonS3Client(new BasicAWSCredentials("bench", "bench"), new AmazonS3Config { ServiceURL = endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        using var sqs = new AmazonSQSClient(new BasicAWSCredentials("bench", "bench"), new AmazonSQSConfig { ServiceURL = endpoint, AuthenticationRegion = "us-east-1" });
        await WaitReadyAsync(s3, ct);
        var tables = new DynamoDbTableNames("ld" + Guid.NewGuid().ToString("N")[..6] + "-");
        await DynamoDbSchema.CreateAsync(dynamoClient, tables, ct);
        await DynamoDbSchema.CreateConnectionsAsync(dynamoClient, tables, ct);
        var bucket = "load-" + Guid.NewGuid().ToString("N")[..12];
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket }, ct);
        var queue = (await sqs.CreateQueueAsync("load-changes-" + Guid.NewGuid().ToString("N")[..8], ct)).QueueUrl;

        AppFactory.PointAtApiContentRoot();
        await using var app = new AppFactory(new Dictionary<string, string>
        {
            [AwsEnvironment.ModeSetting] = "aws",
            [AwsEnvironment.TablePrefix] = tables.Prefix,
            [AwsEnvironment.Bucket] = bucket,
            [AwsEnvironment.ChangeQueueUrl] = queue,
            [AwsEnvironment.Region] = "us-east-1",
            [AwsEnvironment.DynamoDbEndpoint] = dynamo.Endpoint,
            [AwsEnvironment.S3Endpoint] = endpoint,
            [AwsEnvironment.SqsEndpoint] = endpoint,
            [AwsEnvironment.MasterKey] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            [AwsEnvironment.EventsSecret] = "load-events-secret",
            ["DropSync:PasswordIterations"] = "1000",
        });
        app.Server.PreserveExecutionContext = true;
        var totals = new OperationCost();
        Attach(app.Services, totals);

        Console.Error.WriteLine($"==> {Accounts} accounts, a few files each ...");
        var users = new List<User>();
        for (var i = 0; i < Accounts; i++)
        {
            users.Add(await SignUpAsync(app, ct));
        }

        var costs = Mix.ToDictionary(m => m.Name, _ => new OperationCost(), StringComparer.Ordinal);
        var interval = TimeSpan.FromSeconds(1 / rate);
        var weights = Mix.Sum(m => m.PerDay);
        var random = new Random(15);
        var running = new List<Task>();
        using var gate = new SemaphoreSlim(256);
        var lagging = 0;
        totals.Reset();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        Console.Error.WriteLine($"==> {rate:0.#} requests/s for {seconds} s ...");
        for (var n = 0; clock.Elapsed < TimeSpan.FromSeconds(seconds); n++)
        {
            var wait = (interval * n) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }
            else if (wait < -TimeSpan.FromSeconds(1))
            {
                lagging++;
            }

            var pick = random.Next(weights);
            var name = Mix.First(m => (pick -= m.PerDay) < 0).Name;
            var user = users[random.Next(users.Count)];
            await gate.WaitAsync(ct);
            running.Add(Task.Run(
                async () =>
                {
                    var cost = new OperationCost();
                    Current.Value = cost;
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        await RunOperationAsync(name, user, cost, ct);
                    }
                    catch (Exception e) when (e is HttpRequestException or BenchmarkException)
                    {
                        cost.Errors++;
                    }
                    finally
                    {
                        cost.Latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        costs[name].Add(cost);
                        gate.Release();
                    }
                },
                ct));
        }

        await Task.WhenAll(running);
        var elapsed = clock.Elapsed.TotalSeconds;
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        Report(seconds, rate, elapsed, running.Count, lagging, cpuSeconds, load, costs, totals);
    }

    private static async Task RunOperationAsync(string name, User user, OperationCost cost, CancellationToken ct)
    {
        var api = user.Api;
        switch (name)
        {
            case "upload small file":
                await UploadAsync(user, cost, $"/load/{Guid.NewGuid():N}.bin", ct);
                break;
            case "list_folder/continue":
                var page = await PostAsync(api, "/files/list_folder/continue", new { cursor = user.Cursor }, ct);
                user.Cursor = page["cursor"]?.GetValue<string>() ?? user.Cursor;
                break;
            case "get_metadata":
                await PostAsync(api, "/files/get_metadata", new { path = user.AnyFile() }, ct);
                break;
            case "list_folder":
                await PostAsync(api, "/files/list_folder", new { path = "/load", limit = 100 }, ct);
                break;
            case "download":
                var blocks = await PostAsync(api, "/files/get_blocks", new { path = user.AnyFile() }, ct);
                foreach (var block in blocks["blocks"]!.AsArray())
                {
                    cost.S3++;
                    await Raw.GetByteArrayAsync(block!["url"]!.GetValue<string>(), ct);
                }

                break;
            default:
                using (var response = await api.GetAsync("/config", ct))
                {
                    response.EnsureSuccessStatusCode();
                }

                break;
        }
    }

    private static readonly HttpClient Raw = new();

    private static async Task UploadAsync(User user, OperationCost? cost, string path, CancellationToken ct)
    {
        var bytes = RandomNumberGenerator.GetBytes(SmallFile);
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var state = await PostAsync(user.Api, "/files/upload?uploadType=resumable", new { path, size = bytes.Length, blocks = new[] { new { hash, size = bytes.Length } }, mode = "add" }, ct);
        foreach (var missing in state["missing"]!.AsArray())
        {
            if (cost is not null)
            {
                cost.S3++;
            }

            await SignedBlockUploads.PutAsync(Raw, missing!, bytes, ct);
        }

        await PostAsync(user.Api, "/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() }, ct);
        lock (user.Files)
        {
            user.Files.Add(path);
        }
    }

    private static async Task<User> SignUpAsync(AppFactory app, CancellationToken ct)
    {
        var api = app.CreateClient();
        var email = $"load-{Guid.NewGuid():N}@bench.example";
        const string password = "load-simulation-password";
        await PostRetryingAsync(api, "/auth/register", new { email, password }, ct);
        var login = await PostRetryingAsync(api, "/auth/login", new { email, password, device_name = "load" }, ct);
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login["access_token"]!.GetValue<string>());
        var user = new User(api);
        for (var f = 0; f < 3; f++)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await UploadAsync(user, null, $"/load/seed{f}.bin", ct);
                    break;
                }
                catch (BenchmarkException) when (attempt < 5)
                {
                    await Task.Delay(500 * attempt, ct);
                }
            }
        }

        user.Cursor = (await PostRetryingAsync(api, "/files/list_folder/get_latest_cursor", new { path = "", recursive = true }, ct))["cursor"]!.GetValue<string>();
        return user;
    }

    /// <summary>Seeding: a few tries, since DynamoDB Local on a loaded machine answers some writes with a lock timeout (500).</summary>
    private static async Task<JsonNode> PostRetryingAsync(HttpClient api, string url, object body, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await PostAsync(api, url, body, ct);
            }
            catch (BenchmarkException) when (attempt < 5)
            {
                await Task.Delay(500 * attempt, ct);
            }
        }
    }

    private static async Task<JsonNode> PostAsync(HttpClient api, string url, object body, CancellationToken ct)
    {
        using var response = await api.PostAsJsonAsync(url, body, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        return response.IsSuccessStatusCode ? JsonNode.Parse(text)! : throw new BenchmarkException($"{url} answered {(int)response.StatusCode}: {text}");
    }

    private static async Task WaitReadyAsync(AmazonS3Client s3, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await s3.ListBucketsAsync(ct);
                return;
            }
            catch (Exception) when (attempt < 100)
            {
                await Task.Delay(200, ct);
            }
        }
    }

    private sealed class User(HttpClient api)
    {
        public HttpClient Api { get; } = api;

        public List<string> Files { get; } = [];

        public string Cursor { get; set; } = "";

        public string AnyFile()
        {
            lock (Files)
            {
                return Files[Random.Shared.Next(Math.Min(Files.Count, 3))];
            }
        }
    }

    private sealed class AppFactory(Dictionary<string, string> settings) : WebApplicationFactory<api::Program>
    {
        /// <summary>
        /// WebApplicationFactory reads MvcTestingAppManifest.json from the current directory only, so `dotnet run
        /// --project` from the repository root fell back to a solution-relative path that does not exist. Its documented
        /// override, the TEST_CONTENTROOT_&lt;assembly&gt; setting, is taken from the manifest beside this program.
        /// </summary>
        public static void PointAtApiContentRoot()
        {
            const string variable = "ASPNETCORE_TEST_CONTENTROOT_DROPSYNC_API";
            var manifest = Path.Combine(AppContext.BaseDirectory, "MvcTestingAppManifest.json");
            if (Environment.GetEnvironmentVariable(variable) is null && File.Exists(manifest)
                && JsonNode.Parse(File.ReadAllText(manifest)) is JsonObject roots
                && roots.FirstOrDefault(root => root.Key.StartsWith("DropSync.Api,", StringComparison.Ordinal)).Value?.GetValue<string>() is { } contentRoot)
            {
                Environment.SetEnvironmentVariable(variable, contentRoot);
            }
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        }
    }
}
