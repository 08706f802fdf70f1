using DropSync.Core.Content;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>Entries, revisions and the change journal (<see cref="IFileMetadataStore"/>).</summary>
public sealed partial class SqliteMetadataStore
{
    /// <summary>is_deleted: 0 live, 1 deleted, 2 a tombstone left by a move (not listed among the deleted files).</summary>
    private const long MovedAwayState = 2;

    private const string EntryColumns = "ns, path_display, kind, rev, size, content_hash, server_modified, device_id, is_deleted";
    private const string RevisionColumns = "ns, rev, path_display, size, content_hash, server_modified, device_id";
    private const string JournalColumns = "ns, seq, kind, path_display, from_path, rev, entry_kind, size, content_hash, device_id, time";

    public Task<BatchResult> ApplyAsync(IReadOnlyList<MetadataWrite> writes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writes);
        var write = WriteAsync<BatchResult>(
            async (transaction, ct) =>
            {
                var result = await ApplyInTransactionAsync(transaction, WriterBatch(transaction), writes, ct);
                return (result, result.Applied);
            },
            cancellationToken,
            isMetadataBatch: true);
        return ChangesSharing(writes) ? ForgettingMembershipsAfter(write) : write;
    }

    public Task<FileEntry?> GetEntryAsync(string namespaceId, string pathKey, CancellationToken cancellationToken) =>
        ReadAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    $"SELECT {EntryColumns} FROM entries WHERE ns = $ns AND path_key = $key;", ("$ns", namespaceId), ("$key", pathKey));
                return await command.ReadFirstOrDefaultAsync(ReadEntry, ct);
            },
            cancellationToken);

    public Task<IReadOnlyList<FileEntry>> ListAsync(string namespaceId, string folderKey, bool recursive, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<FileEntry>>(
            async (transaction, ct) =>
            {
                using var command = recursive
                    ? transaction.Command(
                        $"SELECT {EntryColumns} FROM entries WHERE ns = $ns AND path_key > $low AND path_key < $high AND is_deleted = 0 ORDER BY path_key;",
                        ("$ns", namespaceId), ("$low", DescendantsLow(folderKey)), ("$high", DescendantsHigh(folderKey)))
                    : transaction.Command(
                        $"SELECT {EntryColumns} FROM entries WHERE ns = $ns AND parent_key = $parent AND is_deleted = 0 ORDER BY path_key;",
                        ("$ns", namespaceId), ("$parent", folderKey));
                return await command.ReadAllAsync(ReadEntry, ct);
            },
            cancellationToken);

    public Task<IReadOnlyList<FileEntry>> ListDeletedAsync(string namespaceId, string folderKey, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return ReadAsync<IReadOnlyList<FileEntry>>(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    $"""
                    SELECT {EntryColumns} FROM entries
                    WHERE ns = $ns AND path_key > $low AND path_key < $high AND is_deleted = 1
                    ORDER BY server_modified DESC, path_key LIMIT $limit;
                    """,
                    ("$ns", namespaceId), ("$low", DescendantsLow(folderKey)), ("$high", DescendantsHigh(folderKey)), ("$limit", limit));
                return await command.ReadAllAsync(ReadEntry, ct);
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<FileRevision>> ListRevisionsAsync(string namespaceId, string pathKey, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return ReadAsync<IReadOnlyList<FileRevision>>(
            async (transaction, ct) =>
            {
                // Revs are time-ordered, so they break ties between revisions written in the same millisecond.
                using var command = transaction.Command(
                    $"SELECT {RevisionColumns} FROM revisions WHERE ns = $ns AND path_key = $key ORDER BY server_modified DESC, rev DESC LIMIT $limit;",
                    ("$ns", namespaceId), ("$key", pathKey), ("$limit", limit));
                var heads = await command.ReadAllAsync(ReadRevisionHead, ct);
                using var blocks = PrepareRevisionBlocksQuery(transaction);
                var revisions = new List<FileRevision>(heads.Count);
                foreach (var head in heads)
                {
                    revisions.Add(head with { Blocks = await ReadRevisionBlocksAsync(blocks, head, ct) });
                }

                return revisions;
            },
            cancellationToken);
    }

    public Task<FileRevision?> GetRevisionAsync(string namespaceId, string rev, CancellationToken cancellationToken) =>
        ReadAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    $"SELECT {RevisionColumns} FROM revisions WHERE ns = $ns AND rev = $rev;", ("$ns", namespaceId), ("$rev", rev));
                var head = await command.ReadFirstOrDefaultAsync(ReadRevisionHead, ct);
                if (head is null)
                {
                    return null;
                }

                using var blocks = PrepareRevisionBlocksQuery(transaction);
                return head with { Blocks = await ReadRevisionBlocksAsync(blocks, head, ct) };
            },
            cancellationToken);

    public Task<IReadOnlyList<ChangeRecord>> ReadJournalAsync(string namespaceId, long afterSequence, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return ReadAsync<IReadOnlyList<ChangeRecord>>(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    $"SELECT {JournalColumns} FROM journal WHERE ns = $ns AND seq > $after ORDER BY seq LIMIT $limit;",
                    ("$ns", namespaceId), ("$after", afterSequence), ("$limit", limit));
                return await command.ReadAllAsync(ReadChange, ct);
            },
            cancellationToken);
    }

    public Task<long> GetLatestSequenceAsync(string namespaceId, CancellationToken cancellationToken) =>
        ReadAsync(
            async (transaction, ct) =>
            {
                // The counter, not MAX(seq): compaction may have emptied the journal.
                using var command = transaction.Command(
                    "SELECT COALESCE((SELECT latest_seq FROM journal_state WHERE ns = $ns), 0);", ("$ns", namespaceId));
                return (long)(await command.ExecuteScalarAsync(ct))!;
            },
            cancellationToken);

    public Task CompactJournalAsync(string namespaceId, long throughSequence, CancellationToken cancellationToken) =>
        WriteAsync(
            async (transaction, ct) =>
            {
                // Never past the latest sequence: entries appended later must stay readable by every cursor.
                using var state = transaction.Command(
                    """
                    UPDATE journal_state SET compacted_through = MAX(compacted_through, MIN($through, latest_seq))
                    WHERE ns = $ns
                    RETURNING compacted_through;
                    """,
                    ("$ns", namespaceId), ("$through", throughSequence));
                var compactedThrough = await state.ExecuteScalarAsync(ct);
                if (compactedThrough is null)
                {
                    return 0;
                }

                using var delete = transaction.Command(
                    "DELETE FROM journal WHERE ns = $ns AND seq <= $through;", ("$ns", namespaceId), ("$through", (long)compactedThrough));
                return await delete.ExecuteNonQueryAsync(ct);
            },
            cancellationToken);

    public Task<long> GetCompactedThroughAsync(string namespaceId, CancellationToken cancellationToken) =>
        ReadAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    "SELECT COALESCE((SELECT compacted_through FROM journal_state WHERE ns = $ns), 0);", ("$ns", namespaceId));
                return (long)(await command.ExecuteScalarAsync(ct))!;
            },
            cancellationToken);

    /// <summary>
    /// The bounds of the keys strictly below a folder: everything after "folder/" and before "folder0" ('0' is the byte
    /// after '/'). A range, not LIKE, because names may contain % and _.
    /// </summary>
    private static string DescendantsLow(string folderKey) => folderKey + "/";

    private static string DescendantsHigh(string folderKey) => folderKey + "0";

    private static string ParentKeyOf(string pathKey) => pathKey[..Math.Max(0, pathKey.LastIndexOf('/'))];

    private static long DeletedState(FileEntry entry) => !entry.IsDeleted ? 0 : entry.MovedAway ? MovedAwayState : 1;

    private static FileEntry ReadEntry(SqliteDataReader reader) => new()
    {
        NamespaceId = reader.GetString(0),
        PathDisplay = reader.GetString(1),
        Kind = reader.GetEnum<EntryKind>(2),
        Rev = reader.GetString(3),
        Size = reader.GetInt64(4),
        ContentHash = reader.GetNullableString(5),
        ServerModified = reader.GetUnixMs(6),
        DeviceId = reader.GetString(7),
        IsDeleted = reader.GetInt64(8) != 0,
        MovedAway = reader.GetInt64(8) == MovedAwayState,
    };

    /// <summary>A revision row without its blocks, which are read separately.</summary>
    private static FileRevision ReadRevisionHead(SqliteDataReader reader) => new()
    {
        NamespaceId = reader.GetString(0),
        Rev = reader.GetString(1),
        PathDisplay = reader.GetString(2),
        Size = reader.GetInt64(3),
        ContentHash = reader.GetString(4),
        ServerModified = reader.GetUnixMs(5),
        DeviceId = reader.GetString(6),
        Blocks = [],
    };

    private static ChangeRecord ReadChange(SqliteDataReader reader) => new()
    {
        NamespaceId = reader.GetString(0),
        Sequence = reader.GetInt64(1),
        Kind = reader.GetEnum<ChangeKind>(2),
        PathDisplay = reader.GetString(3),
        FromPath = reader.GetNullableString(4),
        Rev = reader.GetNullableString(5),
        EntryKind = reader.GetEnum<EntryKind>(6),
        Size = reader.GetInt64(7),
        ContentHash = reader.GetNullableString(8),
        DeviceId = reader.GetString(9),
        Time = reader.GetUnixMs(10),
    };

    private static SqliteCommand PrepareRevisionBlocksQuery(SqliteTransaction transaction) =>
        transaction.Prepare("SELECT hash, size FROM revision_blocks WHERE ns = $ns AND rev = $rev ORDER BY idx;", "$ns", "$rev");

    private static Task<List<BlockRef>> ReadRevisionBlocksAsync(SqliteCommand query, FileRevision head, CancellationToken ct) =>
        query.Bind(head.NamespaceId, head.Rev).ReadAllAsync(ReadBlockRef, ct);

    private static BlockRef ReadBlockRef(SqliteDataReader reader) =>
        new(BlockHash.FromDigest(reader.GetFieldValue<byte[]>(0)), reader.GetInt32(1));
}
