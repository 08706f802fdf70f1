using System.Globalization;
using Amazon.DynamoDBv2.Model;
using DropSync.Core.Model;
using static DropSync.Aws.DynamoDb.DynamoDbTables;
using static DropSync.Aws.DynamoDb.EntryCodec;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// Keyset pages of a listing: the same queries as <see cref="ListAsync"/>, started after the key with ExclusiveStartKey
/// and stopped once a page is full. ExclusiveStartKey need not name an existing item but must lie within the key
/// condition ("The provided starting key is outside query boundaries" otherwise), so a key outside the folder's range
/// reads from the start or reads nothing. Sort keys compare as UTF-8 bytes, as SQLite's do.
/// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html#DDB-Query-request-ExclusiveStartKey
/// </summary>
public sealed partial class DynamoDbFileMetadataStore
{
    public Task<IReadOnlyList<FileEntry>> ListPageAsync(string namespaceId, string folderKey, bool recursive, string? afterKey, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var prefix = folderKey + "/";
        if (limit == 0 || (afterKey is not null && !afterKey.StartsWith(prefix, StringComparison.Ordinal) && string.CompareOrdinal(afterKey, prefix) > 0))
        {
            // Every key below the folder sorts before afterKey.
            return Task.FromResult<IReadOnlyList<FileEntry>>([]);
        }

        var start = afterKey is not null && afterKey.StartsWith(prefix, StringComparison.Ordinal) ? afterKey : null;
        return StableReadAsync(
            namespaceId,
            async layout => (IReadOnlyList<FileEntry>)await QueryPartitionsAsync(
                namespaceId, layout, partition => PageRequest(partition, folderKey, recursive, start, limit), nameof(ListPageAsync), limit, cancellationToken).ConfigureAwait(false),
            cancellationToken);
    }

    /// <summary>One partition's page query (a sharded namespace's pages are merged by path key).</summary>
    private QueryRequest PageRequest(string namespaceId, string folderKey, bool recursive, string? start, int limit)
    {
        var prefix = folderKey + "/";
        var names = new Dictionary<string, string> { ["#pk"] = EntriesPartitionKey };
        var values = new Dictionary<string, AttributeValue> { [":ns"] = Ddb.S(namespaceId) };
        var request = new QueryRequest { TableName = _db.Tables.Entries, ConsistentRead = true, Limit = limit };
        if (recursive)
        {
            names["#sk"] = EntriesSortKey;
            names["#del"] = Deleted;
            values[":prefix"] = Ddb.S(prefix);
            values[":false"] = Ddb.Bool(false);
            request.KeyConditionExpression = "#pk = :ns AND begins_with(#sk, :prefix)";
            request.FilterExpression = "#del = :false";
            request.ExclusiveStartKey = start is null ? null : EntryKey(namespaceId, start);
        }
        else
        {
            var depth = (Depth(folderKey) + 1).ToString("D4", CultureInfo.InvariantCulture);
            names["#lc"] = ChildrenIndexSortKey;
            values[":prefix"] = Ddb.S(depth + prefix);
            request.IndexName = ChildrenIndex;
            request.KeyConditionExpression = "#pk = :ns AND begins_with(#lc, :prefix)";
            if (start is not null)
            {
                // A local index's start key is the table's key plus the index's sort key.
                var key = EntryKey(namespaceId, start);
                key[ChildrenIndexSortKey] = Ddb.S(depth + start);
                request.ExclusiveStartKey = key;
            }
        }

        request.ExpressionAttributeNames = names;
        request.ExpressionAttributeValues = values;
        return request;
    }
}
