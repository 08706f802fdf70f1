using System.Globalization;
using Amazon.DynamoDBv2.Model;
using static DropSync.Aws.DynamoDb.DynamoDbTables;
using static DropSync.Aws.DynamoDb.EntryCodec;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// Raising a namespace's shard count S (never lowering it), safely against concurrent commits, readers and cursors:
/// <list type="number">
/// <item><b>Freeze.</b> One transaction records the target on the root head ("mig", phase "copy") and freezes every head
/// of the old layout (its version bumped, "frz" set): a commit that read an old head fails its condition, and one that
/// reads it now waits (the store retries it, then answers 503 metadata_busy). The old layout's journals end here.</item>
/// <item><b>Settle.</b> Wait at least twice <see cref="ShardLayoutCache.CacheFor"/>: afterwards no process still trusts a
/// cached old layout (the cache keeps only stable layouts, and every reader that looked during the freeze saw "mig").</item>
/// <item><b>Copy</b> every entry of the old partitions to its partition under the new S (readers still read the old copy
/// first: it is the same, nothing changes while frozen), then <b>drop</b> the old copies (phase "drop": readers read the new).</item>
/// <item><b>Switch.</b> One transaction sets "sc" = the new S, appends it to "sh" (the layouts whose journals cursors
/// read, oldest first), clears the migration and creates the new shard heads (journal counters at 0).</item>
/// </list>
/// Each step is idempotent, so a run that stops part-way is finished by running it again. Cursors keep working: a position
/// in an old journal is read to that journal's end, then the new layout's journals from their start (ChangeFeed).
/// Revisions, pointers and the retention index stay where they are (keyed by namespace, not by shard).
/// </summary>
public sealed partial class DynamoDbFileMetadataStore
{
    /// <summary>The most shards a namespace may have: a switch writes S + 1 items in one transaction, and a listing reads S heads in one TransactGetItems.</summary>
    public const int MaxShards = 64;

    /// <summary>
    /// Raises <paramref name="namespaceId"/>'s shard count to <paramref name="shards"/> (or finishes a raise begun before);
    /// answers the count it has afterwards. <paramref name="settle"/> defaults to twice the layout cache's lifetime; only a
    /// caller that knows no other process reads the namespace (a test) may pass less.
    /// </summary>
    public async Task<int> RaiseShardCountAsync(string namespaceId, int shards, TimeSpan? settle, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shards, MaxShards);
        var layout = await LayoutAsync(namespaceId, cancellationToken).ConfigureAwait(false);
        if (layout.Migrating is null)
        {
            if (shards <= layout.Count)
            {
                return layout.Count;
            }

            await FreezeAsync(namespaceId, layout.Count, shards, cancellationToken).ConfigureAwait(false);
            layout = await LayoutAsync(namespaceId, cancellationToken).ConfigureAwait(false);
        }

        if (layout.Migrating is null && layout.Count >= shards)
        {
            // Another run raised it meanwhile.
            return layout.Count;
        }

        if (layout.Migrating != shards)
        {
            throw new InvalidOperationException($"Namespace {namespaceId} is already being resharded to {layout.Migrating}.");
        }

        ShardLayoutCache.Forget(_db.Tables.Entries, namespaceId);
        await Task.Delay(settle ?? (ShardLayoutCache.CacheFor * 2), cancellationToken).ConfigureAwait(false);
        var old = ShardLayout.Partitions(namespaceId, layout.Count);
        if (layout.Phase == ShardLayout.CopyPhase)
        {
            foreach (var partition in old)
            {
                var items = await EntryItemsOfAsync(partition, keysOnly: false, cancellationToken).ConfigureAwait(false);
                await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (item, ct) =>
                {
                    var copy = new Dictionary<string, AttributeValue>(item, StringComparer.Ordinal)
                    {
                        [EntriesPartitionKey] = Ddb.S(ShardLayout.PartitionOf(namespaceId, shards, item.RequireS(EntriesSortKey))),
                    };
                    try
                    {
                        // Never over an item already there: a second run that read the old partition late must not put an
                        // old copy over what commits wrote after the first run switched.
                        await _db.Client.PutItemAsync(
                            new PutItemRequest { TableName = _db.Tables.Entries, Item = copy, ConditionExpression = "attribute_not_exists(#pk)", ExpressionAttributeNames = new() { ["#pk"] = EntriesPartitionKey } },
                            ct).ConfigureAwait(false);
                    }
                    catch (ConditionalCheckFailedException)
                    {
                        // Copied already.
                    }
                }).ConfigureAwait(false);
            }

