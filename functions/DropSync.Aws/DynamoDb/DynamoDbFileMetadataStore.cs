using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using static DropSync.Aws.DynamoDb.EntryCodec;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// Entries, revisions and the journal in DynamoDB. A batch is one <c>TransactWriteItems</c>: each path's writes become
/// one Update whose condition states its expectations (a path only checked is read under the namespace version instead:
/// CommitReads.cs); journal entries take their numbers from the namespace head item, which the same transaction updates under a condition
/// on its version (optimistic: a lost race on the head is retried here; a failed expectation is answered). Revision
/// items (and, for large block lists, their chunk items) are immutable, keyed by the new rev, and written before the
/// transaction as plain writes; the blocks' reference counts in the block index are raised first, so garbage collection
/// never takes a block a landed revision names. What each item costs: DynamoDbFileMetadataStore.CommitWrites.cs.
/// </summary>
public sealed partial class DynamoDbFileMetadataStore : IFileMetadataStore
{
    /// <summary>DynamoDB's limit on the items of one transaction.</summary>
    public const int MaxTransactionItems = 100;

    /// <summary>Block lists up to this many blocks live in the revision item (36 bytes each); longer ones in chunk items.</summary>
    public const int InlineBlocks = 1024;

    /// <summary>Blocks per chunk item (8192 × 36 B = 288 KiB, under the 400 KB item limit).</summary>
    public const int BlocksPerChunk = 8192;

    private const int MaxAttempts = 200;
    private readonly DynamoDbContext _db;
    private long _retries;

    public DynamoDbFileMetadataStore(DynamoDbContext db) => _db = db ?? throw new ArgumentNullException(nameof(db));

    /// <summary>
    /// A write costs at most one transaction item (a revision superseded in its own batch its by-path pointer), a link's
    /// move up to five, plus one head item per namespace touched: 45 writes stay under <see cref="MaxTransactionItems"/>.
    /// </summary>
    public int MaxWritesPerBatch => 45;

    /// <summary>
    /// The shard count a namespace gets before its first batch lands (1, the default: one partition, as always). The
    /// contract tests run with more to prove a sharded namespace behaves the same; a deployment raises S per namespace
    /// (<see cref="RaiseShardCountAsync"/>) instead.
    /// </summary>
    public int NewNamespaceShards { get; init; } = 1;

    /// <summary>Batch attempts this store retried (a head moved, a transaction was in the way, throttled, a reshard): the benchmark prints it.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>
    /// Whether a retried batch counts itself in <see cref="DynamoDbContentionLog"/> (1 WRU per retry, per namespace of the
    /// batch), which the maintenance run reads to raise a hot namespace's shard count. On unless a test or bench turns it off.
    /// </summary>
    public bool RecordContention { get; init; } = true;

    /// <summary>How long a reshard waits between freezing and switching (null: twice the layout cache's lifetime, the safe value).</summary>
    public TimeSpan? ReshardSettle { get; init; }

    public async Task<BatchResult> ApplyAsync(IReadOnlyList<MetadataWrite> writes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writes);
        if (writes.Count == 0)
        {
            return new BatchResult(true, -1, []);
        }

        var plan = BatchPlan.Create(writes);
        var sharing = plan.Sharing.Count == 0 ? null : await SharingWrites.PlanAsync(_db, plan.Sharing, cancellationToken).ConfigureAwait(false);
        if (plan.LocalFailure is not null || sharing?.FailedIndex is not null)
        {
            // A write's expectation fails against an earlier write of the same batch (or a share rule fails): nothing is
            // written; the answer is the first failing write, which may be an earlier one whose expectation fails against the table.
            var local = Math.Min(plan.LocalFailure ?? int.MaxValue, sharing?.FailedIndex ?? int.MaxValue);
            return BatchResult.Failed(Math.Min(local, await FirstTableFailureAsync(plan.Slots, local, cancellationToken).ConfigureAwait(false)));
        }

        var itemCount = plan.Slots.Count(s => s.Put is not null) + PointersInTransaction(plan).Count() + plan.Appends.Count + plan.Namespaces.Count + (sharing?.Items.Count ?? 0)
            + plan.Links.Sum(l => LinkMoveItems(l.Move).Count);
        if (itemCount > MaxTransactionItems)
        {
            throw new DropSyncException(
                ErrorKind.PayloadTooLarge,
                ErrorCodes.BatchTooLarge,
                $"This change needs {itemCount} atomic writes; the AWS metadata store applies at most {MaxTransactionItems} at once. Change fewer entries at a time.");
        }

