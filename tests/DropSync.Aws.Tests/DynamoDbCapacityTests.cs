using DropSync.Aws.DynamoDb;
using DropSync.Aws.Tests.Infrastructure;
using DropSync.Contracts;
using DropSync.Core.Content;
using DropSync.Core.Ports;
using Xunit.Abstractions;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Aws.Tests;

/// <summary>Consumed capacity is reported per operation (what a benchmark reads), and batches past DynamoDB's limit fail clearly.</summary>
[Collection(DynamoDbCollection.Name)]
public sealed class DynamoDbCapacityTests(DynamoDbServer server, ITestOutputHelper output)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Capacity_units_are_counted_per_operation()
    {
        var db = await server.CreateTablesAsync();
        var files = new DynamoDbFileMetadataStore(db);
        var index = new DynamoDbBlockIndex(db);
        var ns = NewNamespace();
        var blocks = Enumerable.Range(0, 3).Select(i => Block("capacity " + i, 4 * 1024 * 1024)).ToArray();
        foreach (var block in blocks)
        {
            await index.RecordAsync("u_alice", block.Hash, block.Size, At(0), None);
        }

        db.Capacity.Reset();
        var uses = new List<CapacityUse>();
        db.Capacity.Consumed += use =>
        {
            lock (uses)
            {
                uses.Add(use);
            }
        };
        var file = File(ns, "/capacity.bin");
        await files.MustApplyAsync([Put(Folder(ns, "/dir")), .. CreateFile(file with { PathDisplay = "/dir/capacity.bin" }, blocks)]);
        var commit = db.Capacity.Snapshot();
        await files.GetEntryAsync(ns, "/dir/capacity.bin", None);
        await files.GetRevisionAsync(ns, file.Rev, None);
        await files.ListAsync(ns, "/dir", recursive: false, None);
        var all = db.Capacity.Snapshot();

        output.WriteLine(server.Description);
        foreach (var (operation, total) in all.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{operation}: {total.Requests} requests, {total.CapacityUnits} capacity units");
        }

        Assert.True(commit["ApplyAsync"].Requests >= 3);
        Assert.Equal(1, all["GetEntryAsync"].Requests);
        Assert.Equal(all.Values.Sum(t => t.CapacityUnits), uses.Sum(u => u.CapacityUnits), 6);
    }

    [Fact]
    public async Task A_batch_needing_more_than_100_transaction_items_is_refused_with_a_clear_error_and_writes_nothing()
    {
        var db = await server.CreateTablesAsync();
        var files = new DynamoDbFileMetadataStore(db);
        var ns = NewNamespace();
        var writes = Enumerable.Range(0, 60).SelectMany(i => new MetadataWrite[] { Put(File(ns, $"/f{i}")), Append(File(ns, $"/f{i}")) }).ToList();

        var error = await Assert.ThrowsAsync<Core.Errors.DropSyncException>(() => files.ApplyAsync(writes, None));

        Assert.Equal("batch_too_large", error.Code);
        Assert.Empty(await files.ListAsync(ns, "", recursive: true, None));
        Assert.Equal(0, await files.GetLatestSequenceAsync(ns, None));
    }

    [Fact]
    public async Task A_revision_of_65536_blocks_round_trips_through_chunk_items()
    {
        var db = await server.CreateTablesAsync();
        var files = new DynamoDbFileMetadataStore(db);
        var ns = NewNamespace();
        var file = File(ns, "/huge.bin");
        var blocks = Enumerable.Range(0, Limits.MaxBlocksPerFile).Select(i => new BlockRef(Hash("h" + (i % 5000)), 1 + (i % 4096))).ToArray();

        await files.MustApplyAsync(CreateFile(file, blocks));

        var revision = await files.GetRevisionAsync(ns, file.Rev, None);
        Assert.NotNull(revision);
        Assert.Equal<BlockRef>(blocks, revision.Blocks);
    }
}
