using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using DropSync.Core.Content;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// Upload sessions in DynamoDB: one session item (block list inline up to <see cref="BlocksPerItem"/> blocks, else in
/// chunk items written first) and a sparse sharded expiry GSI that <see cref="DeleteExpiredAsync"/> queries. Creating a
/// session pins its blocks in the block index until it expires. Blocks reserved for a session's direct uploads are not
/// GC candidates while it lives (<see cref="DynamoDbBlockIndex.TryReserveAsync"/>): the sweep of an expired, uncommitted
/// session hands its unreferenced blocks to the GC index before deleting it, so only a committed session has a TTL (the
/// backstop for the sweep); a TTL delete of an uncommitted one would leave its blocks uncollected.
/// <para>
/// The cap on open sessions per user counts a second sparse GSI keyed by the user while a session is open (the key goes
/// when it commits) with <c>Select = COUNT</c> over the unexpired range. A per-user counter item would be exact but needs
/// a decrement for every way a session ends, and TTL deletes (the backstop) decrement nothing, so it would drift upward
/// and lock a user out. The index read is eventually consistent, so a burst of concurrent starts can overshoot the cap by
/// the few sessions still replicating: acceptable for a guard against floods, which is all the cap is.
/// </para>
/// </summary>
public sealed partial class DynamoDbUploadSessionStore : IUploadSessionStore
{
    /// <summary>Blocks per item (8192 × 36 B = 288 KiB, under the 400 KB item limit).</summary>
    public const int BlocksPerItem = 8192;

    private const string SessionItemKey = "s";
    private const string UserAttribute = "uid";
    private const string DeviceAttribute = "dev";
    private const string NamespaceAttribute = "ns";
    private const string PathAttribute = "d";
    private const string SizeAttribute = "sz";
    private const string ModeAttribute = "mode";
    private const string ExpectedRevAttribute = "erev";
    private const string ClientHashAttribute = "chash";
    private const string CreatedAttribute = "ca";
    private const string CommittedRevAttribute = "crev";
    private const string BlockCountAttribute = "bn";
    private const string ChunkCountAttribute = "bc";
    private const string BlocksAttribute = "b";

    /// <summary>How long after it was marked committed a session's TTL lets DynamoDB delete it if the sweep has not.</summary>
    private static readonly TimeSpan CommittedBackstop = TimeSpan.FromDays(30);

    private readonly DynamoDbContext _db;
    private readonly TimeProvider _time;

    public DynamoDbUploadSessionStore(DynamoDbContext db, TimeProvider? time = null)
    {
        _db = db ?? throw new ArgumentNullException(nameof(db));
        _time = time ?? TimeProvider.System;
    }

    public async Task CreateAsync(UploadSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        await new DynamoDbBlockIndex(_db).PinAsync(session.Blocks, session.ExpiresAt, cancellationToken).ConfigureAwait(false);
        var chunks = session.Blocks.Count > BlocksPerItem ? (session.Blocks.Count + BlocksPerItem - 1) / BlocksPerItem : 0;
        if (chunks > 0)
        {
            var writes = Enumerable.Range(0, chunks).Select(i => Ddb.PutRequest(new(StringComparer.Ordinal)
            {
                [UploadSessionsPartitionKey] = Ddb.S(session.UploadId),
                [UploadSessionsSortKey] = Ddb.S(ChunkKey(i)),
                [BlocksAttribute] = Ddb.B(Ddb.EncodeBlocks(session.Blocks, i * BlocksPerItem, Math.Min(BlocksPerItem, session.Blocks.Count - (i * BlocksPerItem)))),
            })).ToList();
            await _db.BatchWriteAsync(nameof(CreateAsync), _db.Tables.UploadSessions, writes, cancellationToken).ConfigureAwait(false);
        }

        var item = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
        {
            [UploadSessionsPartitionKey] = Ddb.S(session.UploadId),
            [UploadSessionsSortKey] = Ddb.S(SessionItemKey),
            [UserAttribute] = Ddb.S(session.UserId),
            [DeviceAttribute] = Ddb.S(session.DeviceId),
            [NamespaceAttribute] = Ddb.S(session.NamespaceId),
            [PathAttribute] = Ddb.S(session.PathDisplay),
            [SizeAttribute] = Ddb.N(session.Size),
            [ModeAttribute] = Ddb.S(session.Mode.ToString()),
            [CreatedAttribute] = Ddb.N(Ddb.Ms(session.CreatedAt)),
            [SessionsExpiryIndexSortKey] = Ddb.N(Ddb.Ms(session.ExpiresAt)),
            [SessionsExpiryIndexPartitionKey] = Ddb.S(Ddb.Shard(session.UploadId, _db.Tables.GcShards)),
            [BlockCountAttribute] = Ddb.N(session.Blocks.Count),
            [ChunkCountAttribute] = Ddb.N(chunks),
        };
        if (chunks == 0 && session.Blocks.Count > 0)
        {
            item[BlocksAttribute] = Ddb.B(Ddb.EncodeBlocks(session.Blocks, 0, session.Blocks.Count));
        }

        if (session.ExpectedRev is not null)
        {
            item[ExpectedRevAttribute] = Ddb.S(session.ExpectedRev);
        }

        if (session.StoredClientHash is { } clientHash)
        {
            item[ClientHashAttribute] = Ddb.S(clientHash);
        }

        if (session.AbortedAt is not null)
        {
            item[AbortedAttribute] = Ddb.N(Ddb.Ms(session.AbortedAt.Value));
        }

        if (session.CommittedRev is not null)
        {
            item[CommittedRevAttribute] = Ddb.S(session.CommittedRev);
            item[TimeToLiveAttribute] = Ttl(session.ExpiresAt);
        }
        else if (session.AbortedAt is null)
        {
            item[OpenSessionsIndexPartitionKey] = Ddb.S(session.UserId);
        }

        var response = await _db.Client.PutItemAsync(
            new PutItemRequest { TableName = _db.Tables.UploadSessions, Item = item, ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL },
            cancellationToken).ConfigureAwait(false);
        _db.Capacity.Record(nameof(CreateAsync), response.ConsumedCapacity);
    }

