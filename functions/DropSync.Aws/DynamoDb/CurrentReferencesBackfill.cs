using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// A one-off step of maintenance: counts, once, the current revisions' blocks of paths written before cold tiering
/// counted references incrementally (<see cref="DynamoDbCurrentReferences"/> counts a path only when it changes, so a file
/// untouched since has its blocks uncounted, and another file's overwrite of a shared block could take its count to 0
/// and tier it cold while the old file still names it). Each run scans at most <see cref="MaxEntriesPerRun"/> items of
/// Entries from where the last run stopped (the Scan's LastEvaluatedKey, saved in a state item in Blocks after each
/// page), counts each live file's blocks unless the path was already counted (<see cref="DynamoDbCurrentReferences.CountIfUncountedAsync"/>),
/// and marks itself done when the Scan ends; from then on a run costs one GetItem. Paths that change meanwhile are
/// counted by the retention pass from what the backfill recorded, so the two never count a path twice.
/// Cost, once per deployment: the Scan reads the Entries table once (eventually consistent, 4 KB per 0.5 RRU), and per
/// live file one GetItem of its <c>t#</c> item, one of its revision, one UpdateItem per block and one of <c>t#</c>.
/// </summary>
public sealed class CurrentReferencesBackfill(DynamoDbContext db, DynamoDbCurrentReferences references, TimeProvider clock)
{
    /// <summary>The state item's partition key in Blocks; no block hash (hex) can take it.</summary>
    public const string StatePartition = "backfill#current-references";

    private const string StateKey = "state";
    private const string DoneAttribute = "d";
    private const string ResumeNamespaceAttribute = "rn";
    private const string ResumePathAttribute = "rp";
    private const string ScannedAttribute = "sc";
    private const string CountedAttribute = "ct";

    /// <param name="Scanned">Entries items read by this run.</param>
    /// <param name="Counted">Paths whose current revision this run counted.</param>
    /// <param name="Done">Whether the backfill has finished (this run or an earlier one).</param>
    public sealed record Report(int Scanned, int Counted, bool Done);

    /// <summary>Entries items one run reads at most.</summary>
    public int MaxEntriesPerRun { get; init; } = 10_000;

    /// <summary>Items one Scan request reads at most (a page; the state is saved after each).</summary>
    public int PageSize { get; init; } = 1_000;

    public async Task<Report> RunOnceAsync(CancellationToken cancellationToken)
    {
        var stateKey = Ddb.Key(BlocksPartitionKey, StatePartition, BlocksSortKey, StateKey);
        var state = await db.GetItemAsync(nameof(CurrentReferencesBackfill), db.Tables.Blocks, stateKey, cancellationToken).ConfigureAwait(false);
        if (state?.GetBool(DoneAttribute) == true)
        {
            return new Report(0, 0, true);
        }

        var resume = state?.GetS(ResumeNamespaceAttribute) is { } ns && state.GetS(ResumePathAttribute) is { } path
            ? Ddb.Key(EntriesPartitionKey, ns, EntriesSortKey, path)
            : null;
        var (scanned, counted) = (0, 0);
        while (scanned < MaxEntriesPerRun)
        {
            var response = await db.Client.ScanAsync(
                new ScanRequest
                {
                    TableName = db.Tables.Entries,
                    ExclusiveStartKey = resume,
                    Limit = Math.Min(PageSize, MaxEntriesPerRun - scanned),
                    ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                },
                cancellationToken).ConfigureAwait(false);
            db.Capacity.Record(nameof(CurrentReferencesBackfill), response.ConsumedCapacity);
            var items = response.Items ?? [];
            scanned += items.Count;

            // Path items only: the namespace head ("#head") and any other bookkeeping items have no blocks.
            var entries = items.Where(i => i.GetS(EntriesSortKey)?.StartsWith('/') == true).Select(EntryCodec.ToEntry).Where(e => e.IsLiveFile).ToList();
            var now = clock.GetUtcNow();
            var countedHere = 0;
            await Parallel.ForEachAsync(entries, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (entry, ct) =>
            {
                if (await references.CountIfUncountedAsync(entry, now, ct).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref countedHere);
                }
            }).ConfigureAwait(false);
            counted += countedHere;

            resume = response.LastEvaluatedKey is { Count: > 0 } next ? next : null;
            await SaveAsync(stateKey, resume, items.Count, countedHere, cancellationToken).ConfigureAwait(false);
            if (resume is null)
            {
                return new Report(scanned, counted, true);
            }
        }

        return new Report(scanned, counted, false);
    }

    /// <summary>Records where the next run resumes (or that the Scan ended: done), and adds to the totals.</summary>
    private async Task SaveAsync(Dictionary<string, AttributeValue> stateKey, Dictionary<string, AttributeValue>? resume, int scanned, int counted, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, AttributeValue> { [":s"] = Ddb.N(scanned), [":c"] = Ddb.N(counted) };
        string update;
        if (resume is null)
        {
            values[":done"] = Ddb.Bool(true);
            update = "SET #d = :done REMOVE #rn, #rp ADD #sc :s, #ct :c";
        }
        else
        {
            values[":rn"] = resume[EntriesPartitionKey];
            values[":rp"] = resume[EntriesSortKey];
            update = "SET #rn = :rn, #rp = :rp ADD #sc :s, #ct :c";
        }

        var response = await db.Client.UpdateItemAsync(
            new UpdateItemRequest
            {
                TableName = db.Tables.Blocks,
                Key = stateKey,
                UpdateExpression = update,
                ExpressionAttributeNames = resume is null
                    ? new() { ["#d"] = DoneAttribute, ["#rn"] = ResumeNamespaceAttribute, ["#rp"] = ResumePathAttribute, ["#sc"] = ScannedAttribute, ["#ct"] = CountedAttribute }
                    : new() { ["#rn"] = ResumeNamespaceAttribute, ["#rp"] = ResumePathAttribute, ["#sc"] = ScannedAttribute, ["#ct"] = CountedAttribute },
                ExpressionAttributeValues = values,
                ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
            },
            cancellationToken).ConfigureAwait(false);
        db.Capacity.Record(nameof(CurrentReferencesBackfill), response.ConsumedCapacity);
    }
}
