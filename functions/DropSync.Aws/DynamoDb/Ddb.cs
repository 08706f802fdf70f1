using System.Buffers.Binary;
using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using DropSync.Core.Content;

namespace DropSync.Aws.DynamoDb;

/// <summary>Small helpers over the low-level DynamoDB API: attribute values, paging, batches with unprocessed-item retries.</summary>
internal static class Ddb
{
    /// <summary>Bytes per block in an encoded block list: the 32-byte SHA-256 and the size as a big-endian uint32.</summary>
    public const int BlockRefBytes = 36;

    public static AttributeValue S(string value) => new() { S = value };

    public static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    public static AttributeValue B(byte[] value) => new() { B = new MemoryStream(value, writable: false) };

    public static AttributeValue Bool(bool value) => new() { BOOL = value };

    public static Dictionary<string, AttributeValue> Key(string pkName, string pk, string skName, string sk) =>
        new(StringComparer.Ordinal) { [pkName] = S(pk), [skName] = S(sk) };

    public static string? GetS(this Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var v) && v.S is not null ? v.S : null;

    public static string RequireS(this Dictionary<string, AttributeValue> item, string name) =>
        item.GetS(name) ?? throw new InvalidDataException($"DynamoDB item lacks string attribute '{name}'.");

    public static long? GetN(this Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var v) && v.N is not null ? long.Parse(v.N, NumberStyles.Integer, CultureInfo.InvariantCulture) : null;

    public static long RequireN(this Dictionary<string, AttributeValue> item, string name) =>
        item.GetN(name) ?? throw new InvalidDataException($"DynamoDB item lacks number attribute '{name}'.");

    public static bool GetBool(this Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var v) && v.BOOL == true;

    public static byte[]? GetB(this Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var v) && v.B is not null ? v.B.ToArray() : null;

    public static bool IsEmpty(this Dictionary<string, AttributeValue>? item) => item is null || item.Count == 0;

    public static DateTimeOffset Time(long milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);

    public static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    public static string Shard(string text, int shards)
    {
        // FNV-1a: stable across processes (string.GetHashCode is not).
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return "s" + (hash % (uint)shards).ToString("D2", CultureInfo.InvariantCulture);
    }

    public static IEnumerable<string> Shards(int shards) =>
        Enumerable.Range(0, shards).Select(i => "s" + i.ToString("D2", CultureInfo.InvariantCulture));

    public static byte[] EncodeBlocks(IReadOnlyList<BlockRef> blocks, int start, int count)
    {
        var bytes = new byte[count * BlockRefBytes];
        for (var i = 0; i < count; i++)
        {
            var block = blocks[start + i];
            var slot = bytes.AsSpan(i * BlockRefBytes, BlockRefBytes);
            block.Hash.WriteDigest(slot[..32]);
            BinaryPrimitives.WriteUInt32BigEndian(slot[32..], checked((uint)block.Size));
        }

        return bytes;
    }

    public static void DecodeBlocks(byte[] bytes, List<BlockRef> into)
    {
        if (bytes.Length % BlockRefBytes != 0)
        {
            throw new InvalidDataException("A stored block list has a length that is not a multiple of 36 bytes.");
        }

        for (var offset = 0; offset < bytes.Length; offset += BlockRefBytes)
        {
            var slot = bytes.AsSpan(offset, BlockRefBytes);
            into.Add(new BlockRef(BlockHash.FromDigest(slot[..32]), checked((int)BinaryPrimitives.ReadUInt32BigEndian(slot[32..]))));
        }
    }

