using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using DropSync.Aws.DynamoDb;
using DropSync.Core.Blocks;
using DropSync.Core.Content;
using DropSync.Core.Files;
using DropSync.Core.Ports;
using DropSync.Core.Retention;

namespace DropSync.Aws.Benchmarks;

/// <summary>
/// Garbage collection's cost per run against how much is stored: N committed blocks (referenced, so outside the sparse
/// GC index) seeded straight into the Blocks table, then C changes (blocks stored and never committed, past the grace
/// period — the same index entries a block whose last reference went gets), then one maintenance run. Prints the
/// DynamoDB requests and capacity units and the S3 requests of the run: AWS mode now (no bucket listing), and as it was
/// (listing the bucket — ListObjectsV2 pages of 1,000 — and reading the index for each object).
/// </summary>
internal static class MaintenanceBenchmark
{
    private static readonly int[] StoredCounts = [10_000, 100_000];

    public static async Task RunAsync(AmazonDynamoDBClient client, CapacityProbe probe, int changes, CancellationToken ct)
    {
        Console.WriteLine($"maintenance (garbage collection) per run, by blocks stored (DynamoDB Local; S3 requests counted at the block store port)");
        Console.WriteLine($"  {"stored",8} {"changes",8} {"flow",-26} {"DDB req",8} {"RRU",8} {"WRU",8} {"S3 req",8} {"collected",9}");
        foreach (var stored in StoredCounts)
        {
            var tables = new DynamoDbTableNames("gc" + Guid.NewGuid().ToString("N")[..6] + "-");
            await DynamoDbSchema.CreateAsync(client, tables, ct);
            var db = new DynamoDbContext(client, tables);
            var store = new CountingListingStore();
            await SeedCommittedAsync(client, tables, store, stored, ct);
            foreach (var (changeCount, sweep) in new[] { (changes, false), (changes * 10, false), (changes, true) })
            {
                if (sweep && stored > StoredCounts[0])
                {
                    // As before: the listing's cost grows with the bucket; one size shows it.
                    continue;
                }

                await AddChangesAsync(db, store, changeCount, ct);
                probe.Take();
                store.Requests = 0;
                var options = new DropSyncOptions { SweepUnrecordedBlocks = sweep };
                var collector = new BlockCollector(
                    store, new DynamoDbBlockIndex(db), new DynamoDbUploadSessionStore(db), new BlockLocks(),
                    new HistoryCollector(new DynamoDbRetentionStore(db), options, TimeProvider.System), options, TimeProvider.System);
                var report = await collector.RunOnceAsync(ct);
                var used = probe.Take();
                var flow = sweep ? "before: + bucket listing" : "now: GC index only";
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"  {stored,8} {changeCount,8} {flow,-26} {used.Requests,8} {used.ReadUnits,8:0.#} {used.WriteUnits,8:0.#} {store.Requests,8} {report.CollectedBlocks,9}"));
            }
        }

        Console.WriteLine("  (a change here: a block stored and never committed, past the grace period; a block whose last revision the");
        Console.WriteLine("  retention collector forgets enters the same index the same way.)");
        await TieringBenchmark.RunAsync(client, probe, changes, ct);
    }

    /// <summary>N blocks as a commit leaves them: block item with rc=1 and no GC index key, and the uploader's holder item.</summary>
    private static async Task SeedCommittedAsync(AmazonDynamoDBClient client, DynamoDbTableNames tables, CountingListingStore store, int count, CancellationToken ct)
    {
        var old = DateTimeOffset.UtcNow.AddDays(-30).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var hashes = Enumerable.Range(0, count).Select(_ => BlockHash.FromDigest(RandomNumberGenerator.GetBytes(32))).ToList();
        await Parallel.ForEachAsync(hashes.Chunk(12), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (chunk, token) =>
        {
            var writes = chunk.SelectMany(h => new[]
            {
                Put(h, "b", new() { ["sz"] = new AttributeValue { N = "4096" }, ["st"] = new AttributeValue { N = old }, ["rc"] = new AttributeValue { N = "1" } }),
                Put(h, "u#u_seed", new() { ["sz"] = new AttributeValue { N = "4096" }, ["at"] = new AttributeValue { N = old } }),
            }).ToList();
            var request = new BatchWriteItemRequest { RequestItems = new() { [tables.Blocks] = writes } };
            while (request.RequestItems.Count > 0)
            {
                var response = await client.BatchWriteItemAsync(request, token);
                request.RequestItems = response.UnprocessedItems ?? [];
            }
        });
        store.Seed(hashes);
    }

    private static WriteRequest Put(BlockHash hash, string key, Dictionary<string, AttributeValue> attributes)
    {
        attributes["h"] = new AttributeValue(hash.Hex);
        attributes["k"] = new AttributeValue(key);
        return new WriteRequest { PutRequest = new PutRequest { Item = attributes } };
    }

    private static async Task AddChangesAsync(DynamoDbContext db, CountingListingStore store, int count, CancellationToken ct)
    {
        var index = new DynamoDbBlockIndex(db);
        var past = DateTimeOffset.UtcNow.AddDays(-2);
        for (var i = 0; i < count; i++)
        {
            var hash = BlockHash.FromDigest(RandomNumberGenerator.GetBytes(32));
            await index.RecordAsync("u_change", hash, 4096, past, ct);
            store.Seed([hash]);
        }
    }

    /// <summary>A block store that holds names only and counts the S3 requests its calls would be (a listing: one per 1,000 keys).</summary>
    private sealed class CountingListingStore : IBlockStore
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<BlockHash, bool> _names = new();

        public int Requests { get; set; }

        public void Seed(IEnumerable<BlockHash> hashes)
        {
            foreach (var hash in hashes)
            {
                _names[hash] = true;
            }
        }

        public Task PutAsync(BlockHash hash, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> ExistsAsync(BlockHash hash, CancellationToken cancellationToken) => Task.FromResult(_names.ContainsKey(hash));

        public Task<byte[]> ReadAsync(BlockHash hash, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task DeleteAsync(BlockHash hash, CancellationToken cancellationToken)
        {
            Requests++;
            _names.TryRemove(hash, out _);
            return Task.CompletedTask;
        }

        public async IAsyncEnumerable<(BlockHash Hash, DateTimeOffset WrittenAt)> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var listed = 0;
            foreach (var hash in _names.Keys.ToList())
            {
                if (listed++ % 1000 == 0)
                {
                    Requests++;
                }

                yield return (hash, DateTimeOffset.UtcNow.AddDays(-30));
            }

            await Task.CompletedTask;
        }
    }
}
