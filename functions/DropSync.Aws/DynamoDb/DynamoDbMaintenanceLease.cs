using Amazon.DynamoDBv2.Model;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// One maintenance run at a time: a lease item in the Blocks table (partition <see cref="LeasePartition"/>), taken by a
/// conditional write that succeeds only if no lease exists, the existing one has expired, or this owner holds it. The
/// holder renews it every third of <see cref="Duration"/> while it runs and deletes it at the end; a run that crashed or
/// timed out leaves it to expire, and the next run takes it over. Why: cold tiering's reference counts (and the
/// retention pass's settling writes) are not idempotent under concurrency, and EventBridge may start a run while the
/// last one still runs, and Lambda retries a failed one. The function's reserved concurrency of 1 makes overlap rare;
/// the lease makes it impossible (conditional writes are strongly consistent:
/// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html#WorkingWithItems.ConditionalUpdate).
/// </summary>
public sealed class DynamoDbMaintenanceLease(DynamoDbContext db, TimeProvider clock)
{
    /// <summary>The lease item's partition key; no block hash (hex) can take it.</summary>
    public const string LeasePartition = "lease#maintenance";

    private const string LeaseKey = "lease";
    private const string OwnerAttribute = "o";
    private const string ExpiresAttribute = "x";

    /// <summary>How long a lease lasts without renewal: a crashed run blocks the next one at most this long.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Takes the lease for <paramref name="owner"/>; null if another owner holds an unexpired one.</summary>
    public async Task<Held?> TryAcquireAsync(string owner, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        var now = clock.GetUtcNow();
        try
        {
            var response = await db.Client.PutItemAsync(
                new PutItemRequest
                {
                    TableName = db.Tables.Blocks,
                    Item = new(StringComparer.Ordinal)
                    {
                        [BlocksPartitionKey] = Ddb.S(LeasePartition),
                        [BlocksSortKey] = Ddb.S(LeaseKey),
                        [OwnerAttribute] = Ddb.S(owner),
                        [ExpiresAttribute] = Ddb.N(Ddb.Ms(now + Duration)),
                    },
                    ConditionExpression = "attribute_not_exists(#h) OR #x < :now OR #o = :me",
                    ExpressionAttributeNames = new() { ["#h"] = BlocksPartitionKey, ["#x"] = ExpiresAttribute, ["#o"] = OwnerAttribute },
                    ExpressionAttributeValues = new() { [":now"] = Ddb.N(Ddb.Ms(now)), [":me"] = Ddb.S(owner) },
                    ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
                },
                cancellationToken).ConfigureAwait(false);
            db.Capacity.Record(nameof(DynamoDbMaintenanceLease), response.ConsumedCapacity);
        }
        catch (ConditionalCheckFailedException)
        {
            return null;
        }

        return new Held(this, owner);
    }

    /// <summary>The holder of an unexpired lease, or null (read for tests and operators).</summary>
    public async Task<string?> HolderAsync(CancellationToken cancellationToken)
    {
        var item = await db.GetItemAsync(nameof(DynamoDbMaintenanceLease), db.Tables.Blocks, Key(), cancellationToken).ConfigureAwait(false);
        return item is not null && item.RequireN(ExpiresAttribute) >= Ddb.Ms(clock.GetUtcNow()) ? item.RequireS(OwnerAttribute) : null;
    }

    private TimeProvider Clock => clock;

    private static Dictionary<string, AttributeValue> Key() => Ddb.Key(BlocksPartitionKey, LeasePartition, BlocksSortKey, LeaseKey);

    /// <summary>Extends the lease if <paramref name="owner"/> still holds it; false if it was lost (expired and taken over).</summary>
    private async Task<bool> RenewAsync(string owner, CancellationToken cancellationToken)
    {
        try
        {
            var response = await db.Client.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = db.Tables.Blocks,
                    Key = Key(),
                    UpdateExpression = "SET #x = :x",
                    ConditionExpression = "#o = :me",
                    ExpressionAttributeNames = new() { ["#x"] = ExpiresAttribute, ["#o"] = OwnerAttribute },
                    ExpressionAttributeValues = new() { [":x"] = Ddb.N(Ddb.Ms(clock.GetUtcNow() + Duration)), [":me"] = Ddb.S(owner) },
                    ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
                },
                cancellationToken).ConfigureAwait(false);
            db.Capacity.Record(nameof(DynamoDbMaintenanceLease), response.ConsumedCapacity);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    private async Task ReleaseAsync(string owner)
    {
        try
        {
            var response = await db.Client.DeleteItemAsync(
                new DeleteItemRequest
                {
                    TableName = db.Tables.Blocks,
                    Key = Key(),
                    ConditionExpression = "#o = :me",
                    ExpressionAttributeNames = new() { ["#o"] = OwnerAttribute },
                    ExpressionAttributeValues = new() { [":me"] = Ddb.S(owner) },
                    ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
                },
                CancellationToken.None).ConfigureAwait(false);
            db.Capacity.Record(nameof(DynamoDbMaintenanceLease), response.ConsumedCapacity);
        }
        catch (ConditionalCheckFailedException)
        {
            // Lost meanwhile (expired and taken over): the new holder's lease is not ours to delete.
        }
    }

    /// <summary>
    /// A lease held: renewed in the background until disposed, then released. <see cref="Lost"/> is cancelled if a
    /// renewal finds the lease taken over, so the run stops instead of working beside the new holder.
    /// </summary>
    public sealed class Held : IAsyncDisposable
    {
        private readonly DynamoDbMaintenanceLease _lease;
        private readonly CancellationTokenSource _stop = new();
        private readonly CancellationTokenSource _lost = new();
        private readonly Task _renewals;

        internal Held(DynamoDbMaintenanceLease lease, string owner)
        {
            _lease = lease;
            Owner = owner;
            _renewals = RenewWhileHeldAsync();
        }

        public string Owner { get; }

        /// <summary>Cancelled when the lease was lost.</summary>
        public CancellationToken Lost => _lost.Token;

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _renewals.ConfigureAwait(false);
            if (!_lost.IsCancellationRequested)
            {
                await _lease.ReleaseAsync(Owner).ConfigureAwait(false);
            }

            _stop.Dispose();
            _lost.Dispose();
        }

        private async Task RenewWhileHeldAsync()
        {
            try
            {
                while (true)
                {
                    await Task.Delay(_lease.Duration / 3, _lease.Clock, _stop.Token).ConfigureAwait(false);
                    bool held;
                    try
                    {
                        held = await _lease.RenewAsync(Owner, _stop.Token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException)
                    {
                        // A failed renewal is retried at the next tick: two more before the lease can expire.
                        continue;
                    }

                    if (!held)
                    {
                        await _lost.CancelAsync().ConfigureAwait(false);
                        return;
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Disposed: the run is over.
            }
        }
    }
}