    public async Task<UploadSession?> GetAsync(string uploadId, CancellationToken cancellationToken)
    {
        var item = await _db.GetItemAsync(nameof(GetAsync), _db.Tables.UploadSessions, SessionKey(uploadId), cancellationToken).ConfigureAwait(false);
        if (item is null)
        {
            return null;
        }

        var count = (int)item.RequireN(BlockCountAttribute);
        var chunks = (int)(item.GetN(ChunkCountAttribute) ?? 0);
        var blocks = new List<BlockRef>(count);
        if (chunks == 0)
        {
            Ddb.DecodeBlocks(item.GetB(BlocksAttribute) ?? [], blocks);
        }
        else
        {
            var keys = Enumerable.Range(0, chunks).Select(i => Ddb.Key(UploadSessionsPartitionKey, uploadId, UploadSessionsSortKey, ChunkKey(i))).ToList();
            var found = (await _db.BatchGetAsync(nameof(GetAsync), _db.Tables.UploadSessions, keys, cancellationToken).ConfigureAwait(false))
                .ToDictionary(i => i.RequireS(UploadSessionsSortKey), StringComparer.Ordinal);
            for (var i = 0; i < chunks; i++)
            {
                Ddb.DecodeBlocks(
                    found.TryGetValue(ChunkKey(i), out var chunk) ? chunk.GetB(BlocksAttribute) ?? [] : throw new InvalidDataException($"Upload {uploadId} lacks block-list chunk {i}."),
                    blocks);
            }

            // A part appended between the head's read and the chunks' rewrote the last chunk: the head's count holds.
            if (blocks.Count > count)
            {
                blocks.RemoveRange(count, blocks.Count - count);
            }
        }

        var (hashKind, declaredHash) = UploadSession.ParseStoredClientHash(item.GetS(ClientHashAttribute));
        return new UploadSession
        {
            UploadId = uploadId,
            UserId = item.RequireS(UserAttribute),
            DeviceId = item.RequireS(DeviceAttribute),
            NamespaceId = item.RequireS(NamespaceAttribute),
            PathDisplay = item.RequireS(PathAttribute),
            Size = item.RequireN(SizeAttribute),
            Blocks = blocks,
            Mode = Enum.Parse<WriteMode>(item.RequireS(ModeAttribute)),
            ExpectedRev = item.GetS(ExpectedRevAttribute),
            ClientContentHash = declaredHash,
            ContentHashKind = hashKind,
            CreatedAt = Ddb.Time(item.RequireN(CreatedAttribute)),
            ExpiresAt = Ddb.Time(item.RequireN(SessionsExpiryIndexSortKey)),
            CommittedRev = item.GetS(CommittedRevAttribute),
            AbortedAt = item.GetN(AbortedAttribute) is { } aborted ? Ddb.Time(aborted) : null,
        };
    }

