using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// Aborting a session: the open-user key goes (so the cap's count no longer sees it, as on commit) and the abort time is
/// set, which the append's condition refuses. Then its blocks are released at once: unpinned where no later session
/// pins them (<see cref="DynamoDbBlockIndex.UnpinAsync"/>) and those no revision references handed to the GC index, as
/// the expiry sweep does (idempotent: an abort that dies in between leaves them to the sweep, as before). The expiry key
/// stays: the sweep deletes the session when it expires, so an aborted one gets no TTL either.
/// </summary>
public sealed partial class DynamoDbUploadSessionStore
{
    private const string AbortedAttribute = "ab";

    public async Task MarkAbortedAsync(string uploadId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _db.Client.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = _db.Tables.UploadSessions,
                    Key = SessionKey(uploadId),
                    UpdateExpression = "SET #ab = :at REMOVE #ou",
                    // Only an open session: a committed one stays committed, an aborted one keeps its first time.
                    ConditionExpression = "attribute_exists(#id) AND attribute_not_exists(#crev) AND attribute_not_exists(#ab)",
                    ExpressionAttributeNames = new()
                    {
                        ["#ab"] = AbortedAttribute,
                        ["#crev"] = CommittedRevAttribute,
                        ["#id"] = UploadSessionsPartitionKey,
                        ["#ou"] = OpenSessionsIndexPartitionKey,
                    },
                    ExpressionAttributeValues = new() { [":at"] = Ddb.N(Ddb.Ms(at)) },
                    ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                },
                cancellationToken).ConfigureAwait(false);
            _db.Capacity.Record(nameof(MarkAbortedAsync), response.ConsumedCapacity);
        }
        catch (ConditionalCheckFailedException)
        {
            // Unknown, committed or aborted already: nothing to change.
            return;
        }

        if (await GetAsync(uploadId, cancellationToken).ConfigureAwait(false) is { CommittedRev: null } aborted)
        {
            var index = new DynamoDbBlockIndex(_db);
            await index.UnpinAsync(aborted.Blocks, aborted.ExpiresAt, at, cancellationToken).ConfigureAwait(false);
            await index.JoinGcIndexIfUnreferencedAsync(aborted.Blocks, at, nameof(MarkAbortedAsync), cancellationToken).ConfigureAwait(false);
        }
    }
}
