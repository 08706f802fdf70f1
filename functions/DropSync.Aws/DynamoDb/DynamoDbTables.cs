namespace DropSync.Aws.DynamoDb;

/// <summary>
/// The names and key schema of DropSync's DynamoDB tables, in one place for the adapters, <see cref="DynamoDbSchema"/> and
/// the CDK stack. Every table has a string partition key and a sort key; all are on-demand. Attribute names are short
/// because DynamoDB bills by item size.
/// </summary>
public static class DynamoDbTables
{
    /// <summary>
    /// Heads of paths. PK <see cref="EntriesPartitionKey"/> = namespace id, SK <see cref="EntriesSortKey"/> = path key
    /// (always starts with "/"), or <see cref="NamespaceHeadKey"/> for the namespace's head item (journal counter and batch
    /// version). LSIs (strongly consistent): <see cref="ChildrenIndex"/> on "lc" = depth (4 digits) + path key, set on live
    /// entries only; <see cref="DeletedIndex"/> on "dp" = path key, set on tombstones only.
    /// </summary>
    public const string Entries = "DropSyncEntries";

    public const string EntriesPartitionKey = "ns";
    public const string EntriesSortKey = "p";
    public const string ChildrenIndex = "children";
    public const string ChildrenIndexSortKey = "lc";
    public const string DeletedIndex = "deleted";
    public const string DeletedIndexSortKey = "dp";

    /// <summary>
    /// GSI (sparse, keys only) of the paths due for a retention check: PK "rs" = one of <see cref="DefaultGcShards"/> shards (of
    /// namespace + path key), SK "rd" = due time (ms). Every entry write sets both unless the path is already due from an
    /// earlier unchecked write ("rw"; then the keys, and the index, are left alone: EntryCodec.ToUpdate); the collector's
    /// verdict moves "rd" to when something kept next expires or removes both, and removes "rw". See DynamoDbRetentionStore.
    /// </summary>
    public const string RetentionIndex = "retention-due";
    public const string RetentionIndexPartitionKey = "rs";
    public const string RetentionIndexSortKey = "rd";

    /// <summary>The sort key of a namespace's head item; sorts before every path key ('#' &lt; '/').</summary>
    public const string NamespaceHeadKey = "#head";

    /// <summary>
    /// Revisions. PK "ns" = namespace id; SK "k" = <c>r#{rev}</c> (the revision, with its block list inline when small),
    /// <c>r#{rev}#c{n:D5}</c> (block-list chunks of a large revision) and <c>p#{pathKey}\u0001{serverModifiedMs:D15}#{rev}</c>
    /// (the by-path pointer, so a path's revisions are one Query newest first). No LSI, so a namespace's revisions may
    /// grow past 10 GB and spread over partitions.
    /// </summary>
    public const string Revisions = "DropSyncRevisions";

    public const string RevisionsPartitionKey = "ns";
    public const string RevisionsSortKey = "k";

    /// <summary>The change journal. PK "ns" = namespace id, SK "seq" (number) = the sequence number.</summary>
    public const string Journal = "DropSyncJournal";

    public const string JournalPartitionKey = "ns";
    public const string JournalSortKey = "seq";

    /// <summary>
    /// The block index. PK "h" = block hash (hex), SK "k" = <c>b</c> (the block: size, last stored time, the sticky
    /// "referenced by a revision" flag, the latest upload-session pin) or <c>u#{userId}</c> (that user stored it). GSI
    /// <see cref="BlocksGcIndex"/> (sparse, keys only): PK "gcs" = one of <see cref="DefaultGcShards"/> shards, SK "st" = when
    /// stored; only blocks not yet known to be referenced carry "gcs".
    /// </summary>
    public const string Blocks = "DropSyncBlocks";

    public const string BlocksPartitionKey = "h";
    public const string BlocksSortKey = "k";
    public const string BlocksGcIndex = "gc-candidates";
    public const string BlocksGcIndexPartitionKey = "gcs";
    public const string BlocksGcIndexSortKey = "st";

    /// <summary>Accounts and devices. PK "pk", SK "sk": <c>u#{userId}/account</c>, <c>e#{email}/email</c>,
    /// <c>u#{userId}/d#{deviceId}</c>, <c>d#{deviceId}/device</c>, <c>t#{tokenHash}/token</c>.</summary>
    public const string Accounts = "DropSyncAccounts";

    public const string AccountsPartitionKey = "pk";
    public const string AccountsSortKey = "sk";

    /// <summary>
    /// Resumable upload sessions. PK "id" = upload id, SK "k" = <c>s</c> (the session) or <c>c{n:D5}</c> (block-list chunks).
    /// GSI <see cref="SessionsExpiryIndex"/> (sparse, keys only): PK "es" = shard, SK "ex" = expiry (ms).
    /// GSI <see cref="OpenSessionsIndex"/> (sparse, keys only): PK "ou" = user id while the session is open (removed when it
    /// commits), SK "ex"; the cap on open sessions per user counts it. TTL on "ttl".
    /// </summary>
    public const string UploadSessions = "DropSyncUploadSessions";

