using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Ports;
using static DropSync.Aws.DynamoDb.DynamoDbTables;
using static DropSync.Aws.DynamoDb.EntryCodec;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// The items a commit writes: the transaction of a batch (entries, revision pointers, link moves, journal entries, head
/// updates) and the writes made before it (revision items and block-list chunks). Kept apart so the commit's write cost
/// can be read in one place (docs/architecture.md, capacity tables).
/// </summary>
public sealed partial class DynamoDbFileMetadataStore
{
    private (TransactWriteItemsRequest Request, List<ItemRole> Roles, List<ChangeRecord> Changes) BuildTransaction(
        BatchPlan plan, HeadRead read)
    {
        var heads = read.Heads;
        var items = new List<TransactWriteItem>();
        var roles = new List<ItemRole>();
        foreach (var slot in plan.Slots)
        {
            var shards = read.Layouts[slot.NamespaceId].Count;
            var partition = ShardLayout.PartitionOf(slot.NamespaceId, shards, slot.PathKey);
            if (slot.Put is not { } entry)
            {
                if (shards > 1)
                {
                    // A sharded namespace's commits condition on their own shards' heads only, so a path only checked
                    // (a parent folder, perhaps in another shard) is checked in place, not read under a head.
                    var (checkCondition, checkNames, checkValues) = Condition(slot.TableExpectations);
                    items.Add(new TransactWriteItem
                    {
                        ConditionCheck = new ConditionCheck
                        {
                            TableName = _db.Tables.Entries,
                            Key = EntryKey(partition, slot.PathKey),
                            ConditionExpression = checkCondition,
                            ExpressionAttributeNames = checkNames,
                            ExpressionAttributeValues = checkValues,
                            ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
                        },
                    });
                    roles.Add(new ItemRole(slot, -1));
                }

                // Otherwise a path only checked (a parent folder) was read under the head's version: no item (CommitReads.cs).
                continue;
            }

            var (condition, names, values) = Condition(slot.TableExpectations);
            var (update, updateNames, updateValues) = ToUpdate(entry, _db.Tables.GcShards);
            foreach (var (name, attribute) in updateNames)
            {
                names[name] = attribute;
            }

            foreach (var (name, value) in updateValues)
            {
                values[name] = value;
            }

            items.Add(new TransactWriteItem
            {
                Update = new Update
                {
                    TableName = _db.Tables.Entries,
                    Key = EntryKey(partition, slot.PathKey),
                    UpdateExpression = update,
                    ConditionExpression = condition,
                    ExpressionAttributeNames = names,
                    ExpressionAttributeValues = values,
                    ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
                },
            });
            roles.Add(new ItemRole(slot, -1));
        }

        foreach (var revision in PointersInTransaction(plan))
        {
            items.Add(new TransactWriteItem
            {
                Put = new Put { TableName = _db.Tables.Revisions, Item = PointerItem(revision.NamespaceId, revision.PathKey, revision.ServerModified, revision.Rev) },
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

        // Keyed by journal: a namespace's own, or a shard's (ShardLayout), each numbered by its head.
        var appends = JournalAppends(plan, read.Layouts);
        var next = heads.ToDictionary(h => h.Key, h => h.Value.Sequence, StringComparer.Ordinal);
        var changes = new List<ChangeRecord>();
        var newest = new Dictionary<string, Dictionary<string, AttributeValue>>(StringComparer.Ordinal);
        var lastAppend = appends.Select((a, i) => (a.Change.JournalId, i)).GroupBy(a => a.JournalId).ToDictionary(g => g.Key, g => g.Max(a => a.i), StringComparer.Ordinal);
        foreach (var (_, change) in appends)
        {
            changes.Add(change with { Sequence = ++next[change.JournalId] });
        }

        var batchEnds = BatchEnds(changes);
        for (var i = 0; i < changes.Count; i++)
        {
            var stored = changes[i];
            var item = ToJournalItem(stored);
            if (batchEnds.TryGetValue(stored.NamespaceId, out var ends))
            {
                item[BatchEndsAttribute] = ends;
            }

            if (lastAppend[stored.JournalId] == i)
            {
                // The journal's newest change rides in its head update (Journal.cs explains).
                newest[stored.JournalId] = item;
                continue;
            }

            items.Add(new TransactWriteItem { Put = new Put { TableName = _db.Tables.Journal, Item = item } });
            roles.Add(new ItemRole(null, -1));
        }

        foreach (var ns in heads.Keys)
        {
            var head = heads[ns];
            var names = new Dictionary<string, string> { ["#seq"] = Sequence, ["#ver"] = VersionAttribute };
            var values = new Dictionary<string, AttributeValue> { [":seq"] = Ddb.N(next[ns]), [":ver"] = Ddb.N(head.Version + 1) };
            var update = "SET #seq = :seq, #ver = :ver";
            if (newest.TryGetValue(ns, out var change))
            {
                names["#jr"] = NewestChange;
                values[":jr"] = new AttributeValue { M = change };
                update += ", #jr = :jr";
            }

            if (head.Exists)
            {
                values[":old"] = Ddb.N(head.Version);
            }
            else
            {
                names["#pk"] = EntriesPartitionKey;
            }

            items.Add(new TransactWriteItem
            {
                Update = new Update
                {
                    TableName = _db.Tables.Entries,
                    Key = HeadKey(ns),
                    UpdateExpression = update,
                    ConditionExpression = head.Exists ? "#ver = :old" : "attribute_not_exists(#pk)",
                    ExpressionAttributeNames = names,
                    ExpressionAttributeValues = values,
                },
            });
            roles.Add(new ItemRole(null, -2));
        }

        var request = new TransactWriteItemsRequest
        {
            TransactItems = items,
            // Per index too: the AWS benchmark counts index writes from it (bench/DropSync.Aws.Benchmarks/CapacityProbe.cs).
            ReturnConsumedCapacity = ReturnConsumedCapacity.INDEXES,
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

    /// <summary>
    /// Puts the batch's revision items before its transaction, each a conditional PutItem: 1 WRU per KB, where inside the
    /// transaction it was 2 (DynamoDB performs a transaction's writes twice, prepare and commit:
    /// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling).
    /// Outside the transaction is safe: a revision item is immutable and keyed by a fresh rev that only this batch's entry,
    /// pointer and journal entry name, and those land together in the transaction. Until then no reader is given the rev,
    /// and a listing of a path's revisions reads the pointers, so it never shows the item early. A batch that does not
    /// land deletes its items (<see cref="UndoAsync"/>); a crash in between leaves an item no one names, as it leaves a
    /// chunk item or a raised block reference (storage kept, never an answer changed). A retried batch finds its own item
    /// and goes on (that item is not this call's to delete: the earlier attempt may have landed); a rev taken by another
    /// revision answers with that write's index. Returns that index, if any, and the items this call created.
    /// </summary>
    private async Task<(int? TakenIndex, List<FileRevision> Created)> PutRevisionItemsAsync(
        List<(int Index, FileRevision Revision)> revisions, CancellationToken cancellationToken)
    {
        var outcomes = await Task.WhenAll(revisions.Select(async r =>
        {
            var item = RevisionItem(r.Revision);
            try
            {
                var response = await _db.Client.PutItemAsync(
                    new PutItemRequest
                    {
                        TableName = _db.Tables.Revisions,
                        Item = item,
                        ConditionExpression = "attribute_not_exists(#pk)",
                        ExpressionAttributeNames = new() { ["#pk"] = RevisionsPartitionKey },
                        ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                    },
                    cancellationToken).ConfigureAwait(false);
                _db.Capacity.Record(nameof(ApplyAsync), response.ConsumedCapacity);
                return (Taken: (int?)null, Created: (FileRevision?)r.Revision);
            }
            catch (ConditionalCheckFailedException)
            {
                var key = Ddb.Key(RevisionsPartitionKey, r.Revision.NamespaceId, RevisionsSortKey, RevisionKey(r.Revision.Rev));
                var existing = await _db.GetItemAsync(nameof(ApplyAsync), _db.Tables.Revisions, key, cancellationToken).ConfigureAwait(false);
                return (Taken: existing is not null && SameRevision(existing, item) ? null : r.Index, Created: (FileRevision?)null);
            }
        })).ConfigureAwait(false);
        return (outcomes.Where(o => o.Taken is not null).Min(o => o.Taken), outcomes.Select(o => o.Created).OfType<FileRevision>().ToList());
    }

    private static bool SameRevision(Dictionary<string, AttributeValue> stored, Dictionary<string, AttributeValue> wanted) =>
        new[] { Display, ContentHash, DeviceAttribute }.All(a => stored.GetS(a) == wanted.GetS(a)) &&
        new[] { Size, Modified, BlockCount }.All(a => stored.GetN(a) == wanted.GetN(a));

    private async Task DeleteRevisionItemsAsync(List<FileRevision> created, CancellationToken cancellationToken)
    {
        // Only items this call created for a batch that did not land: nothing names them.
        var deletes = created.Select(r => Ddb.DeleteRequest(Ddb.Key(RevisionsPartitionKey, r.NamespaceId, RevisionsSortKey, RevisionKey(r.Rev)))).ToList();
        if (deletes.Count > 0)
        {
            await _db.BatchWriteAsync(nameof(ApplyAsync), _db.Tables.Revisions, deletes, cancellationToken).ConfigureAwait(false);
        }
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
}
