using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using DropSync.Aws.DynamoDb;
using DropSync.Core.Accounts;
using DropSync.Core.Content;
using DropSync.Core.Files;
using DropSync.Core.Model;
using DropSync.Core.Paths;

namespace DropSync.Aws.Benchmarks;

/// <summary>The benchmark: commit throughput and latency, then capacity units per operation.</summary>
internal static class AwsBenchmark
{
    private const int SmallFileSize = 1024;
    private const int LargeFileBlocks = 100;
    private const int LargeFileBlockSize = 16 * 1024;

    public static async Task RunAsync(int commits, int concurrency, int repeat, CancellationToken ct)
    {
        Console.Error.WriteLine("==> installing and starting DynamoDB Local ...");
        using var server = await DynamoDbLocal.StartAsync(ct);
        using var client = server.CreateClient();
        var probe = new CapacityProbe(client);
        var tables = new DynamoDbTableNames("bench-");
        await DynamoDbSchema.CreateAsync(client, tables, ct);
        using var stack = new AwsStack(client, tables);

        Console.WriteLine($"DropSync AWS mode — core services over the DynamoDB adapters, DynamoDB Local at {server.Endpoint} (in memory)");
        Console.WriteLine($"{Environment.ProcessorCount} CPUs, .NET {Environment.Version}; block bytes in memory (not S3), changes not published (no SQS)");
        Console.WriteLine();

        Console.WriteLine($"commits ({commits} per step; each = resolve the caller's view + FileCommitter.CommitAsync of a new 1-block file)");
        await ThroughputAsync(stack, "sequential, 1 committer", commits, 1, sameNamespace: false, ct);
        await ThroughputAsync(stack, $"{concurrency} committers, own namespaces", commits, concurrency, sameNamespace: false, ct);
        await ThroughputAsync(stack, $"{concurrency} committers, one namespace", commits, concurrency, sameNamespace: true, ct);
        Console.WriteLine();

        // The hot-namespace figure (docs/architecture.md, "Hot partitions"): the same namespace step at S = 1 and S = 16,
        // with the retries and capacity per commit, as DynamoDB Local meters them (probe) and as AWS bills them.
        Console.WriteLine($"one namespace, {concurrency} committers, by shard count ({commits} commits each; retries = batch attempts retried)");
        foreach (var shards in new[] { 1, 16 })
        {
            var retries = 0L;
            await ThroughputAsync(stack, $"S = {shards}", commits, concurrency, sameNamespace: true, ct, shards, () =>
            {
                // After the setup (the held block, the reshard): only the commits are counted.
                probe.Take();
                retries = stack.Meta.Retries;
            });
            var capacity = probe.Take().Per(commits);
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {"",-36} retries {stack.Meta.Retries - retries,5}   per commit {capacity.ReadUnits,5:F1} RRU  {capacity.WriteUnits,5:F1} WRU (Local)  {capacity.BilledWriteUnits,5:F1} WRU AWS"));
        }

        Console.WriteLine();

        probe.Take();
        stack.Db.Capacity.Reset();
        await CapacityAsync(stack, probe, repeat, ct);
        Console.WriteLine();
        Console.WriteLine("Latency is DynamoDB Local's on this machine, not DynamoDB's (single-digit ms per request in-region); the capacity");
        Console.WriteLine("units are computed by DynamoDB Local from item sizes (1 RRU per 4 KB strongly consistent read, 1 WRU per 1 KB write");
        Console.WriteLine("and per index write). \"WRU AWS\" bills transactions as AWS documents (2 WRU per item and KB, each item alone,");
        Console.WriteLine("plus 1 per index write) where DynamoDB Local bills 4 per table and KB and 4 per index write (see CapacityProbe).");
    }