        var chunked = plan.Revisions.Where(r => r.Revision.Blocks.Count > InlineBlocks).Select(r => r.Revision).ToList();
        await WriteChunksAsync(chunked, cancellationToken).ConfigureAwait(false);
        await new DynamoDbBlockIndex(_db).MarkReferencedAsync(plan.Revisions.Select(r => r.Revision.Blocks), cancellationToken).ConfigureAwait(false);
        var (takenRev, created) = await PutRevisionItemsAsync(plan.Revisions, cancellationToken).ConfigureAwait(false);
        if (takenRev is { } failedRev)
        {
            await UndoAsync(plan, chunked, created, cancellationToken).ConfigureAwait(false);
            return BatchResult.Failed(failedRev);
        }

        var contended = false;
        for (var attempt = 0; ; attempt++)
        {
            if (attempt > 0)
            {
                Interlocked.Increment(ref _retries);
                var backoff = Backoff.DelayAsync(attempt, cancellationToken);
                if (contended)
                {
                    // Counted while backing off, so the retry waits no longer for it (the maintenance run reads it).
                    await RecordContentionAsync(plan.Namespaces, cancellationToken).ConfigureAwait(false);
                    contended = false;
                }

                await backoff.ConfigureAwait(false);
                if (plan.Sharing.Count > 0)
                {
                    // The shares, members, folders or mounts changed since they were read: plan them again.
                    sharing = await SharingWrites.PlanAsync(_db, plan.Sharing, cancellationToken).ConfigureAwait(false);
                    if (sharing.FailedIndex is { } failedShare)
                    {
                        await UndoAsync(plan, chunked, created, cancellationToken).ConfigureAwait(false);
                        return BatchResult.Failed(Math.Min(failedShare, await FirstTableFailureAsync(plan.Slots, failedShare, cancellationToken).ConfigureAwait(false)));
                    }
                }
            }

            var heads = await ReadHeadsAsync(plan, cancellationToken).ConfigureAwait(false);
            var fresh = NewNamespaceShards > 1
                ? plan.Namespaces.Where(ns => heads.Layouts[ns] is { Count: 1, IsStable: true } && heads.Heads.TryGetValue(ns, out var head) && !head.Exists).ToList()
                : [];
            if (fresh.Count > 0)
            {
                // A namespace's first batch: give it its shards before anything is in it, then read the heads again.
                foreach (var ns in fresh)
                {
                    await RaiseShardCountAsync(ns, NewNamespaceShards, ReshardSettle, cancellationToken).ConfigureAwait(false);
                }

                continue;
            }

            if (heads.Busy)
            {
                // A namespace is being resharded (DynamoDbFileMetadataStore.Resharding.cs): wait for its new layout.
                if (attempt >= MaxAttempts)
                {
                    await UndoAsync(plan, chunked, created, cancellationToken).ConfigureAwait(false);
                    throw new DropSyncException(ErrorKind.Unavailable, ErrorCodes.MetadataBusy, "This folder is being reorganised; try again.");
                }

                continue;
            }

            var (failedRead, replaced) = await ReadUnderHeadsAsync(plan, heads.Layouts, cancellationToken).ConfigureAwait(false);
            if (failedRead is { } failedExpectation)
            {
                await UndoAsync(plan, chunked, created, cancellationToken).ConfigureAwait(false);
                return BatchResult.Failed(failedExpectation);
            }

            await PutReplacedPointersAsync(replaced, cancellationToken).ConfigureAwait(false);
            await CopyNewestChangesAsync(plan, heads, cancellationToken).ConfigureAwait(false);
            var (request, roles, changes) = BuildTransaction(plan, heads);
            foreach (var item in sharing?.Items ?? [])
            {
                request.TransactItems.Add(item);
                roles.Add(new ItemRole(null, -1));
            }

            if (request.TransactItems.Count == 0)
            {
                return new BatchResult(true, -1, changes);
            }

            if (request.TransactItems.Count > MaxTransactionItems)
            {
                // A sharded namespace's batch has a head per shard it touches and a folder's deletion a journal entry per shard.
                await UndoAsync(plan, chunked, created, cancellationToken).ConfigureAwait(false);
                throw new DropSyncException(
                    ErrorKind.PayloadTooLarge,
                    ErrorCodes.BatchTooLarge,
                    $"This change needs {request.TransactItems.Count} atomic writes; the AWS metadata store applies at most {MaxTransactionItems} at once. Change fewer entries at a time.");
            }

            try
            {
                var response = await _db.Client.TransactWriteItemsAsync(request, cancellationToken).ConfigureAwait(false);
                _db.Capacity.Record(nameof(ApplyAsync), response.ConsumedCapacity);
                return new BatchResult(true, -1, changes);
            }
            catch (TransactionCanceledException e)
            {
                var outcome = await ExplainAsync(plan, roles, e, cancellationToken).ConfigureAwait(false);
                if (outcome is { } failedIndex)
                {
                    await UndoAsync(plan, chunked, created, cancellationToken).ConfigureAwait(false);
                    return BatchResult.Failed(failedIndex);
                }

                // A head moved under this batch (another commit won the race), or it was in the way or throttled.
                contended = true;
            }
            catch (TransactionConflictException)
            {
                // Another transaction holds one of these items: retry.
                contended = true;
            }
            catch (ProvisionedThroughputExceededException)
            {
                // Throttled past the SDK's own retries: retry.
                contended = true;
            }

            if (attempt >= MaxAttempts)
            {
                await UndoAsync(plan, chunked, created, cancellationToken).ConfigureAwait(false);
                throw new DropSyncException(ErrorKind.Unavailable, ErrorCodes.MetadataBusy, "Too many concurrent changes in this folder; try again.");
            }
        }
    }

    private async Task RecordContentionAsync(IReadOnlyList<string> namespaces, CancellationToken cancellationToken)
    {
        if (!RecordContention)
        {
            return;
        }

        var log = new DynamoDbContentionLog(_db);
        try
        {
            await Task.WhenAll(namespaces.Select(ns => log.RecordAsync(ns, DateTimeOffset.UtcNow, cancellationToken))).ConfigureAwait(false);
        }
        catch (AmazonDynamoDBException)
        {
            // Bookkeeping only: a counter that could not be written must never fail the commit.
        }
    }

    /// <summary>
    /// Why a transaction was cancelled: the index of the first write whose expectation failed (answered), or null when only
    /// the namespace head moved or another transaction was in the way (retried).
    /// </summary>
    private async Task<int?> ExplainAsync(BatchPlan plan, List<ItemRole> roles, TransactionCanceledException e, CancellationToken cancellationToken)
    {
        var reasons = e.CancellationReasons ?? [];
        int? failed = null;
        for (var i = 0; i < reasons.Count && i < roles.Count; i++)
        {
            var code = reasons[i].Code;
            if (code is null or "None")
            {
                continue;
            }

            if (code is "TransactionConflict" or "ThrottlingError" or "ProvisionedThroughputExceeded")
            {
                continue;
            }

            if (code != "ConditionalCheckFailed")
            {
                throw new InvalidOperationException($"DynamoDB cancelled a metadata batch: {code} {reasons[i].Message}", e);
            }

            var role = roles[i];
            if (role.Slot is { } slot)
            {
                // The item as it was (ALL_OLD), or a fresh read when the service did not return it.
                var item = reasons[i].Item;
                FileEntry? current = item.IsEmpty()
                    ? await GetEntryAsync(slot.NamespaceId, slot.PathKey, cancellationToken).ConfigureAwait(false)
                    : ToEntry(item!);
                foreach (var (index, expected) in slot.TableExpectations)
                {
                    if (!Holds(expected, current))
                    {
                        failed = Math.Min(failed ?? int.MaxValue, index);
                        break;
                    }
                }
            }
            else if (role.WriteIndex >= 0)
            {
                failed = Math.Min(failed ?? int.MaxValue, role.WriteIndex);
            }
        }

        return failed;
    }

    /// <summary>The first write (below <paramref name="before"/>) whose expectation fails against the table now, or int.MaxValue.</summary>
    private async Task<int> FirstTableFailureAsync(List<Slot> slots, int before, CancellationToken cancellationToken)
    {
        var first = int.MaxValue;
        foreach (var slot in slots)
        {
            var current = await GetEntryAsync(slot.NamespaceId, slot.PathKey, cancellationToken).ConfigureAwait(false);
            foreach (var (index, expected) in slot.TableExpectations)
            {
                if (index < before && !Holds(expected, current))
                {
                    first = Math.Min(first, index);
                    break;
                }
            }
        }

        return first;
    }

    /// <summary>
    /// A batch that did not land: its revision items and chunks go, and the references it counted up for its blocks are
    /// counted down.
    /// </summary>
    private async Task UndoAsync(BatchPlan plan, List<FileRevision> chunked, List<FileRevision> created, CancellationToken cancellationToken)
    {
        await DeleteRevisionItemsAsync(created, cancellationToken).ConfigureAwait(false);
        await DeleteChunksAsync(chunked, cancellationToken).ConfigureAwait(false);
        await new DynamoDbBlockIndex(_db).ReleaseAsync(plan.Revisions.Select(r => r.Revision.Blocks), DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
    }
}