    /// <summary>Every page of a query (or only up to <paramref name="limit"/> items).</summary>
    public static async Task<List<Dictionary<string, AttributeValue>>> QueryAllAsync(
        this DynamoDbContext db, string operation, QueryRequest request, CancellationToken cancellationToken, int limit = int.MaxValue)
    {
        request.ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL;
        var items = new List<Dictionary<string, AttributeValue>>();
        do
        {
            var response = await db.Client.QueryAsync(request, cancellationToken).ConfigureAwait(false);
            db.Capacity.Record(operation, response.ConsumedCapacity);
            items.AddRange(response.Items ?? []);
            request.ExclusiveStartKey = response.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (request.ExclusiveStartKey is not null && items.Count < limit);

        return items;
    }

    public static async Task<Dictionary<string, AttributeValue>?> GetItemAsync(
        this DynamoDbContext db, string operation, string table, Dictionary<string, AttributeValue> key, CancellationToken cancellationToken,
        string? projection = null, Dictionary<string, string>? names = null)
    {
        var response = await db.Client.GetItemAsync(
            new GetItemRequest
            {
                TableName = table,
                Key = key,
                ConsistentRead = true,
                ProjectionExpression = projection,
                ExpressionAttributeNames = names,
                ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
            },
            cancellationToken).ConfigureAwait(false);
        db.Capacity.Record(operation, response.ConsumedCapacity);
        return response.IsItemSet && !response.Item.IsEmpty() ? response.Item : null;
    }

    /// <summary>Strongly consistent reads of many keys, 100 a request, <paramref name="parallelism"/> requests at a time.</summary>
    public static async Task<List<Dictionary<string, AttributeValue>>> BatchGetAsync(
        this DynamoDbContext db, string operation, string table, IReadOnlyList<Dictionary<string, AttributeValue>> keys,
        CancellationToken cancellationToken, string? projection = null, Dictionary<string, string>? names = null, int parallelism = 8)
    {
        var results = new List<Dictionary<string, AttributeValue>>();
        var chunks = keys.Chunk(100).ToList();
        await Parallel.ForEachAsync(
            chunks,
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (chunk, ct) =>
            {
                var pending = new KeysAndAttributes
                {
                    Keys = [.. chunk],
                    ConsistentRead = true,
                    ProjectionExpression = projection,
                    ExpressionAttributeNames = names,
                };
                for (var attempt = 0; pending is { Keys.Count: > 0 }; attempt++)
                {
                    if (attempt > 0)
                    {
                        await Backoff.DelayAsync(attempt, ct).ConfigureAwait(false);
                    }

                    var response = await db.Client.BatchGetItemAsync(
                        new BatchGetItemRequest
                        {
                            RequestItems = new() { [table] = pending },
                            ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                        },
                        ct).ConfigureAwait(false);
                    db.Capacity.Record(operation, response.ConsumedCapacity);
                    if (response.Responses is not null && response.Responses.TryGetValue(table, out var found))
                    {
                        lock (results)
                        {
                            results.AddRange(found);
                        }
                    }

                    pending = response.UnprocessedKeys is not null && response.UnprocessedKeys.TryGetValue(table, out var rest) ? rest : null;
                }
            }).ConfigureAwait(false);
        return results;
    }

    /// <summary>Puts and deletes, 25 a request, retrying unprocessed items. Not atomic as a whole.</summary>
    public static async Task BatchWriteAsync(
        this DynamoDbContext db, string operation, string table, IReadOnlyList<WriteRequest> writes, CancellationToken cancellationToken, int parallelism = 4)
    {
        await Parallel.ForEachAsync(
            writes.Chunk(25),
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (chunk, ct) =>
            {
                List<WriteRequest>? pending = [.. chunk];
                for (var attempt = 0; pending is { Count: > 0 }; attempt++)
                {
                    if (attempt > 0)
                    {
                        await Backoff.DelayAsync(attempt, ct).ConfigureAwait(false);
                    }

                    var response = await db.Client.BatchWriteItemAsync(
                        new BatchWriteItemRequest
                        {
                            RequestItems = new() { [table] = pending },
                            ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                        },
                        ct).ConfigureAwait(false);
                    db.Capacity.Record(operation, response.ConsumedCapacity);
                    pending = response.UnprocessedItems is not null && response.UnprocessedItems.TryGetValue(table, out var rest) ? rest : null;
                }
            }).ConfigureAwait(false);
    }

    public static WriteRequest PutRequest(Dictionary<string, AttributeValue> item) => new() { PutRequest = new PutRequest { Item = item } };

    public static WriteRequest DeleteRequest(Dictionary<string, AttributeValue> key) => new() { DeleteRequest = new DeleteRequest { Key = key } };

    public static bool IsConditionFailure(this AmazonDynamoDBException exception) => exception is ConditionalCheckFailedException;
}

/// <summary>Exponential backoff with full jitter, for optimistic retries.</summary>
internal static class Backoff
{
    public static Task DelayAsync(int attempt, CancellationToken cancellationToken)
    {
        var cap = Math.Min(250, 4 << Math.Min(attempt, 6));
        return Task.Delay(TimeSpan.FromMilliseconds(1 + Random.Shared.Next(cap)), cancellationToken);
    }
}