            if (!await SetPhaseAsync(namespaceId, shards, ShardLayout.DropPhase, cancellationToken).ConfigureAwait(false))
            {
                return await FinishedByAnotherRunAsync(namespaceId, shards, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (var partition in old)
        {
            var keys = await EntryItemsOfAsync(partition, keysOnly: true, cancellationToken).ConfigureAwait(false);
            if (keys.Count > 0)
            {
                await _db.BatchWriteAsync(nameof(RaiseShardCountAsync), _db.Tables.Entries, keys.Select(Ddb.DeleteRequest).ToList(), cancellationToken).ConfigureAwait(false);
            }
        }

        if (!await SwitchAsync(namespaceId, layout, shards, cancellationToken).ConfigureAwait(false))
        {
            return await FinishedByAnotherRunAsync(namespaceId, shards, cancellationToken).ConfigureAwait(false);
        }

        ShardLayoutCache.Forget(_db.Tables.Entries, namespaceId);
        return shards;
    }

    /// <summary>A step's condition failed: another run of the same raise got there first, and must have finished it.</summary>
    private async Task<int> FinishedByAnotherRunAsync(string ns, int shards, CancellationToken cancellationToken)
    {
        ShardLayoutCache.Forget(_db.Tables.Entries, ns);
        var layout = await LayoutAsync(ns, cancellationToken).ConfigureAwait(false);
        return layout.Count >= shards ? layout.Count : throw new InvalidOperationException($"Raising the shard count of {ns} to {shards} was interrupted; run it again.");
    }

    private async Task FreezeAsync(string ns, int from, int to, CancellationToken cancellationToken)
    {
        var freeze = "SET #frz = :true, #ver = if_not_exists(#ver, :zero) + :one";
        var freezeNames = new Dictionary<string, string> { ["#frz"] = ShardLayout.FrozenAttribute, ["#ver"] = VersionAttribute };
        var items = new List<TransactWriteItem>
        {
            new()
            {
                Update = new Update
                {
                    TableName = _db.Tables.Entries,
                    Key = HeadKey(ns),
                    UpdateExpression = "SET #mig = :to, #mph = :copy" + (from == 1 ? ", #frz = :true, #ver = if_not_exists(#ver, :zero) + :one" : ""),
                    ConditionExpression = "attribute_not_exists(#mig) AND (attribute_not_exists(#sc) OR #sc = :from)",
                    ExpressionAttributeNames = new(freezeNames) { ["#mig"] = ShardLayout.MigratingAttribute, ["#mph"] = ShardLayout.PhaseAttribute, ["#sc"] = ShardLayout.CountAttribute },
                    ExpressionAttributeValues = new()
                    {
                        [":to"] = Ddb.N(to),
                        [":from"] = Ddb.N(from),
                        [":copy"] = Ddb.S(ShardLayout.CopyPhase),
                        [":true"] = Ddb.Bool(true),
                        [":zero"] = Ddb.N(0),
                        [":one"] = Ddb.N(1),
                    },
                },
            },
        };
        if (from > 1)
        {
            items.AddRange(ShardLayout.Partitions(ns, from).Select(partition => new TransactWriteItem
            {
                Update = new Update
                {
                    TableName = _db.Tables.Entries,
                    Key = HeadKey(partition),
                    UpdateExpression = freeze,
                    ExpressionAttributeNames = freezeNames,
                    ExpressionAttributeValues = new() { [":true"] = Ddb.Bool(true), [":zero"] = Ddb.N(0), [":one"] = Ddb.N(1) },
                },
            }));
        }

        try
        {
            await _db.Client.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = items }, cancellationToken).ConfigureAwait(false);
        }
        catch (TransactionCanceledException)
        {
            // Another run froze it first (or a commit was in the way): the caller rereads the layout and goes on or stops.
        }
    }

    private async Task<bool> SetPhaseAsync(string ns, int to, string phase, CancellationToken cancellationToken)
    {
        try
        {
            await _db.Client.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = _db.Tables.Entries,
                    Key = HeadKey(ns),
                    UpdateExpression = "SET #mph = :phase",
                    ConditionExpression = "#mig = :to",
                    ExpressionAttributeNames = new() { ["#mph"] = ShardLayout.PhaseAttribute, ["#mig"] = ShardLayout.MigratingAttribute },
                    ExpressionAttributeValues = new() { [":phase"] = Ddb.S(phase), [":to"] = Ddb.N(to) },
                },
                cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    private async Task<bool> SwitchAsync(string ns, ShardLayout layout, int to, CancellationToken cancellationToken)
    {
        var history = string.Join(",", layout.History.Append(to).Select(c => c.ToString(CultureInfo.InvariantCulture)));
        var items = new List<TransactWriteItem>
        {
            new()
            {
                Update = new Update
                {
                    TableName = _db.Tables.Entries,
                    Key = HeadKey(ns),
                    UpdateExpression = "SET #sc = :to, #sh = :history REMOVE #mig, #mph",
                    ConditionExpression = "#mig = :to",
                    ExpressionAttributeNames = new() { ["#sc"] = ShardLayout.CountAttribute, ["#sh"] = ShardLayout.HistoryAttribute, ["#mig"] = ShardLayout.MigratingAttribute, ["#mph"] = ShardLayout.PhaseAttribute },
                    ExpressionAttributeValues = new() { [":to"] = Ddb.N(to), [":history"] = Ddb.S(history) },
                },
            },
        };
        items.AddRange(ShardLayout.Partitions(ns, to).Select(partition => new TransactWriteItem
        {
            Put = new Put
            {
                TableName = _db.Tables.Entries,
                Item = new(HeadKey(partition)) { [Sequence] = Ddb.N(0), [VersionAttribute] = Ddb.N(0) },
            },
        }));
        try
        {
            await _db.Client.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = items }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TransactionCanceledException)
        {
            return false;
        }
    }

    /// <summary>Every entry item (not the head) of one partition, whole or keys only.</summary>
    private Task<List<Dictionary<string, AttributeValue>>> EntryItemsOfAsync(string partition, bool keysOnly, CancellationToken cancellationToken) =>
        _db.QueryAllAsync(
            nameof(RaiseShardCountAsync),
            new QueryRequest
            {
                TableName = _db.Tables.Entries,
                KeyConditionExpression = "#pk = :p AND begins_with(#sk, :slash)",
                ProjectionExpression = keysOnly ? "#pk, #sk" : null,
                ExpressionAttributeNames = new() { ["#pk"] = EntriesPartitionKey, ["#sk"] = EntriesSortKey },
                ExpressionAttributeValues = new() { [":p"] = Ddb.S(partition), [":slash"] = Ddb.S("/") },
                ConsistentRead = true,
            },
            cancellationToken);
}