    public const string UploadSessionsPartitionKey = "id";
    public const string UploadSessionsSortKey = "k";
    public const string SessionsExpiryIndex = "expiry";
    public const string SessionsExpiryIndexPartitionKey = "es";
    public const string SessionsExpiryIndexSortKey = "ex";
    public const string OpenSessionsIndex = "open";
    public const string OpenSessionsIndexPartitionKey = "ou";

    /// <summary>
    /// Shares, members, mounts and shared links (one table, generic keys). PK "pk", SK "sk":
    /// <c>s#{shareId}</c>/<c>share</c> (the share) and <c>s#{shareId}</c>/<c>m#{userId}</c> (its members);
    /// <c>n#{namespaceId}</c>/<c>s#{shareId}</c> (the namespace's shares) and <c>n#{namespaceId}</c>/<c>f#{folderKey}</c> (one share per
    /// folder); <c>u#{userId}</c>/<c>m#{shareId}</c> (the user's memberships) and <c>u#{userId}</c>/<c>k#{mountKey}</c> (one mount per
    /// path); <c>l#{tokenHash}</c>/<c>link</c> (a link by token), <c>o#{ownerUserId}</c>/<c>l#{createdMs:D15}#{linkId}</c> (the owner's
    /// links, newest first) and <c>o#{ownerUserId}</c>/<c>i#{linkId}</c> (a link by id, for revoking).
    /// </summary>
    public const string Sharing = "DropSyncSharing";

    public const string SharingPartitionKey = "pk";
    public const string SharingSortKey = "sk";

    /// <summary>
    /// Notifications. PK "u" = user id, SK "id" = notification id. LSIs (strongly consistent): <see cref="RecentIndex"/> on
    /// "tk" = time (ms, 15 digits) + "#" + id, for newest-first pages; <see cref="UnreadIndex"/> on "ur" (the same value, set
    /// only while unread), for the unread count. TTL on "ttl".
    /// </summary>
    public const string Notifications = "DropSyncNotifications";

    public const string NotificationsPartitionKey = "u";
    public const string NotificationsSortKey = "id";
    public const string RecentIndex = "recent";
    public const string RecentIndexSortKey = "tk";
    public const string UnreadIndex = "unread";
    public const string UnreadIndexSortKey = "ur";

    /// <summary>
    /// Open WebSocket connections (API Gateway). PK "pk", SK "sk": <c>u#{userId}</c>/<c>c#{connectionId}</c> (a user's
    /// connections, for the fan-out) and <c>c#{connectionId}</c>/<c>conn</c> (the connection, for $disconnect). TTL on "ttl".
    /// Not part of <see cref="DynamoDbSchema.Tables"/> (the CDK stack defines it beside them); see <see cref="DynamoDbSchema.ConnectionsTable"/>.
    /// </summary>
    public const string Connections = "DropSyncConnections";

    public const string ConnectionsPartitionKey = "pk";
    public const string ConnectionsSortKey = "sk";

    /// <summary>The TTL attribute (epoch seconds) of the tables that use one.</summary>
    public const string TimeToLiveAttribute = "ttl";

    /// <summary>
    /// How many partition-key values the sparse GC, retention and expiry indexes are spread over by default, so no index
    /// partition gets hot. A deployment may raise it (<see cref="DynamoDbTableNames.GcShards"/>), never lower it.
    /// </summary>
    public const int DefaultGcShards = 16;
}

/// <summary>The concrete table names of one deployment: <see cref="DynamoDbTables"/>' names behind an optional prefix.</summary>
public sealed record DynamoDbTableNames(string Prefix = "")
{
    public string Entries => Prefix + DynamoDbTables.Entries;

    public string Revisions => Prefix + DynamoDbTables.Revisions;

    public string Journal => Prefix + DynamoDbTables.Journal;

    public string Blocks => Prefix + DynamoDbTables.Blocks;

    public string Accounts => Prefix + DynamoDbTables.Accounts;

    public string UploadSessions => Prefix + DynamoDbTables.UploadSessions;

    public string Sharing => Prefix + DynamoDbTables.Sharing;

    public string Notifications => Prefix + DynamoDbTables.Notifications;

    public string Connections => Prefix + DynamoDbTables.Connections;

    /// <summary>
    /// Shards of the sparse indexes for this deployment (DROPSYNC_GC_SHARDS). Writers spread items over this many; readers
    /// query every one of them, so raising it is safe (items written under a smaller count stay in shards still read);
    /// lowering it would strand the items in the shards above, so <see cref="WithGcShards"/> refuses less than the default.
    /// </summary>
    public int GcShards { get; private init; } = DynamoDbTables.DefaultGcShards;

    public DynamoDbTableNames WithGcShards(int shards) => shards is >= DynamoDbTables.DefaultGcShards and <= 1024
        ? this with { GcShards = shards }
        : throw new ArgumentOutOfRangeException(nameof(shards), shards, $"GC shards are {DynamoDbTables.DefaultGcShards}-1024: they may grow, never shrink.");

    /// <summary>The tables of <see cref="DynamoDbSchema.Tables"/> (not <see cref="Connections"/>).</summary>
    public IEnumerable<string> All => [Entries, Revisions, Journal, Blocks, Accounts, UploadSessions, Sharing, Notifications];
}
