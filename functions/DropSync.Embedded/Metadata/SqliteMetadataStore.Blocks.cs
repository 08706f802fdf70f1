using System.Globalization;
using System.Text;
using DropSync.Core.Content;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>The block index: stored blocks, who holds them, and which can be collected (<see cref="IBlockIndex"/>).</summary>
public sealed partial class SqliteMetadataStore
{
    /// <summary>Hashes per IN list: well under SQLite's bound-parameter limit, while a 65,536-block file takes few queries.</summary>
    private const int HashesPerQuery = 500;

    /// <summary>
    /// The collection rule for the row <c>blocks</c>: no revision references it and no live session ($now) pins it. An
    /// aborted session pins nothing from its abort on (it can never be finished), so its blocks that nothing else holds
    /// are collected as soon as their grace period allows, not when the session expires.
    /// </summary>
    private const string NothingReferencesBlock = """
        NOT EXISTS (SELECT 1 FROM revision_blocks r WHERE r.hash = blocks.hash)
        AND NOT EXISTS (
            SELECT 1 FROM upload_session_blocks p JOIN upload_sessions s ON s.upload_id = p.upload_id
            WHERE p.hash = blocks.hash AND s.expires_at > $now AND s.aborted_at IS NULL)
        """;

    public Task RecordAsync(string userId, BlockHash hash, int size, DateTimeOffset at, CancellationToken cancellationToken) =>
        WriteAsync((transaction, ct) => RecordBlockAsync(transaction, userId, hash, size, at, ct), cancellationToken);

    private static async Task<int> RecordBlockAsync(SqliteTransaction transaction, string userId, BlockHash hash, int size, DateTimeOffset at, CancellationToken ct)
    {
        using var command = transaction.Command(
            RecordBlockSql, ("$hash", hash.ToBytes()), ("$size", size), ("$at", at.ToUnixMs()), ("$user", userId));
        return await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A re-recorded block gets a fresh grace period: it is about to be referenced again.</summary>
    private const string RecordBlockSql = """
        INSERT INTO blocks (hash, size, stored_at) VALUES ($hash, $size, $at)
        ON CONFLICT (hash) DO UPDATE SET stored_at = MAX(stored_at, excluded.stored_at);
        INSERT INTO block_holders (user_id, hash) VALUES ($user, $hash) ON CONFLICT DO NOTHING;
        """;

    public Task<IReadOnlyDictionary<BlockHash, int>> FindHeldAsync(string userId, IReadOnlyCollection<BlockHash> hashes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        var distinct = hashes.Distinct().ToList();
        if (distinct.Count == 0)
        {
            return Task.FromResult<IReadOnlyDictionary<BlockHash, int>>(new Dictionary<BlockHash, int>());
        }

        return ReadAsync<IReadOnlyDictionary<BlockHash, int>>(
            async (transaction, ct) =>
            {
                var held = new Dictionary<BlockHash, int>();
                foreach (var chunk in distinct.Chunk(HashesPerQuery))
                {
                    using var command = transaction.Command(HeldQuery(chunk.Length), ("$user", userId));
                    for (var i = 0; i < chunk.Length; i++)
                    {
                        command.Parameters.AddWithValue(HashParameter(i), chunk[i].ToBytes());
                    }

                    foreach (var block in await command.ReadAllAsync(ReadBlockRef, ct))
                    {
                        held[block.Hash] = block.Size;
                    }
                }

                return held;
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<StoredBlock>> ListUnreferencedAsync(DateTimeOffset storedBefore, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return ReadAsync<IReadOnlyList<StoredBlock>>(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    $"SELECT hash, size, stored_at FROM blocks WHERE stored_at < $before AND {NothingReferencesBlock} ORDER BY stored_at LIMIT $limit;",
                    ("$before", storedBefore.ToUnixMs()), ("$now", now.ToUnixMs()), ("$limit", limit));
                return await command.ReadAllAsync(
                    reader => new StoredBlock(BlockHash.FromDigest(reader.GetFieldValue<byte[]>(0)), reader.GetInt32(1), reader.GetUnixMs(2)), ct);
            },
            cancellationToken);
    }

    /// <summary>
    /// Known if recorded, or if any revision references it: the sweep of unrecorded files must never delete bytes a
    /// revision needs, even if the index lost the record.
    /// </summary>
    public Task<bool> IsKnownAsync(BlockHash hash, CancellationToken cancellationToken) =>
        ReadAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    "SELECT EXISTS (SELECT 1 FROM blocks WHERE hash = $hash) OR EXISTS (SELECT 1 FROM revision_blocks WHERE hash = $hash);",
                    ("$hash", hash.ToBytes()));
                return (long)(await command.ExecuteScalarAsync(ct))! != 0;
            },
            cancellationToken);

    /// <summary>
    /// Forgets the block if nothing references it and it was recorded before <paramref name="now"/>. The collector lists
    /// candidates after taking <paramref name="now"/>, so a block re-recorded since (stored_at at or after it) is in
    /// use again and is kept, even though no revision references it yet.
    /// </summary>
    public Task<bool> TryForgetAsync(BlockHash hash, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync<bool>(
            async (transaction, ct) =>
            {
                var parameters = new (string, object?)[] { ("$hash", hash.ToBytes()), ("$now", now.ToUnixMs()) };
                using (var check = transaction.Command(
                    $"SELECT EXISTS (SELECT 1 FROM blocks WHERE hash = $hash AND stored_at < $now AND {NothingReferencesBlock});", parameters))
                {
                    if ((long)(await check.ExecuteScalarAsync(ct))! == 0)
                    {
                        return (false, false);
                    }
                }

                using var forget = transaction.Command(ForgetBlockSql, ("$hash", hash.ToBytes()));
                await forget.ExecuteNonQueryAsync(ct);
                return (true, true);
            },
            cancellationToken);

    /// <summary>Forgets a block and its holders (internal: the schema tests check each statement finds its rows by an index).</summary>
    internal const string ForgetBlockSql = "DELETE FROM block_holders WHERE hash = $hash; DELETE FROM blocks WHERE hash = $hash;";

    private static string HashParameter(int index) => "$h" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The query for one chunk: only parameter names go into the text, never values.</summary>
    internal static string HeldQuery(int hashCount)
    {
        var sql = new StringBuilder(
            "SELECT b.hash, b.size FROM block_holders h JOIN blocks b ON b.hash = h.hash WHERE h.user_id = $user AND h.hash IN (");
        for (var i = 0; i < hashCount; i++)
        {
            sql.Append(i == 0 ? "" : ", ").Append(HashParameter(i));
        }

        return sql.Append(");").ToString();
    }
}
