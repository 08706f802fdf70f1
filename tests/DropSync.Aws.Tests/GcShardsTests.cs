using DropSync.Aws.DynamoDb;
using DropSync.Aws.Tests.Infrastructure;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Aws.Tests;

/// <summary>
/// The sparse GC index's shard count is a deployment setting (DROPSYNC_GC_SHARDS) that may only grow: blocks written
/// under the old count stay in shards the new count still reads, and a smaller count is refused.
/// </summary>
[Collection(AwsModeCollection.Name)]
public sealed class GcShardsTests(DynamoDbServer dynamo)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Blocks_recorded_under_16_shards_are_still_collected_after_the_count_grows_to_64()
    {
        var db = await dynamo.CreateTablesAsync();
        var before = new DynamoDbBlockIndex(db);
        var blocks = Enumerable.Range(0, 40).Select(i => Block($"sharded {i}", 10 + i)).ToList();
        foreach (var block in blocks)
        {
            await before.RecordAsync("u_alice", block.Hash, block.Size, At(0), None);
        }

        var grown = new DynamoDbContext(db.Client, db.Tables.WithGcShards(64));
        var found = await new DynamoDbBlockIndex(grown).ListUnreferencedAsync(At(10), At(10), 1_000, None);

        Assert.Equal(64, grown.Tables.GcShards);
        Assert.Equal(blocks.Select(b => b.Hash.Hex).Order(), found.Select(b => b.Hash.Hex).Order());
    }

    [Fact]
    public void A_shard_count_below_the_default_is_refused()
    {
        var tables = new DynamoDbTableNames("x-");
        Assert.Equal(DynamoDbTables.DefaultGcShards, tables.GcShards);
        Assert.Throws<ArgumentOutOfRangeException>(() => tables.WithGcShards(8));
        Assert.Throws<ArgumentOutOfRangeException>(() => tables.WithGcShards(2048));
    }
}
