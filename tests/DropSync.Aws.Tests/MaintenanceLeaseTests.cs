using Amazon.DynamoDBv2.Model;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.Tests.Infrastructure;
using DropSync.Testing;
using Microsoft.Extensions.Time.Testing;

namespace DropSync.Aws.Tests;

/// <summary>
/// The maintenance lease against DynamoDB Local: of runs that start at once exactly one takes it and the others skip;
/// it is free again once released; a lease left by a run that died (never renewed, never released) is taken over once
/// expired, and the old holder, at its next renewal, learns it lost and is told to stop.
/// </summary>
[Collection(AwsModeCollection.Name)]
public sealed class MaintenanceLeaseTests(DynamoDbServer dynamo)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Of_runs_starting_at_once_exactly_one_takes_the_lease_and_it_is_free_again_once_released()
    {
        var db = await dynamo.CreateTablesAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var lease = new DynamoDbMaintenanceLease(db, clock);

        var attempts = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => lease.TryAcquireAsync($"run-{i}", None)));
        var holders = attempts.OfType<DynamoDbMaintenanceLease.Held>().ToList();
        var holder = Assert.Single(holders);
        Assert.Equal(holder.Owner, await lease.HolderAsync(None));
        Assert.Null(await lease.TryAcquireAsync("late", None));

        await holder.DisposeAsync();
        Assert.Null(await lease.HolderAsync(None));
        var next = await lease.TryAcquireAsync("next", None);
        Assert.NotNull(next);
        Assert.False(next.Lost.IsCancellationRequested);
        await next.DisposeAsync();
    }

    [Fact]
    public async Task An_expired_lease_is_taken_over_and_its_old_holder_learns_it_lost_at_its_next_renewal()
    {
        var db = await dynamo.CreateTablesAsync();
        var start = DateTimeOffset.UtcNow;
        var crashedClock = new FakeTimeProvider(start);
        var crashed = await new DynamoDbMaintenanceLease(db, crashedClock) { Duration = TimeSpan.FromMinutes(3) }.TryAcquireAsync("crashed", None);
        Assert.NotNull(crashed);

        // Before it expires, another run skips; after (the holder's clock stood still: no renewal), it is taken over.
        var before = new DynamoDbMaintenanceLease(db, new FakeTimeProvider(start + TimeSpan.FromMinutes(2)));
        Assert.Null(await before.TryAcquireAsync("early", None));
        var after = new DynamoDbMaintenanceLease(db, new FakeTimeProvider(start + TimeSpan.FromMinutes(4)));
        var taker = await after.TryAcquireAsync("taker", None);
        Assert.NotNull(taker);
        Assert.Equal("taker", await after.HolderAsync(None));

        // The old holder's renewal (every third of the duration) fails its condition: Lost fires, and its release
        // leaves the new holder's lease alone.
        crashedClock.Advance(TimeSpan.FromMinutes(1));
        Assert.True(crashed.Lost.WaitHandle.WaitOne(TimeSpan.FromSeconds(30)), "the old holder was not told it lost the lease");
        await crashed.DisposeAsync();
        Assert.Equal("taker", await after.HolderAsync(None));
        await taker.DisposeAsync();
        Assert.Null(await after.HolderAsync(None));
    }

    [Fact]
    public async Task A_holder_that_keeps_running_renews_its_lease_past_the_first_expiry()
    {
        var db = await dynamo.CreateTablesAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var lease = new DynamoDbMaintenanceLease(db, clock) { Duration = TimeSpan.FromMinutes(3) };
        var held = await lease.TryAcquireAsync("long-run", None);
        Assert.NotNull(held);

        // Five minutes in steps of 10 s, past the first expiry at 3: renewals (every minute, from the tick's time) keep
        // the expiry ahead of the clock all along.
        var end = clock.GetUtcNow() + TimeSpan.FromMinutes(5);
        while (clock.GetUtcNow() < end)
        {
            clock.Advance(TimeSpan.FromSeconds(10));
            await Eventually.WaitUntilAsync(async () => await ExpiryAsync(db) > clock.GetUtcNow().ToUnixTimeMilliseconds(), TimeSpan.FromSeconds(30));
        }

        Assert.Equal("long-run", await lease.HolderAsync(None));
        Assert.Null(await lease.TryAcquireAsync("other", None));
        Assert.False(held.Lost.IsCancellationRequested);
        await held.DisposeAsync();
    }

    private static async Task<long> ExpiryAsync(DynamoDbContext db)
    {
        var response = await db.Client.GetItemAsync(
            new GetItemRequest
            {
                TableName = db.Tables.Blocks,
                Key = new() { [DynamoDbTables.BlocksPartitionKey] = new AttributeValue(DynamoDbMaintenanceLease.LeasePartition), [DynamoDbTables.BlocksSortKey] = new AttributeValue("lease") },
                ConsistentRead = true,
            },
            None);
        return long.Parse(response.Item["x"].N, System.Globalization.CultureInfo.InvariantCulture);
    }
}
