using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using DropSync.Core.Content;
using DropSync.Core.Model;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// Appending a part to a session's block list (a list sent in parts): the head item's block count is the condition, so
/// of two appends from the same place one wins and an append after the finish changes nothing.
/// </summary>
public sealed partial class DynamoDbUploadSessionStore
{
    public async Task<bool> AppendBlocksAsync(UploadSession session, IReadOnlyList<BlockRef> blocks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(blocks);
        // Pinned first, as at creation: a pin whose append then loses only keeps blocks until the session expires.
        await new DynamoDbBlockIndex(_db).PinAsync(blocks, session.ExpiresAt, cancellationToken).ConfigureAwait(false);
        var before = session.Blocks.Count;
        var all = new List<BlockRef>(before + blocks.Count);
        all.AddRange(session.Blocks);
        all.AddRange(blocks);
        var names = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["#bn"] = BlockCountAttribute,
            ["#b"] = BlocksAttribute,
            ["#crev"] = CommittedRevAttribute,
            ["#ab"] = AbortedAttribute,
        };
        var values = new Dictionary<string, AttributeValue>(StringComparer.Ordinal) { [":before"] = Ddb.N(before), [":count"] = Ddb.N(all.Count) };

        // Only the list's own count says where an append goes, so the head's count is the condition: of two appends from
        // the same place one wins, and an append after the finish changes nothing.
        const string Condition = "#bn = :before AND attribute_not_exists(#crev) AND attribute_not_exists(#ab)";
        if (all.Count <= BlocksPerItem)
        {
            values[":b"] = Ddb.B(Ddb.EncodeBlocks(all, 0, all.Count));
            try
            {
                var response = await _db.Client.UpdateItemAsync(
                    new UpdateItemRequest
                    {
                        TableName = _db.Tables.UploadSessions,
                        Key = SessionKey(session.UploadId),
                        UpdateExpression = "SET #b = :b, #bn = :count",
                        ConditionExpression = Condition,
                        ExpressionAttributeNames = names,
                        ExpressionAttributeValues = values,
                        ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                    },
                    cancellationToken).ConfigureAwait(false);
                _db.Capacity.Record(nameof(AppendBlocksAsync), response.ConsumedCapacity);
                return true;
            }
            catch (ConditionalCheckFailedException)
            {
                return false;
            }
        }

        // Past one item the list lives in chunk items: rewrite the chunks the new blocks touch (all of them when the
        // list was inline until now) and the head's counts, in one transaction so that a losing append writes nothing.
        var chunks = (all.Count + BlocksPerItem - 1) / BlocksPerItem;
        var first = before <= BlocksPerItem ? 0 : before / BlocksPerItem;
        var items = Enumerable.Range(first, chunks - first).Select(i => new TransactWriteItem
        {
            Put = new Put
            {
                TableName = _db.Tables.UploadSessions,
                Item = new(StringComparer.Ordinal)
                {
                    [UploadSessionsPartitionKey] = Ddb.S(session.UploadId),
                    [UploadSessionsSortKey] = Ddb.S(ChunkKey(i)),
                    [BlocksAttribute] = Ddb.B(Ddb.EncodeBlocks(all, i * BlocksPerItem, Math.Min(BlocksPerItem, all.Count - (i * BlocksPerItem)))),
                },
            },
        }).ToList();
        values[":bc"] = Ddb.N(chunks);
        names["#bc"] = ChunkCountAttribute;
        items.Add(new TransactWriteItem
        {
            Update = new Update
            {
                TableName = _db.Tables.UploadSessions,
                Key = SessionKey(session.UploadId),
                UpdateExpression = "SET #bn = :count, #bc = :bc REMOVE #b",
                ConditionExpression = Condition,
                ExpressionAttributeNames = names,
                ExpressionAttributeValues = values,
            },
        });
        try
        {
            var response = await _db.Client.TransactWriteItemsAsync(
                new TransactWriteItemsRequest { TransactItems = items, ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL },
                cancellationToken).ConfigureAwait(false);
            _db.Capacity.Record(nameof(AppendBlocksAsync), response.ConsumedCapacity);
            return true;
        }
        catch (TransactionCanceledException e) when (e.CancellationReasons?.Exists(r => r.Code == "ConditionalCheckFailed") == true)
        {
            return false;
        }
    }
}
