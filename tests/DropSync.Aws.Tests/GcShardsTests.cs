using Amazon.DynamoDBv2.Model;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Aws.Tests;

/// <summary>
/// The sparse GC index's shard count is a deployment setting (DROPSYNC_GC_SHARDS) that may only grow: blocks written
/// under the old count stay in shards the new count still reads, and a smaller count is refused.
/// </summary>
[Collection(AwsModeCollection.Name)]
public sealed class GcShardsTests(DynamoDbServer dynamo, S3Server s3)
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

    [Fact]
    public async Task The_host_reads_the_shard_count_from_the_lambda_environment_into_the_stores_context()
    {
        await using var host = await AwsModeHost.StartAsync(dynamo, s3, new Dictionary<string, string> { [Hosting.AwsEnvironment.GcShards] = "48" });
        Assert.Equal(48, host.Factory.Services.GetRequiredService<DynamoDbContext>().Tables.GcShards);

        // Blocks recorded through the host's block index spread over all 48 shards of the GC index, not the default 16.
        var index = host.Factory.Services.GetRequiredService<DynamoDbBlockIndex>();
        var blocks = Enumerable.Range(0, 40).Select(i => Block($"host shards {i}", 10 + i)).ToList();
        var shards = new List<int>();
        foreach (var block in blocks)
        {
            await index.RecordAsync("u_alice", block.Hash, block.Size, At(0), None);
            var item = await host.Db.Client.GetItemAsync(
                new GetItemRequest
                {
                    TableName = host.Db.Tables.Blocks,
                    Key = new() { [DynamoDbTables.BlocksPartitionKey] = new AttributeValue(block.Hash.Hex), [DynamoDbTables.BlocksSortKey] = new AttributeValue("b") },
                    ConsistentRead = true,
                },
                None);
            shards.Add(int.Parse(item.Item[DynamoDbTables.BlocksGcIndexPartitionKey].S[1..], System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.All(shards, s => Assert.InRange(s, 0, 47));
        Assert.Contains(shards, s => s >= DynamoDbTables.DefaultGcShards);
    }
}
