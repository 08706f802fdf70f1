using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Ports;
using static DropSync.Aws.DynamoDb.DynamoDbTables;
using static DropSync.Aws.DynamoDb.EntryCodec;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// Entries, revisions and the journal in DynamoDB. A batch is one <c>TransactWriteItems</c>: each path's writes become
/// one Put (or ConditionCheck) whose condition states its expectations; each revision is its item plus a by-path pointer;
/// journal entries take their numbers from the namespace head item, which the same transaction updates under a condition
/// on its version (optimistic: a lost race on the head is retried here; a failed expectation is answered). Large block
/// lists are written before the transaction as immutable chunk items keyed by the new rev, and the blocks' reference
/// counts in the block index are raised first, so garbage collection never takes a block a landed revision names.
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

    public DynamoDbFileMetadataStore(DynamoDbContext db) => _db = db ?? throw new ArgumentNullException(nameof(db));

    /// <summary>
    /// A write costs at most two transaction items (a revision is its item and its by-path pointer), plus one head item per
    /// namespace touched: 45 writes stay under <see cref="MaxTransactionItems"/> with room for the heads.
    /// </summary>
    public int MaxWritesPerBatch => 45;

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

        var itemCount = plan.Slots.Count + (2 * plan.Revisions.Count) + plan.Appends.Count + plan.Namespaces.Count + (sharing?.Items.Count ?? 0)
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

        for (var attempt = 0; ; attempt++)
        {
            if (attempt > 0)
            {
                await Backoff.DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
                if (plan.Sharing.Count > 0)
                {
                    // The shares, members, folders or mounts changed since they were read: plan them again.
                    sharing = await SharingWrites.PlanAsync(_db, plan.Sharing, cancellationToken).ConfigureAwait(false);
                    if (sharing.FailedIndex is { } failedShare)
                    {
                        await UndoAsync(plan, chunked, cancellationToken).ConfigureAwait(false);
                        return BatchResult.Failed(Math.Min(failedShare, await FirstTableFailureAsync(plan.Slots, failedShare, cancellationToken).ConfigureAwait(false)));
                    }
                }
            }

            var heads = await ReadHeadsAsync(plan.Namespaces, cancellationToken).ConfigureAwait(false);
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
                    await UndoAsync(plan, chunked, cancellationToken).ConfigureAwait(false);
                    return BatchResult.Failed(failedIndex);
                }
            }
            catch (TransactionConflictException)
            {
                // Another transaction holds one of these items: retry.
            }
            catch (ProvisionedThroughputExceededException)
            {
                // Throttled past the SDK's own retries: retry.
            }

            if (attempt >= MaxAttempts)
            {
                throw new DropSyncException(ErrorKind.Unavailable, ErrorCodes.MetadataBusy, "Too many concurrent changes in this folder; try again.");
            }
        }
    }

    public async Task<FileEntry?> GetEntryAsync(string namespaceId, string pathKey, CancellationToken cancellationToken)
    {
        var item = await _db.GetItemAsync(nameof(GetEntryAsync), _db.Tables.Entries, EntryKey(namespaceId, pathKey), cancellationToken).ConfigureAwait(false);
        return item is null ? null : ToEntry(item);
    }

    public Task<IReadOnlyList<FileEntry>> ListAsync(string namespaceId, string folderKey, bool recursive, CancellationToken cancellationToken) =>
        StableReadAsync(
            namespaceId,
            async () =>
            {
                var names = new Dictionary<string, string> { ["#pk"] = EntriesPartitionKey };
                var values = new Dictionary<string, AttributeValue> { [":ns"] = Ddb.S(namespaceId) };
                QueryRequest request;
                if (recursive)
                {
                    names["#sk"] = EntriesSortKey;
                    names["#del"] = Deleted;
                    values[":prefix"] = Ddb.S(folderKey + "/");
                    values[":false"] = Ddb.Bool(false);
                    request = new QueryRequest
                    {
                        TableName = _db.Tables.Entries,
                        KeyConditionExpression = "#pk = :ns AND begins_with(#sk, :prefix)",
                        FilterExpression = "#del = :false",
                    };
                }
                else
                {
                    names["#lc"] = ChildrenIndexSortKey;
                    values[":prefix"] = Ddb.S((Depth(folderKey) + 1).ToString("D4", CultureInfo.InvariantCulture) + folderKey + "/");
                    request = new QueryRequest
                    {
                        TableName = _db.Tables.Entries,
                        IndexName = ChildrenIndex,
                        KeyConditionExpression = "#pk = :ns AND begins_with(#lc, :prefix)",
                    };
                }

                request.ExpressionAttributeNames = names;
                request.ExpressionAttributeValues = values;
                request.ConsistentRead = true;
                var items = await _db.QueryAllAsync(nameof(ListAsync), request, cancellationToken).ConfigureAwait(false);
                return (IReadOnlyList<FileEntry>)items.Select(ToEntry).ToList();
            },
            cancellationToken);

    public async Task<IReadOnlyList<FileEntry>> ListDeletedAsync(string namespaceId, string folderKey, int limit, CancellationToken cancellationToken)
    {
        var items = await _db.QueryAllAsync(
            nameof(ListDeletedAsync),
            new QueryRequest
            {
                TableName = _db.Tables.Entries,
                IndexName = DeletedIndex,
                KeyConditionExpression = "#pk = :ns AND begins_with(#dp, :prefix)",
                ExpressionAttributeNames = new() { ["#pk"] = EntriesPartitionKey, ["#dp"] = DeletedIndexSortKey },
                ExpressionAttributeValues = new() { [":ns"] = Ddb.S(namespaceId), [":prefix"] = Ddb.S(folderKey + "/") },
                ConsistentRead = true,
            },
            cancellationToken).ConfigureAwait(false);
        return items.Select(ToEntry)
            .Where(e => e.IsDeleted)
            .OrderByDescending(e => e.ServerModified)
            .ThenBy(e => e.PathKey, StringComparer.Ordinal)
            .Take(limit)
            .ToList();
    }

    public async Task<IReadOnlyList<FileRevision>> ListRevisionsAsync(string namespaceId, string pathKey, int limit, CancellationToken cancellationToken)
    {
        if (limit <= 0)
        {
            return [];
        }

        var pointers = await _db.QueryAllAsync(
            nameof(ListRevisionsAsync),
            new QueryRequest
            {
                TableName = _db.Tables.Revisions,
                KeyConditionExpression = "#pk = :ns AND begins_with(#sk, :prefix)",
                ExpressionAttributeNames = new() { ["#pk"] = RevisionsPartitionKey, ["#sk"] = RevisionsSortKey },
                ExpressionAttributeValues = new() { [":ns"] = Ddb.S(namespaceId), [":prefix"] = Ddb.S(PathPointerPrefix(pathKey)) },
                ScanIndexForward = false,
                ConsistentRead = true,
                Limit = limit,
            },
            cancellationToken,
            limit).ConfigureAwait(false);
        var revisions = await Task.WhenAll(pointers.Take(limit).Select(p => GetRevisionAsync(namespaceId, p.RequireS(Rev), cancellationToken))).ConfigureAwait(false);
        return revisions.OfType<FileRevision>().ToList();
    }

    public async Task<FileRevision?> GetRevisionAsync(string namespaceId, string rev, CancellationToken cancellationToken)
    {
        var item = await _db.GetItemAsync(
            nameof(GetRevisionAsync), _db.Tables.Revisions, Ddb.Key(RevisionsPartitionKey, namespaceId, RevisionsSortKey, RevisionKey(rev)), cancellationToken).ConfigureAwait(false);
        if (item is null)
        {
            return null;
        }

        var count = (int)item.RequireN(BlockCount);
        var chunks = (int)(item.GetN(ChunkCount) ?? 0);
        var blocks = new List<BlockRef>(count);
        if (chunks == 0)
        {
            Ddb.DecodeBlocks(item.GetB(BlockBytes) ?? [], blocks);
        }
        else
        {
            var keys = Enumerable.Range(0, chunks).Select(i => Ddb.Key(RevisionsPartitionKey, namespaceId, RevisionsSortKey, RevisionChunkKey(rev, i))).ToList();
            var found = (await _db.BatchGetAsync(nameof(GetRevisionAsync), _db.Tables.Revisions, keys, cancellationToken).ConfigureAwait(false))
                .ToDictionary(i => i.RequireS(RevisionsSortKey), StringComparer.Ordinal);
            for (var i = 0; i < chunks; i++)
            {
                Ddb.DecodeBlocks(
                    found.TryGetValue(RevisionChunkKey(rev, i), out var chunk)
                        ? chunk.GetB(BlockBytes) ?? []
                        : throw new InvalidDataException($"Revision {rev} lacks block-list chunk {i}."),
                    blocks);
            }
        }

        if (blocks.Count != count)
        {
            throw new InvalidDataException($"Revision {rev} has {blocks.Count} blocks stored but records {count}.");
        }

        return new FileRevision
        {
            NamespaceId = namespaceId,
            Rev = rev,
            PathDisplay = item.RequireS(Display),
            Size = item.RequireN(Size),
            ContentHash = item.RequireS(ContentHash),
            ServerModified = Ddb.Time(item.RequireN(Modified)),
            DeviceId = item.RequireS(DeviceAttribute),
            Blocks = blocks,
        };
    }

    public async Task<IReadOnlyList<ChangeRecord>> ReadJournalAsync(string namespaceId, long afterSequence, int limit, CancellationToken cancellationToken)
    {
        if (limit <= 0)
        {
            return [];
        }

        for (var attempt = 0; ; attempt++)
        {
            // The head's sequence is read transactionally (never mid-commit); every number up to it is then in the journal.
            // A gap means a commit is still landing: read again, so a cursor never skips a change.
            var (latest, _, compacted) = await ReadHeadTransactionallyAsync(namespaceId, cancellationToken).ConfigureAwait(false);
            if (latest <= afterSequence)
            {
                return [];
            }

            // Entries up to the compaction point are gone; the caller compares its cursor with GetCompactedThroughAsync.
            var from = Math.Max(afterSequence, compacted);
            var upTo = Math.Min(latest, afterSequence + limit);
            if (upTo <= from)
            {
                return [];
            }

            var items = await _db.QueryAllAsync(
                nameof(ReadJournalAsync),
                new QueryRequest
                {
                    TableName = _db.Tables.Journal,
                    KeyConditionExpression = "#pk = :ns AND #seq BETWEEN :from AND :to",
                    ExpressionAttributeNames = new() { ["#pk"] = JournalPartitionKey, ["#seq"] = JournalSortKey },
                    ExpressionAttributeValues = new() { [":ns"] = Ddb.S(namespaceId), [":from"] = Ddb.N(from + 1), [":to"] = Ddb.N(upTo) },
                    ConsistentRead = true,
                },
                cancellationToken).ConfigureAwait(false);
            if (items.Count == upTo - from || attempt >= MaxAttempts)
            {
                return items.Select(ToChange).ToList();
            }

            await Backoff.DelayAsync(attempt + 1, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<long> GetLatestSequenceAsync(string namespaceId, CancellationToken cancellationToken)
    {
        var head = await _db.GetItemAsync(nameof(GetLatestSequenceAsync), _db.Tables.Entries, HeadKey(namespaceId), cancellationToken).ConfigureAwait(false);
        return head?.GetN(Sequence) ?? 0;
    }

    public async Task CompactJournalAsync(string namespaceId, long throughSequence, CancellationToken cancellationToken)
    {
        var head = await _db.GetItemAsync(nameof(CompactJournalAsync), _db.Tables.Entries, HeadKey(namespaceId), cancellationToken).ConfigureAwait(false);
        if (head is null)
        {
            return;
        }

        // Never past the latest sequence: entries appended later must stay readable by every cursor.
        var through = Math.Min(throughSequence, head.GetN(Sequence) ?? 0);
        var previous = head.GetN(CompactedThrough) ?? 0;
        if (through <= previous)
        {
            return;
        }

        try
        {
            var response = await _db.Client.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = _db.Tables.Entries,
                    Key = HeadKey(namespaceId),
                    UpdateExpression = "SET #cmp = :through",
                    ConditionExpression = "attribute_exists(#pk) AND (attribute_not_exists(#cmp) OR #cmp < :through)",
                    ExpressionAttributeNames = new() { ["#cmp"] = CompactedThrough, ["#pk"] = EntriesPartitionKey },
                    ExpressionAttributeValues = new() { [":through"] = Ddb.N(through) },
                    ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                },
                cancellationToken).ConfigureAwait(false);
            _db.Capacity.Record(nameof(CompactJournalAsync), response.ConsumedCapacity);
        }
        catch (ConditionalCheckFailedException)
        {
            // Compacted at least this far by someone else.
        }

        var keys = await _db.QueryAllAsync(
            nameof(CompactJournalAsync),
            new QueryRequest
            {
                TableName = _db.Tables.Journal,
                KeyConditionExpression = "#pk = :ns AND #seq <= :through",
                ProjectionExpression = "#pk, #seq",
                ExpressionAttributeNames = new() { ["#pk"] = JournalPartitionKey, ["#seq"] = JournalSortKey },
                ExpressionAttributeValues = new() { [":ns"] = Ddb.S(namespaceId), [":through"] = Ddb.N(through) },
            },
            cancellationToken).ConfigureAwait(false);
        if (keys.Count > 0)
        {
            await _db.BatchWriteAsync(nameof(CompactJournalAsync), _db.Tables.Journal, keys.Select(Ddb.DeleteRequest).ToList(), cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<long> GetCompactedThroughAsync(string namespaceId, CancellationToken cancellationToken)
    {
        var head = await _db.GetItemAsync(nameof(GetCompactedThroughAsync), _db.Tables.Entries, HeadKey(namespaceId), cancellationToken).ConfigureAwait(false);
        return head?.GetN(CompactedThrough) ?? 0;
    }

    /// <summary>
    /// Runs a multi-item read so that it never shows part of a batch: between two transactional reads of the namespace
    /// head's version (which every batch on the namespace bumps); if the version moved, the read is repeated.
    /// </summary>
    private async Task<T> StableReadAsync<T>(string namespaceId, Func<Task<T>> read, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (_, before, _) = await ReadHeadTransactionallyAsync(namespaceId, cancellationToken).ConfigureAwait(false);
            var result = await read().ConfigureAwait(false);
            var (_, after, _) = await ReadHeadTransactionallyAsync(namespaceId, cancellationToken).ConfigureAwait(false);
            if (before == after)
            {
                return result;
            }

            if (attempt >= MaxAttempts)
            {
                throw new DropSyncException(ErrorKind.Unavailable, ErrorCodes.MetadataBusy, "This folder is changing too fast to list; try again.");
            }

            await Backoff.DelayAsync(attempt + 1, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<(long Sequence, long Version, long CompactedThrough)> ReadHeadTransactionallyAsync(string namespaceId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var response = await _db.Client.TransactGetItemsAsync(
                    new TransactGetItemsRequest
                    {
                        TransactItems = [new TransactGetItem { Get = new Get { TableName = _db.Tables.Entries, Key = HeadKey(namespaceId) } }],
                        ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                    },
                    cancellationToken).ConfigureAwait(false);
                _db.Capacity.Record("ReadHead", response.ConsumedCapacity);
                var item = response.Responses is { Count: > 0 } ? response.Responses[0].Item : null;
                return item is null || item.Count == 0
                    ? (0, 0, 0)
                    : (item.GetN(Sequence) ?? 0, item.GetN(VersionAttribute) ?? 0, item.GetN(CompactedThrough) ?? 0);
            }
            catch (Exception e) when ((e is TransactionCanceledException or TransactionConflictException) && attempt < MaxAttempts)
            {
                // A commit on this namespace is in flight: read again once it has landed.
                await Backoff.DelayAsync(attempt + 1, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<Dictionary<string, (bool Exists, long Sequence, long Version)>> ReadHeadsAsync(IReadOnlyList<string> namespaces, CancellationToken cancellationToken)
    {
        var heads = new Dictionary<string, (bool, long, long)>(StringComparer.Ordinal);
        foreach (var ns in namespaces)
        {
            heads[ns] = (false, 0, 0);
        }

        if (namespaces.Count == 1)
        {
            var item = await _db.GetItemAsync(nameof(ApplyAsync), _db.Tables.Entries, HeadKey(namespaces[0]), cancellationToken).ConfigureAwait(false);
            if (item is not null)
            {
                heads[namespaces[0]] = (true, item.GetN(Sequence) ?? 0, item.GetN(VersionAttribute) ?? 0);
            }

            return heads;
        }

        var items = await _db.BatchGetAsync(nameof(ApplyAsync), _db.Tables.Entries, namespaces.Select(HeadKey).ToList(), cancellationToken).ConfigureAwait(false);
        foreach (var item in items)
        {
            heads[item.RequireS(EntriesPartitionKey)] = (true, item.GetN(Sequence) ?? 0, item.GetN(VersionAttribute) ?? 0);
        }

        return heads;
    }

    private (TransactWriteItemsRequest Request, List<ItemRole> Roles, List<ChangeRecord> Changes) BuildTransaction(
        BatchPlan plan, Dictionary<string, (bool Exists, long Sequence, long Version)> heads)
    {
        var items = new List<TransactWriteItem>();
        var roles = new List<ItemRole>();
        foreach (var slot in plan.Slots)
        {
            var (condition, names, values) = Condition(slot.TableExpectations);
            if (slot.Put is { } entry)
            {
                items.Add(new TransactWriteItem
                {
                    Put = new Put
                    {
                        TableName = _db.Tables.Entries,
                        Item = ToItem(entry, _db.Tables.GcShards),
                        ConditionExpression = condition,
                        ExpressionAttributeNames = names,
                        ExpressionAttributeValues = values,
                        ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
                    },
                });
            }
            else
            {
                items.Add(new TransactWriteItem
                {
                    ConditionCheck = new ConditionCheck
                    {
                        TableName = _db.Tables.Entries,
                        Key = EntryKey(slot.NamespaceId, slot.PathKey),
                        ConditionExpression = condition,
                        ExpressionAttributeNames = names,
                        ExpressionAttributeValues = values,
                        ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
                    },
                });
            }

            roles.Add(new ItemRole(slot, -1));
        }

        foreach (var (index, revision) in plan.Revisions)
        {
            items.Add(new TransactWriteItem
            {
                Put = new Put
                {
                    TableName = _db.Tables.Revisions,
                    Item = RevisionItem(revision),
                    ConditionExpression = "attribute_not_exists(#pk)",
                    ExpressionAttributeNames = new() { ["#pk"] = RevisionsPartitionKey },
                },
            });
            roles.Add(new ItemRole(null, index));
            items.Add(new TransactWriteItem
            {
                Put = new Put
                {
                    TableName = _db.Tables.Revisions,
                    Item = new(StringComparer.Ordinal)
                    {
                        [RevisionsPartitionKey] = Ddb.S(revision.NamespaceId),
                        [RevisionsSortKey] = Ddb.S(PathPointerKey(revision)),
                        [Rev] = Ddb.S(revision.Rev),
                    },
                },
            });
            roles.Add(new ItemRole(null, -1));
        }

        foreach (var (index, move) in plan.Links)
        {
            foreach (var item in LinkMoveItems(move))
            {
                items.Add(item);
                roles.Add(new ItemRole(null, index));
            }
        }

        var next = heads.ToDictionary(h => h.Key, h => h.Value.Sequence, StringComparer.Ordinal);
        var changes = new List<ChangeRecord>();
        foreach (var (_, change) in plan.Appends)
        {
            var stored = change with { Sequence = ++next[change.NamespaceId] };
            changes.Add(stored);
            items.Add(new TransactWriteItem { Put = new Put { TableName = _db.Tables.Journal, Item = ToJournalItem(stored) } });
            roles.Add(new ItemRole(null, -1));
        }

        foreach (var ns in plan.Namespaces)
        {
            var head = heads[ns];
            items.Add(new TransactWriteItem
            {
                Update = new Update
                {
                    TableName = _db.Tables.Entries,
                    Key = HeadKey(ns),
                    UpdateExpression = "SET #seq = :seq, #ver = :ver",
                    ConditionExpression = head.Exists ? "#ver = :old" : "attribute_not_exists(#pk)",
                    ExpressionAttributeNames = head.Exists
                        ? new() { ["#seq"] = Sequence, ["#ver"] = VersionAttribute }
                        : new() { ["#seq"] = Sequence, ["#ver"] = VersionAttribute, ["#pk"] = EntriesPartitionKey },
                    ExpressionAttributeValues = head.Exists
                        ? new() { [":seq"] = Ddb.N(next[ns]), [":ver"] = Ddb.N(head.Version + 1), [":old"] = Ddb.N(head.Version) }
                        : new() { [":seq"] = Ddb.N(next[ns]), [":ver"] = Ddb.N(head.Version + 1) },
                },
            });
            roles.Add(new ItemRole(null, -2));
        }

        var request = new TransactWriteItemsRequest
        {
            TransactItems = items,
            ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
            ClientRequestToken = Guid.NewGuid().ToString("N"),
        };
        return (request, roles, changes);
    }

    /// <summary>
    /// A link's move: its three copies (by token, in the owner's list, by id) updated in place, conditioned on the link
    /// being where it was read — an update, not a put, so a revocation landing meanwhile is kept — and its by-path item
    /// moved when the namespace or path key changes. At most five items.
    /// </summary>
    private List<TransactWriteItem> LinkMoveItems(MetadataWrite.MoveLink move)
    {
        var link = move.Link;
        var table = _db.Tables.Sharing;
        var names = new Dictionary<string, string> { ["#ns"] = "ns", ["#p"] = "p", ["#ovp"] = "ovp" };
        var values = new Dictionary<string, AttributeValue>
        {
            [":ns"] = Ddb.S(move.NamespaceId),
            [":p"] = Ddb.S(move.Path),
            [":ovp"] = Ddb.S(move.OwnerViewPath),
            [":oldNs"] = Ddb.S(link.NamespaceId),
            [":oldP"] = Ddb.S(link.Path),
        };
        var items = new[]
            {
                Ddb.Key(SharingPartitionKey, SharingCodec.LinkPk(link.TokenHash), SharingSortKey, SharingCodec.LinkSk),
                Ddb.Key(SharingPartitionKey, SharingCodec.OwnerPk(link.OwnerUserId), SharingSortKey, SharingCodec.OwnerListSk(link)),
                Ddb.Key(SharingPartitionKey, SharingCodec.OwnerPk(link.OwnerUserId), SharingSortKey, SharingCodec.OwnerIdSk(link.LinkId)),
            }
            .Select(key => new TransactWriteItem
            {
                Update = new Update
                {
                    TableName = table,
                    Key = key,
                    UpdateExpression = "SET #ns = :ns, #p = :p, #ovp = :ovp",
                    ConditionExpression = "#ns = :oldNs AND #p = :oldP",
                    ExpressionAttributeNames = names,
                    ExpressionAttributeValues = values,
                },
            })
            .ToList();
        var (oldKey, newKey) = (DropPath.KeyOf(link.Path), DropPath.KeyOf(move.Path));
        if ((link.NamespaceId, oldKey) != (move.NamespaceId, newKey))
        {
            items.Add(new TransactWriteItem
            {
                Delete = new Delete { TableName = table, Key = Ddb.Key(SharingPartitionKey, SharingCodec.NamespacePk(link.NamespaceId), SharingSortKey, SharingCodec.LinkPathSk(oldKey, link.LinkId)) },
            });
            items.Add(new TransactWriteItem { Put = new Put { TableName = table, Item = SharingCodec.LinkPathItem(move.NamespaceId, newKey, link) } });
        }

        return items;
    }

    private static (string Expression, Dictionary<string, string> Names, Dictionary<string, AttributeValue> Values) Condition(
        List<(int Index, EntryExpectation Expected)> expectations)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var values = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
        var parts = new List<string>();
        for (var i = 0; i < expectations.Count; i++)
        {
            switch (expectations[i].Expected)
            {
                case EntryExpectation.Absent:
                    names["#pk"] = EntriesPartitionKey;
                    names["#del"] = Deleted;
                    values[":true"] = Ddb.Bool(true);
                    parts.Add("(attribute_not_exists(#pk) OR #del = :true)");
                    break;
                case EntryExpectation.HasRev hasRev:
                    names["#rev"] = Rev;
                    values[":rev" + i.ToString(CultureInfo.InvariantCulture)] = Ddb.S(hasRev.Rev);
                    parts.Add("(#rev = :rev" + i.ToString(CultureInfo.InvariantCulture) + ")");
                    break;
                case EntryExpectation.LiveFolder:
                    names["#kind"] = Kind;
                    names["#del"] = Deleted;
                    values[":folder"] = Ddb.S("d");
                    values[":false"] = Ddb.Bool(false);
                    parts.Add("(#kind = :folder AND #del = :false)");
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(expectations), expectations[i].Expected, "Unknown expectation.");
            }
        }

        return (string.Join(" AND ", parts), names, values);
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

    private static Dictionary<string, AttributeValue> RevisionItem(FileRevision revision)
    {
        var item = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
        {
            [RevisionsPartitionKey] = Ddb.S(revision.NamespaceId),
            [RevisionsSortKey] = Ddb.S(RevisionKey(revision.Rev)),
            [Display] = Ddb.S(revision.PathDisplay),
            [Size] = Ddb.N(revision.Size),
            [ContentHash] = Ddb.S(revision.ContentHash),
            [Modified] = Ddb.N(Ddb.Ms(revision.ServerModified)),
            [DeviceAttribute] = Ddb.S(revision.DeviceId),
            [BlockCount] = Ddb.N(revision.Blocks.Count),
        };
        if (revision.Blocks.Count > InlineBlocks)
        {
            item[ChunkCount] = Ddb.N((revision.Blocks.Count + BlocksPerChunk - 1) / BlocksPerChunk);
        }
        else if (revision.Blocks.Count > 0)
        {
            item[BlockBytes] = Ddb.B(Ddb.EncodeBlocks(revision.Blocks, 0, revision.Blocks.Count));
        }

        return item;
    }

    private async Task WriteChunksAsync(List<FileRevision> revisions, CancellationToken cancellationToken)
    {
        var writes = new List<WriteRequest>();
        foreach (var revision in revisions)
        {
            for (var start = 0; start < revision.Blocks.Count; start += BlocksPerChunk)
            {
                writes.Add(Ddb.PutRequest(new(StringComparer.Ordinal)
                {
                    [RevisionsPartitionKey] = Ddb.S(revision.NamespaceId),
                    [RevisionsSortKey] = Ddb.S(RevisionChunkKey(revision.Rev, start / BlocksPerChunk)),
                    [BlockBytes] = Ddb.B(Ddb.EncodeBlocks(revision.Blocks, start, Math.Min(BlocksPerChunk, revision.Blocks.Count - start))),
                }));
            }
        }

        if (writes.Count > 0)
        {
            await _db.BatchWriteAsync(nameof(ApplyAsync), _db.Tables.Revisions, writes, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A batch that did not land: its chunks go, and the references it counted up for its blocks are counted down.</summary>
    private async Task UndoAsync(BatchPlan plan, List<FileRevision> chunked, CancellationToken cancellationToken)
    {
        await DeleteChunksAsync(chunked, cancellationToken).ConfigureAwait(false);
        await new DynamoDbBlockIndex(_db).ReleaseAsync(plan.Revisions.Select(r => r.Revision.Blocks), DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
    }

    private async Task DeleteChunksAsync(List<FileRevision> revisions, CancellationToken cancellationToken)
    {
        // Nothing references the chunks of a revision that did not land; removing them only saves storage.
        var deletes = revisions.SelectMany(r => Enumerable.Range(0, (r.Blocks.Count + BlocksPerChunk - 1) / BlocksPerChunk)
            .Select(i => Ddb.DeleteRequest(Ddb.Key(RevisionsPartitionKey, r.NamespaceId, RevisionsSortKey, RevisionChunkKey(r.Rev, i))))).ToList();
        if (deletes.Count > 0)
        {
            await _db.BatchWriteAsync(nameof(ApplyAsync), _db.Tables.Revisions, deletes, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed record ItemRole(Slot? Slot, int WriteIndex);

    /// <summary>All writes of a batch to one path: the table-facing expectations (in write order) and the final entry, if any.</summary>
    private sealed class Slot(string namespaceId, string pathKey)
    {
        public string NamespaceId { get; } = namespaceId;

        public string PathKey { get; } = pathKey;

        public List<(int Index, EntryExpectation Expected)> TableExpectations { get; } = [];

        public FileEntry? Put { get; set; }
    }

    private sealed class BatchPlan
    {
        public List<Slot> Slots { get; } = [];

        public List<(int Index, FileRevision Revision)> Revisions { get; } = [];

        public List<(int Index, ChangeRecord Change)> Appends { get; } = [];

        public List<string> Namespaces { get; } = [];

        public List<(int Index, MetadataWrite Write)> Sharing { get; } = [];

        public List<(int Index, MetadataWrite.MoveLink Move)> Links { get; } = [];

        public int? LocalFailure { get; private set; }

        public static BatchPlan Create(IReadOnlyList<MetadataWrite> writes)
        {
            var plan = new BatchPlan();
            var slots = new Dictionary<(string, string), Slot>();
            var namespaces = new HashSet<string>(StringComparer.Ordinal);

            Slot SlotOf(string ns, string key)
            {
                if (!slots.TryGetValue((ns, key), out var slot))
                {
                    slot = new Slot(ns, key);
                    slots[(ns, key)] = slot;
                    plan.Slots.Add(slot);
                    if (namespaces.Add(ns))
                    {
                        plan.Namespaces.Add(ns);
                    }
                }

                return slot;
            }

            for (var i = 0; i < writes.Count; i++)
            {
                switch (writes[i])
                {
                    case MetadataWrite.PutEntry put:
                        {
                            var slot = SlotOf(put.Entry.NamespaceId, put.Entry.PathKey);
                            if (slot.Put is not null)
                            {
                                if (!Holds(put.Expected, slot.Put))
                                {
                                    plan.LocalFailure = i;
                                    return plan;
                                }
                            }
                            else
                            {
                                slot.TableExpectations.Add((i, put.Expected));
                            }

                            slot.Put = put.Entry;
                            break;
                        }

                    case MetadataWrite.CheckEntry check:
                        {
                            var slot = SlotOf(check.NamespaceId, check.PathKey);
                            if (slot.Put is not null)
                            {
                                if (!Holds(check.Expected, slot.Put))
                                {
                                    plan.LocalFailure = i;
                                    return plan;
                                }
                            }
                            else
                            {
                                slot.TableExpectations.Add((i, check.Expected));
                            }

                            break;
                        }

                    case MetadataWrite.AddRevision add:
                        plan.Revisions.Add((i, add.Revision));
                        break;
                    case MetadataWrite.AppendChange append:
                        plan.Appends.Add((i, append.Change));
                        if (namespaces.Add(append.Change.NamespaceId))
                        {
                            plan.Namespaces.Add(append.Change.NamespaceId);
                        }

                        break;
                    case MetadataWrite.MoveLink move:
                        plan.Links.Add((i, move));
                        break;
                    case MetadataWrite.PutShare or MetadataWrite.DeleteShare or MetadataWrite.PutMember or MetadataWrite.DeleteMember:
                        plan.Sharing.Add((i, writes[i]));
                        break;
                    default:
                        throw new ArgumentOutOfRangeException(nameof(writes), writes[i], "Unknown metadata write.");
                }
            }

            return plan;
        }
    }
}
