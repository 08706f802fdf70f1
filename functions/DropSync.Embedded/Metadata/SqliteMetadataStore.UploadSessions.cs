using DropSync.Core.Content;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>Resumable upload sessions and the blocks they pin (<see cref="IUploadSessionStore"/>).</summary>
public sealed partial class SqliteMetadataStore
{
    private const string SessionColumns =
        "upload_id, user_id, device_id, ns, path_display, size, mode, expected_rev, client_content_hash, created_at, expires_at, committed_rev, aborted_at";

    public Task CreateAsync(UploadSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        return WriteAsync(
            async (transaction, ct) =>
            {
                using (var head = transaction.Command(
                    $"""
                    INSERT INTO upload_sessions ({SessionColumns})
                    VALUES ($upload, $user, $device, $ns, $path, $size, $mode, $expectedRev, $clientHash, $created, $expires, $committed, $aborted);
                    """,
                    ("$upload", session.UploadId), ("$user", session.UserId), ("$device", session.DeviceId), ("$ns", session.NamespaceId),
                    ("$path", session.PathDisplay), ("$size", session.Size), ("$mode", session.Mode.ToString()),
                    ("$expectedRev", session.ExpectedRev), ("$clientHash", session.StoredClientHash),
                    ("$created", session.CreatedAt.ToUnixMs()), ("$expires", session.ExpiresAt.ToUnixMs()), ("$committed", session.CommittedRev),
                    ("$aborted", session.AbortedAt?.ToUnixMs())))
                {
                    await head.ExecuteNonQueryAsync(ct);
                }

                using var block = transaction.Prepare(
                    "INSERT INTO upload_session_blocks (upload_id, idx, hash, size) VALUES ($upload, $idx, $hash, $size);",
                    "$upload", "$idx", "$hash", "$size");
                for (var i = 0; i < session.Blocks.Count; i++)
                {
                    await block.Bind(session.UploadId, i, session.Blocks[i].Hash.ToBytes(), session.Blocks[i].Size).ExecuteNonQueryAsync(ct);
                }

                return session.Blocks.Count;
            },
            cancellationToken);
    }

    public Task<bool> AppendBlocksAsync(UploadSession session, IReadOnlyList<BlockRef> blocks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(blocks);
        return WriteAsync(
            async (transaction, ct) =>
            {
                // The writer is serial, so the count read here cannot change before the inserts below.
                using var current = transaction.Command(
                    """
                    SELECT (SELECT COUNT(*) FROM upload_session_blocks WHERE upload_id = $upload)
                    FROM upload_sessions WHERE upload_id = $upload AND committed_rev IS NULL AND aborted_at IS NULL;
                    """,
                    ("$upload", session.UploadId));
                if (await current.ExecuteScalarAsync(ct) is not long count || count != session.Blocks.Count)
                {
                    return false;
                }

                using var block = transaction.Prepare(
                    "INSERT INTO upload_session_blocks (upload_id, idx, hash, size) VALUES ($upload, $idx, $hash, $size);",
                    "$upload", "$idx", "$hash", "$size");
                for (var i = 0; i < blocks.Count; i++)
                {
                    await block.Bind(session.UploadId, session.Blocks.Count + i, blocks[i].Hash.ToBytes(), blocks[i].Size).ExecuteNonQueryAsync(ct);
                }

                return true;
            },
            cancellationToken);
    }

    public Task<UploadSession?> GetAsync(string uploadId, CancellationToken cancellationToken) =>
        ReadAsync(
            async (transaction, ct) =>
            {
                using var head = transaction.Command($"SELECT {SessionColumns} FROM upload_sessions WHERE upload_id = $upload;", ("$upload", uploadId));
                var session = await head.ReadFirstOrDefaultAsync(ReadSessionHead, ct);
                if (session is null)
                {
                    return null;
                }

                using var blocks = transaction.Command(
                    "SELECT hash, size FROM upload_session_blocks WHERE upload_id = $upload ORDER BY idx;", ("$upload", uploadId));
                return session with { Blocks = await blocks.ReadAllAsync(ReadBlockRef, ct) };
            },
            cancellationToken);

    public Task MarkCommittedAsync(string uploadId, string rev, CancellationToken cancellationToken) =>
        WriteAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    "UPDATE upload_sessions SET committed_rev = $rev WHERE upload_id = $upload;", ("$rev", rev), ("$upload", uploadId));
                return await command.ExecuteNonQueryAsync(ct);
            },
            cancellationToken);

    public Task<int> CountOpenAsync(string userId, DateTimeOffset now, CancellationToken cancellationToken) =>
        ReadAsync(
            async (transaction, ct) =>
            {
                // Open sessions are few (expired ones are deleted by the collector), so a pass over them is cheap.
                using var command = transaction.Command(
                    "SELECT COUNT(*) FROM upload_sessions WHERE user_id = $user AND committed_rev IS NULL AND aborted_at IS NULL AND expires_at > $now;",
                    ("$user", userId), ("$now", now.ToUnixMs()));
                return Convert.ToInt32(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
            },
            cancellationToken);

    public Task<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync(
            async (transaction, ct) =>
            {
                // Blocks first and explicitly, so the count below is of sessions only and does not depend on cascades.
                using var pins = transaction.Command(
                    "DELETE FROM upload_session_blocks WHERE upload_id IN (SELECT upload_id FROM upload_sessions WHERE expires_at < $now);",
                    ("$now", now.ToUnixMs()));
                await pins.ExecuteNonQueryAsync(ct);
                using var sessions = transaction.Command("DELETE FROM upload_sessions WHERE expires_at < $now;", ("$now", now.ToUnixMs()));
                return await sessions.ExecuteNonQueryAsync(ct);
            },
            cancellationToken);

    /// <summary>A session row without its blocks, which are read separately.</summary>
    private static UploadSession ReadSessionHead(SqliteDataReader reader)
    {
        var (hashKind, declaredHash) = UploadSession.ParseStoredClientHash(reader.GetNullableString(8));
        return new()
        {
            UploadId = reader.GetString(0),
            UserId = reader.GetString(1),
            DeviceId = reader.GetString(2),
            NamespaceId = reader.GetString(3),
            PathDisplay = reader.GetString(4),
            Size = reader.GetInt64(5),
            Mode = reader.GetEnum<WriteMode>(6),
            ExpectedRev = reader.GetNullableString(7),
            ClientContentHash = declaredHash,
            ContentHashKind = hashKind,
            CreatedAt = reader.GetUnixMs(9),
            ExpiresAt = reader.GetUnixMs(10),
            CommittedRev = reader.GetNullableString(11),
            AbortedAt = reader.IsDBNull(12) ? null : reader.GetUnixMs(12),
            Blocks = [],
        };
    }
}