    public async Task MarkCommittedAsync(string uploadId, string rev, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _db.Client.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = _db.Tables.UploadSessions,
                    Key = SessionKey(uploadId),
                    // Removing the open-user key takes the session out of the count of open sessions. Committed, its blocks
                    // are referenced: from now on a TTL may delete it if the sweep does not.
                    UpdateExpression = "SET #crev = :rev, #ttl = :ttl REMOVE #ou",
                    ConditionExpression = "attribute_exists(#id)",
                    ExpressionAttributeNames = new()
                    {
                        ["#crev"] = CommittedRevAttribute,
                        ["#id"] = UploadSessionsPartitionKey,
                        ["#ou"] = OpenSessionsIndexPartitionKey,
                        ["#ttl"] = TimeToLiveAttribute,
                    },
                    ExpressionAttributeValues = new() { [":rev"] = Ddb.S(rev), [":ttl"] = Ttl(null) },
                    ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                },
                cancellationToken).ConfigureAwait(false);
            _db.Capacity.Record(nameof(MarkCommittedAsync), response.ConsumedCapacity);
        }
        catch (ConditionalCheckFailedException)
        {
            // No such session (expired and collected): nothing to mark.
        }
    }

    public async Task<int> CountOpenAsync(string userId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var count = 0;
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            // Keys-only index entries are ~100 bytes, so a user at the cap (100 by default) costs one read unit.
            var response = await _db.Client.QueryAsync(
                new QueryRequest
                {
                    TableName = _db.Tables.UploadSessions,
                    IndexName = OpenSessionsIndex,
                    KeyConditionExpression = "#ou = :user AND #ex > :now",
                    ExpressionAttributeNames = new() { ["#ou"] = OpenSessionsIndexPartitionKey, ["#ex"] = SessionsExpiryIndexSortKey },
                    ExpressionAttributeValues = new() { [":user"] = Ddb.S(userId), [":now"] = Ddb.N(Ddb.Ms(now)) },
                    Select = Select.COUNT,
                    ExclusiveStartKey = start,
                    ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                },
                cancellationToken).ConfigureAwait(false);
            _db.Capacity.Record(nameof(CountOpenAsync), response.ConsumedCapacity);
            count += response.Count ?? 0;
            start = response.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);

        return count;
    }

    public async Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var deleted = 0;
        foreach (var shard in Ddb.Shards(_db.Tables.GcShards))
        {
            var expired = await _db.QueryAllAsync(
                nameof(DeleteExpiredAsync),
                new QueryRequest
                {
                    TableName = _db.Tables.UploadSessions,
                    IndexName = SessionsExpiryIndex,
                    KeyConditionExpression = "#es = :shard AND #ex < :now",
                    ExpressionAttributeNames = new() { ["#es"] = SessionsExpiryIndexPartitionKey, ["#ex"] = SessionsExpiryIndexSortKey },
                    ExpressionAttributeValues = new() { [":shard"] = Ddb.S(shard), [":now"] = Ddb.N(Ddb.Ms(now)) },
                },
                cancellationToken).ConfigureAwait(false);
            foreach (var key in expired)
            {
                var uploadId = key.RequireS(UploadSessionsPartitionKey);
                try
                {
                    // First hand an uncommitted session's blocks to the GC index (idempotent), then delete it: a sweep that
                    // dies in between hands them over again next time. A committed session's blocks are referenced.
                    if (await GetAsync(uploadId, cancellationToken).ConfigureAwait(false) is { CommittedRev: null } open && open.ExpiresAt < now)
                    {
                        await new DynamoDbBlockIndex(_db).JoinGcIndexIfUnreferencedAsync(open.Blocks, now, nameof(DeleteExpiredAsync), cancellationToken).ConfigureAwait(false);
                    }

                    var response = await _db.Client.DeleteItemAsync(
                        new DeleteItemRequest
                        {
                            TableName = _db.Tables.UploadSessions,
                            Key = SessionKey(uploadId),
                            ConditionExpression = "#ex < :now",
                            ExpressionAttributeNames = new() { ["#ex"] = SessionsExpiryIndexSortKey },
                            ExpressionAttributeValues = new() { [":now"] = Ddb.N(Ddb.Ms(now)) },
                            ReturnValues = ReturnValue.ALL_OLD,
                            ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                        },
                        cancellationToken).ConfigureAwait(false);
                    _db.Capacity.Record(nameof(DeleteExpiredAsync), response.ConsumedCapacity);
                    if (response.Attributes.IsEmpty())
                    {
                        continue;
                    }

                    deleted++;
                    var chunks = (int)(response.Attributes.GetN(ChunkCountAttribute) ?? 0);
                    if (chunks > 0)
                    {
                        var deletes = Enumerable.Range(0, chunks)
                            .Select(i => Ddb.DeleteRequest(Ddb.Key(UploadSessionsPartitionKey, uploadId, UploadSessionsSortKey, ChunkKey(i)))).ToList();
                        await _db.BatchWriteAsync(nameof(DeleteExpiredAsync), _db.Tables.UploadSessions, deletes, cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (ConditionalCheckFailedException)
                {
                    // Gone already (the index lags the table).
                }
            }
        }

        return deleted;
    }

    /// <summary>
    /// A committed session's TTL, only a backstop for the sweep: a day after <paramref name="expiresAt"/> when known, else
    /// (marking it committed, where the expiry is not at hand) <see cref="CommittedBackstop"/> from now, past any session's
    /// lifetime (48 h by default), so it never goes before it expires and its state can be read back.
    /// </summary>
    private AttributeValue Ttl(DateTimeOffset? expiresAt)
    {
        var now = _time.GetUtcNow();
        var at = expiresAt is { } e ? (e > now ? e : now).AddDays(1) : now + CommittedBackstop;
        return Ddb.N(at.ToUnixTimeSeconds());
    }

    private static Dictionary<string, AttributeValue> SessionKey(string uploadId) =>
        Ddb.Key(UploadSessionsPartitionKey, uploadId, UploadSessionsSortKey, SessionItemKey);

    private static string ChunkKey(int chunk) => "c" + chunk.ToString("D5", CultureInfo.InvariantCulture);
}