    private static async Task ThroughputAsync(AwsStack stack, string label, int commits, int committers, bool sameNamespace, CancellationToken ct, int shards = 1, Action? starting = null)
    {
        var run = Ids.New("r", 6);
        var callers = Enumerable.Range(0, committers).Select(i => NewCaller(sameNamespace ? run : run + i.ToString(CultureInfo.InvariantCulture))).ToArray();
        var content = await HeldBlockAsync(stack, callers.Select(c => c.UserId).Distinct(), ct);
        if (shards > 1)
        {
            // Nothing reads this namespace yet: no process can hold its layout, so no settling wait is needed.
            await stack.Meta.RaiseShardCountAsync(callers[0].RootNamespaceId, shards, TimeSpan.Zero, ct);
        }

        starting?.Invoke();
        var latencies = new double[commits];
        var next = -1;
        var total = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, committers).Select(w => Task.Run(
            async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < commits)
                {
                    var caller = callers[w];
                    var started = Stopwatch.GetTimestamp();
                    var at = (await stack.Resolver.ViewAsync(caller, ct)).Resolve(DropPath.Parse($"/w{w}/f{i}.txt", false));
                    await stack.Committer.CommitAsync(caller, at, content, WriteMode.Add, null, null, ct);
                    latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                }
            },
            ct)));
        total.Stop();
        Array.Sort(latencies);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  {label,-36} {commits / total.Elapsed.TotalSeconds,8:F1} commits/s   p50 {Percentile(latencies, 0.50),6:F1} ms   p99 {Percentile(latencies, 0.99),6:F1} ms"));
    }

    private static async Task CapacityAsync(AwsStack stack, CapacityProbe probe, int repeat, CancellationToken ct)
    {
        var caller = NewCaller(Ids.New("c", 6));
        var files = stack.Files;
        var rows = new List<(string Operation, Capacity Capacity, string Calls)>();

        async Task Measure(string operation, Func<int, Task> setup, Func<int, Task> act)
        {
            var sum = default(Capacity);
            var calls = new Dictionary<string, CapacityTotal>(StringComparer.Ordinal);
            for (var r = 0; r < repeat; r++)
            {
                await setup(r);
                probe.Take();
                stack.Db.Capacity.Reset();
                await act(r);
                sum += probe.Take();
                foreach (var (method, total) in stack.Db.Capacity.Snapshot())
                {
                    calls[method] = calls.TryGetValue(method, out var t) ? new CapacityTotal(t.Requests + total.Requests, t.CapacityUnits + total.CapacityUnits) : total;
                }
            }

            var breakdown = string.Join(", ", calls.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c =>
                string.Create(CultureInfo.InvariantCulture, $"{c.Key} {(double)c.Value.Requests / repeat:0.#}×/{c.Value.CapacityUnits / repeat:0.#}")));
            rows.Add((operation, sum.Per(repeat), breakdown));
        }

        Task None(int r) => Task.CompletedTask;

        // Uploads as AWS mode makes them: begin (session, pins, which blocks are held, and a reservation per new block,
        // which gets a presigned PUT to its key), the blocks (the client's PUTs to S3: no DynamoDB request), finish.
        // Into existing folders: a commit that also creates its folder is measured on its own below.
        foreach (var (name, blocks, blockSize) in new[] { ("small file (1 block, 1 KiB)", 1, SmallFileSize), ($"{LargeFileBlocks}-block file", LargeFileBlocks, LargeFileBlockSize) })
        {
            await files.CreateFolderAsync(caller, $"/up-{blocks}", ct);
            var prepared = new Dictionary<int, (ResumableUploadRequest Request, List<byte[]> Blocks)>();
            var states = new Dictionary<int, ResumableUploadState>();
            await Measure(
                $"upload {name}: begin",
                r =>
                {
                    var data = Enumerable.Range(0, blocks).Select(_ => RandomNumberGenerator.GetBytes(blockSize)).ToList();
                    var refs = data.Select(d => new BlockRef(BlockHash.Of(d), d.Length)).ToList();
                    prepared[r] = (new ResumableUploadRequest($"/up-{blocks}/{r}.bin", refs.Sum(b => (long)b.Size), refs, WriteMode.Add, null, null), data);
                    return Task.CompletedTask;
                },
                async r => states[r] = await stack.Uploads.BeginAsync(caller, prepared[r].Request, ct));
            await Measure(
                $"upload {name}: blocks PUT to S3",
                None,
                async r =>
                {
                    foreach (var data in prepared[r].Blocks)
                    {
                        await stack.BlockBytes.PutAsync(BlockHash.Of(data), data, ct);
                    }
                });
            await Measure($"upload {name}: finish (commit)", None, async r => await stack.Uploads.FinishAsync(caller, states[r].UploadId, ct));
        }

        var content = await HeldBlockAsync(stack, [caller.UserId], ct);

        async Task Commit(string path, WriteMode mode = WriteMode.Add)
        {
            var at = (await stack.Resolver.ViewAsync(caller, ct)).Resolve(DropPath.Parse(path, false));
            await stack.Committer.CommitAsync(caller, at, content, mode, null, null, ct);
        }

        await Measure("download small file (revision + block URLs)", None, r => files.GetBlocksAsync(caller, $"/up-1/{r}.bin", null, null, null, ct));
        await Measure($"download {LargeFileBlocks}-block file", None, r => files.GetBlocksAsync(caller, $"/up-{LargeFileBlocks}/{r}.bin", null, null, null, ct));
        await Measure("get_metadata", None, r => files.GetMetadataAsync(caller, $"/up-1/{r}.bin", false, ct));

        await files.CreateFolderAsync(caller, "/list100", ct);
        for (var i = 0; i < 100; i++)
        {
            await Commit($"/list100/f{i:D3}.txt");
        }

        await Measure("list_folder (100 entries)", None, _ => files.ListFolderAsync(caller, "/list100", false, ct));
        await files.CreateFolderAsync(caller, "/commit", ct);
        await Measure("commit (new file, 1 block)", None, r => Commit($"/commit/new{r}.txt"));
        await Measure("commit (new file and its new folder)", None, r => Commit($"/newdir{r}/new.txt"));
        await Measure("commit (overwrite, 1 block)", None, r => Commit($"/commit/new{r}.txt", WriteMode.Overwrite));
        await Measure("delete (file)", r => Commit($"/del/f{r}.txt"), r => files.DeleteAsync(caller, $"/del/f{r}.txt", ct));
        await Measure(
            "move (folder of 10 files)",
            async r =>
            {
                for (var i = 0; i < 10; i++)
                {
                    await Commit($"/mv{r}/f{i}.txt");
                }
            },
            r => files.MoveAsync(caller, $"/mv{r}", $"/moved{r}", ct));

        var cursors = new Dictionary<int, string>();
        await Measure(
            "list_folder/continue (page of 10 changes)",
            async r =>
            {
                cursors[r] = await stack.Feed.LatestCursorAsync(caller, "", true, ct);
                for (var i = 0; i < 10; i++)
                {
                    await Commit($"/feed{r}/f{i}.txt");
                }
            },
            r => stack.Feed.ContinueAsync(caller, cursors[r], 2000, ct));
        await Measure(
            "list_folder/continue (no changes)",
            async r => cursors[r] = await stack.Feed.LatestCursorAsync(caller, "", true, ct),
            r => stack.Feed.ContinueAsync(caller, cursors[r], 2000, ct));

        Console.WriteLine($"capacity units per operation (mean of {repeat}; RRU = read request units, WRU = write request units)");
        Console.WriteLine($"  {"operation",-48} {"requests",8} {"RRU",8} {"WRU",8} {"WRU AWS",8}   port calls (calls×/units)");
        foreach (var (operation, capacity, calls) in rows)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {operation,-48} {capacity.Requests,8:0.#} {capacity.ReadUnits,8:0.0#} {capacity.WriteUnits,8:0.0#} {capacity.BilledWriteUnits,8:0.0#}   {calls}"));
        }

        var upload = rows.Where(r => r.Operation.StartsWith("upload small", StringComparison.Ordinal)).Aggregate(default(Capacity), (a, r) => a + r.Capacity);
        var large = rows.Where(r => r.Operation.StartsWith($"upload {LargeFileBlocks}", StringComparison.Ordinal)).Aggregate(default(Capacity), (a, r) => a + r.Capacity);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"= upload small file, begin + blocks + finish",-48} {upload.Requests,8:0.#} {upload.ReadUnits,8:0.0#} {upload.WriteUnits,8:0.0#} {upload.BilledWriteUnits,8:0.0#}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {$"= upload {LargeFileBlocks}-block file, begin + blocks + finish",-48} {large.Requests,8:0.#} {large.ReadUnits,8:0.0#} {large.WriteUnits,8:0.0#} {large.BilledWriteUnits,8:0.0#}"));
    }

    /// <summary>One 1 KiB block recorded for each user, so commits reference held content.</summary>
    private static async Task<NewContent> HeldBlockAsync(AwsStack stack, IEnumerable<string> userIds, CancellationToken ct)
    {
        var data = RandomNumberGenerator.GetBytes(SmallFileSize);
        var hash = BlockHash.Of(data);
        foreach (var userId in userIds)
        {
            await stack.Blocks.StoreAsync(userId, hash, data, ct);
        }

        using var hasher = new ContentHasher();
        hasher.Append(data);
        return new NewContent([new BlockRef(hash, data.Length)], data.Length, hasher.GetHashHex());
    }

    private static Caller NewCaller(string id) => new("u_" + id, id + "@bench.example", "d_" + id, "bench", Namespaces.RootOf("u_" + id));

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
