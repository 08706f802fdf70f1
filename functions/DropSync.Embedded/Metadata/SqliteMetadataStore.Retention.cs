using DropSync.Core.Model;
using DropSync.Core.Ports;
using DropSync.Core.Retention;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>
/// Retention (<see cref="IRetentionStore"/>): <c>entries.retention_due</c> is set to the write's time by every write of
/// an entry that is not a live folder, and indexed where set (a partial index, so live folders and settled files cost
/// nothing). A pass reads that index in due order; its verdict moves the due time to when something kept next expires,
/// or clears it, so each pass's work is proportional to what was written or expired since the last one.
/// </summary>
public sealed partial class SqliteMetadataStore : IRetentionStore
{
    public Task<IReadOnlyList<FileHistory>> ListDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return ReadAsync<IReadOnlyList<FileHistory>>(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    $"SELECT {EntryColumns} FROM entries WHERE retention_due <= $now ORDER BY retention_due LIMIT $limit;",
                    ("$now", now.ToUnixMs()), ("$limit", limit));
                var entries = await command.ReadAllAsync(ReadEntry, ct);
                using var stamps = PrepareStampsQuery(transaction);
                var due = new List<FileHistory>(entries.Count);
                foreach (var entry in entries)
                {
                    due.Add(new FileHistory(entry, await stamps.Bind(entry.NamespaceId, entry.PathKey, -1).ReadAllAsync(ReadStamp, ct)));
                }

                return due;
            },
            cancellationToken);
    }

    public Task<FileHistory?> GetHistoryAsync(string namespaceId, string pathKey, int limit, CancellationToken cancellationToken) =>
        ReadAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    $"SELECT {EntryColumns} FROM entries WHERE ns = $ns AND path_key = $key;", ("$ns", namespaceId), ("$key", pathKey));
                var entry = await command.ReadFirstOrDefaultAsync(ReadEntry, ct);
                if (entry is null)
                {
                    return null;
                }

                using var stamps = PrepareStampsQuery(transaction);
                return new FileHistory(entry, await stamps.Bind(namespaceId, pathKey, limit).ReadAllAsync(ReadStamp, ct));
            },
            cancellationToken);

    public Task<bool> ForgetAsync(FileHistory history, RetentionVerdict verdict, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(verdict);
        var entry = history.Entry;
        var key = entry.PathKey;
        return WriteAsync<bool>(
            async (transaction, ct) =>
            {
                // A write since the read has its own say (and set its own due time).
                using (var check = transaction.Command(
                    "SELECT rev, is_deleted, kind FROM entries WHERE ns = $ns AND path_key = $key;", ("$ns", entry.NamespaceId), ("$key", key)))
                {
                    await using var reader = await check.ExecuteReaderAsync(ct);
                    if (!await reader.ReadAsync(ct) || reader.GetString(0) != entry.Rev)
                    {
                        return (false, false);
                    }
                }

                var current = entry.IsLiveFile ? entry.Rev : null;
                using var refresh = transaction.Prepare(
                    """
                    UPDATE blocks SET stored_at = MAX(stored_at, $now)
                    WHERE hash IN (SELECT hash FROM revision_blocks WHERE ns = $ns AND rev = $rev);
                    """,
                    "$now", "$ns", "$rev");
                using var forget = transaction.Prepare(
                    "DELETE FROM revision_blocks WHERE ns = $ns AND rev = $rev; DELETE FROM revisions WHERE ns = $ns AND rev = $rev AND path_key = $key;",
                    "$ns", "$rev", "$key");
                foreach (var rev in verdict.ExpiredRevs.Where(r => r != current))
                {
                    // The blocks get a fresh grace period from now, as an unreferenced upload would: a client that was
                    // told it holds one may still be about to commit it.
                    await refresh.Bind(now.ToUnixMs(), entry.NamespaceId, rev).ExecuteNonQueryAsync(ct);
                    await forget.Bind(entry.NamespaceId, rev, key).ExecuteNonQueryAsync(ct);
                }

                using var settle = verdict.ForgetEntry && entry.IsDeleted
                    ? transaction.Command("DELETE FROM entries WHERE ns = $ns AND path_key = $key;", ("$ns", entry.NamespaceId), ("$key", key))
                    : transaction.Command(
                        "UPDATE entries SET retention_due = $due WHERE ns = $ns AND path_key = $key;",
                        ("$ns", entry.NamespaceId), ("$key", key), ("$due", verdict.NextDue?.ToUnixMs()));
                await settle.ExecuteNonQueryAsync(ct);
                return (true, true);
            },
            cancellationToken);
    }

    public Task<SpaceUsage> MeasureAsync(string namespaceId, CancellationToken cancellationToken) =>
        ReadAsync(
            async (transaction, ct) =>
            {
                // One pass over the namespace's entries and revisions: the size of one user's tree, not the server's.
                using var command = transaction.Command(
                    """
                    SELECT
                        (SELECT COALESCE(SUM(size), 0) FROM entries WHERE ns = $ns AND is_deleted = 0 AND kind = 'File'),
                        (SELECT COALESCE(SUM(r.size), 0) FROM revisions r WHERE r.ns = $ns AND NOT EXISTS (
                            SELECT 1 FROM entries e WHERE e.ns = r.ns AND e.path_key = r.path_key AND e.rev = r.rev AND e.is_deleted = 0));
                    """,
                    ("$ns", namespaceId));
                await using var reader = await command.ExecuteReaderAsync(ct);
                await reader.ReadAsync(ct);
                return new SpaceUsage(reader.GetInt64(0), reader.GetInt64(1));
            },
            cancellationToken);

    /// <summary>A path's revision stamps newest first; a negative limit is no limit.</summary>
    private static SqliteCommand PrepareStampsQuery(SqliteTransaction transaction) =>
        transaction.Prepare(
            "SELECT rev, server_modified FROM revisions WHERE ns = $ns AND path_key = $key ORDER BY server_modified DESC, rev DESC LIMIT $limit;",
            "$ns", "$key", "$limit");

    private static RevisionStamp ReadStamp(SqliteDataReader reader) => new(reader.GetString(0), reader.GetUnixMs(1));
}
