using System.Diagnostics;
using System.Text.Json.Nodes;
using CsCheck;
using DropSync.Api.Tests.Fuzzing;
using DropSync.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace DropSync.Api.Tests;

/// <summary>Runs alone, so that the memory it samples is its own server's.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuzzCollection
{
    public const string Name = "API fuzzing";
}

/// <summary>
/// Random and mutated requests (<see cref="FuzzRequests"/>) against the real API, as Carol (a viewer of Alice's
/// folder), Mallory (a stranger), a signed-out device, a garbage token or none. No answer may be a 5xx (the failure
/// prints the first request of each operation that got one, as sent). After every batch and at the end: Alice's and Bob's data exactly as
/// before, and the managed heap (after a full collection) and the working set within a generous bound over the start.
/// The count comes from DROPSYNC_FUZZ_REQUESTS (default 3,000, well under a minute); DROPSYNC_FUZZ_SEED replays a
/// failing request; DROPSYNC_FUZZ_LOG names a file that gets every request before it is sent.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class ApiFuzzTests(ApiFuzzTests.QuietServer server, ITestOutputHelper output) : IClassFixture<ApiFuzzTests.QuietServer>
{
    private readonly DropSyncApiFactory _factory = server.Factory;
    public const string RequestsSetting = "DROPSYNC_FUZZ_REQUESTS";
    public const string SeedSetting = "DROPSYNC_FUZZ_SEED";
    public const string LogSetting = "DROPSYNC_FUZZ_LOG";
    private const int BatchSize = 500;
    private const long HeapBound = 256L << 20;
    private const long WorkingSetBound = 512L << 20;

    [Fact]
    public async Task Random_and_mutated_requests_get_no_5xx_change_nothing_they_may_not_and_keep_memory_bounded()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable(RequestsSetting), out var n) && n > 0 ? n : 3_000;
        var world = await FuzzWorld.BuildAsync(_factory);
        using var http = _factory.CreateClient();
        var document = JsonNode.Parse(await http.GetStringAsync("/openapi/v1.json"))!;
        var requests = FuzzRequests.Create(document, new FuzzValues(world), world);
        var run = new FuzzRun(world, await world.SnapshotAsync(), Memory());
        // A crash of the test host (a stack overflow, say) takes the test's output with it: this file keeps each request.
        await using var log = Environment.GetEnvironmentVariable(LogSetting) is { Length: > 0 } logPath ? new StreamWriter(logPath) : null;
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;

        await requests.SampleAsync(
            async request =>
            {
                if (run.Violation is not null)
                {
                    return; // Reported after sampling; the server's state is no longer the one the checks expect.
                }

                if (log is not null)
                {
                    await log.WriteLineAsync(request.ToString()[..Math.Min(request.ToString().Length, 500)]);
                    await log.FlushAsync();
                }

                var status = await SendAsync(http, world, request);
                run.Count(request, status);
                if (status is >= 200 and < 300 && request.Url.Contains("/auth/", StringComparison.Ordinal))
                {
                    await SignBackInAsync(world); // The fuzzer signed Carol or Mallory out: carry on with a fresh token.
                }

                if (run.Sent % BatchSize == 0)
                {
                    await CheckAsync(run);
                }
            },
            seed: Environment.GetEnvironmentVariable(SeedSetting),
            iter: count,
            threads: 1,
            print: request => request.ToString());
        await CheckAsync(run);

        output.WriteLine(
            $"{run.Sent} requests in {clock.Elapsed.TotalSeconds:F1} s, {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} CPU-s " +
            $"(process, all threads); {run.Unsendable} not sendable by HttpClient; statuses {string.Join(", ", run.Statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}; " +
            $"heap after GC {run.Start.Heap >> 20} → max {run.MaxHeap >> 20} MiB; working set {run.Start.WorkingSet >> 20} → max {run.MaxWorkingSet >> 20} MiB");
        Assert.True(run.ServerErrors.Count == 0, $"{run.ServerErrors.Count} answers were 5xx; the first of each operation:\n" +
            string.Join("\n\n", run.ServerErrors.DistinctBy(e => e.Request.Operation).Take(20).Select(e => $"{e.Status} for:\n{e.Request}")));
        Assert.True(run.Violation is null, run.Violation);
        Assert.True(run.Statuses.Where(s => s.Key is >= 200 and < 300).Sum(s => s.Value) > run.Sent / 20, "too few requests succeeded to exercise the API");
    }

    private static async Task<int> SendAsync(HttpClient http, FuzzWorld world, FuzzRequest request)
    {
        HttpRequestMessage message;
        try
        {
            message = Build(world, request);
        }
        catch (Exception e) when (e is UriFormatException or FormatException or ArgumentException or InvalidOperationException)
        {
            return 0; // HttpClient itself refuses it: nothing reached the server.
        }

        using (message)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                using var response = await http.SendAsync(message, timeout.Token);
                await response.Content.ReadAsByteArrayAsync(timeout.Token);
                return (int)response.StatusCode;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                throw new Xunit.Sdk.XunitException($"no answer within 60 s to:\n{request}");
            }
        }
    }

    private static HttpRequestMessage Build(FuzzWorld world, FuzzRequest request)
    {
        // Absolute, so that a path starting "//" stays a path rather than naming a host.
        var message = new HttpRequestMessage(new HttpMethod(request.Method), new Uri("http://localhost" + request.Url, UriKind.Absolute));
        if (request.Body.Length > 0 || request.ContentType is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            if (request.ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            }
        }

        var authorization = request.Credential switch
        {
            FuzzCredential.Carol => "Bearer " + world.Carol.AccessToken,
            FuzzCredential.Mallory => "Bearer " + world.Mallory.AccessToken,
            FuzzCredential.AliceRevoked => "Bearer " + world.AliceRevokedToken,
            FuzzCredential.AliceLinkTokenAsBearer => "Bearer " + world.AliceLinkToken,
            FuzzCredential.Garbage => request.Garbage,
            _ => null,
        };
        if (authorization is not null)
        {
            message.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        foreach (var (name, value) in request.Headers)
        {
            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                message.Content?.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return message;
    }

    /// <summary>Compares Alice's and Bob's data with the snapshot and samples memory; records the first violation.</summary>
    private static async Task CheckAsync(FuzzRun run)
    {
        var now = await run.World.SnapshotAsync();
        if (now != run.Expected)
        {
            run.Violation = $"Alice's or Bob's data changed in the last batch.\nBefore:\n{run.Expected}\nAfter:\n{now}\n" +
                $"Requests of the batch that succeeded:\n{string.Join("\n", run.Succeeded.TakeLast(40))}";
            return;
        }

        run.Succeeded.Clear();
        var memory = Memory();
        run.MaxHeap = Math.Max(run.MaxHeap, memory.Heap);
        run.MaxWorkingSet = Math.Max(run.MaxWorkingSet, memory.WorkingSet);
        if (memory.Heap > run.Start.Heap + HeapBound || memory.WorkingSet > run.Start.WorkingSet + WorkingSetBound)
        {
            run.Violation = $"Memory grew past the bound after {run.Sent} requests: heap {run.Start.Heap >> 20} → {memory.Heap >> 20} MiB " +
                $"(bound +{HeapBound >> 20}), working set {run.Start.WorkingSet >> 20} → {memory.WorkingSet >> 20} MiB (bound +{WorkingSetBound >> 20}).";
            return;
        }

        // Carol may have left Alice's folder (hers to do): share it with her again, and expect that from now on.
        var members = await run.World.Alice.OkAsync("/sharing/list_members", new { path = "/Shared" });
        if (!members.ToJsonString().Contains(run.World.Carol.Email!, StringComparison.OrdinalIgnoreCase))
        {
            await Sharing.ShareAsync(run.World.Alice, "/Shared", run.World.Carol, "viewer");
            run.Expected = await run.World.SnapshotAsync();
        }
    }

    private static async Task SignBackInAsync(FuzzWorld world)
    {
        foreach (var user in new[] { world.Carol, world.Mallory })
        {
            if ((await user.PostAsync("/auth/list_devices", null)).Status == System.Net.HttpStatusCode.Unauthorized)
            {
                await user.LoginAsync(user.Email!, "correct horse battery", "signed in again");
            }
        }
    }

    private static (long Heap, long WorkingSet) Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: true), process.WorkingSet64);
    }

    /// <summary>The API with warnings and errors logged only: a log line per refused token would slow the run down tenfold.</summary>
    public sealed class QuietServer : IDisposable
    {
        public DropSyncApiFactory Factory { get; } = DropSyncApiFactory.WithSettings(("Logging:LogLevel:Default", "Warning"));

        public void Dispose() => Factory.Dispose();
    }

    /// <summary>The state of one run: counts, the expected snapshot, memory, and the first violation found.</summary>
    private sealed class FuzzRun(FuzzWorld world, string expected, (long Heap, long WorkingSet) start)
    {
        public FuzzWorld World { get; } = world;

        public string Expected { get; set; } = expected;

        public (long Heap, long WorkingSet) Start { get; } = start;

        public long MaxHeap { get; set; } = start.Heap;

        public long MaxWorkingSet { get; set; } = start.WorkingSet;

        public int Sent { get; private set; }

        public int Unsendable { get; private set; }

        public Dictionary<int, int> Statuses { get; } = [];

        public List<FuzzRequest> Succeeded { get; } = [];

        public List<(int Status, FuzzRequest Request)> ServerErrors { get; } = [];

        public string? Violation { get; set; }

        public void Count(FuzzRequest request, int status)
        {
            Sent++;
            if (status == 0)
            {
                Unsendable++;
                return;
            }

            Statuses[status] = Statuses.GetValueOrDefault(status) + 1;
            if (status >= 500)
            {
                ServerErrors.Add((status, request));
            }

            if (status < 400)
            {
                Succeeded.Add(request);
            }
        }
    }
}
