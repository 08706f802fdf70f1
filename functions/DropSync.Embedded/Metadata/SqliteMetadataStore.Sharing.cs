using DropSync.Core.Model;
using DropSync.Core.Ports;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>
/// Shares and their members (<see cref="ISharingStore"/>). They are written only by <see cref="ApplyAsync"/>, in the
/// batch's transaction, so a share and the journal entries about it land together.
/// </summary>
public sealed partial class SqliteMetadataStore
{
    private const string ShareColumns = "share_id, owner_user, ns, folder_path, created_at";
    private const string MemberColumns = "share_id, user_id, email, role, mount_path, added_at";

    public Task<Share?> GetShareAsync(string shareId, CancellationToken cancellationToken) =>
        ReadAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command($"SELECT {ShareColumns} FROM shares WHERE share_id = $share;", ("$share", shareId));
                return await command.ReadFirstOrDefaultAsync(ReadShare, ct);
            },
            cancellationToken);

    /// <summary>The namespace's shares, ordered by folder key.</summary>
    public Task<IReadOnlyList<Share>> ListSharesInNamespaceAsync(string namespaceId, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<Share>>(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    $"SELECT {ShareColumns} FROM shares WHERE ns = $ns ORDER BY folder_key;", ("$ns", namespaceId));
                return await command.ReadAllAsync(ReadShare, ct);
            },
            cancellationToken);

    /// <summary>The share's members, in the order they were added.</summary>
    public Task<IReadOnlyList<ShareMember>> ListMembersAsync(string shareId, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<ShareMember>>(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    $"SELECT {MemberColumns} FROM share_members WHERE share_id = $share ORDER BY added_at, user_id;", ("$share", shareId));
                return await command.ReadAllAsync(ReadMember, ct);
            },
            cancellationToken);

    /// <summary>The user's memberships, ordered by mount key.</summary>
    public Task<IReadOnlyList<Membership>> ListMembershipsAsync(string userId, CancellationToken cancellationToken) =>
        CachedMembershipsAsync(userId, () => ReadAsync<IReadOnlyList<Membership>>(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    """
                    SELECT s.share_id, s.owner_user, s.ns, s.folder_path, s.created_at,
                           m.share_id, m.user_id, m.email, m.role, m.mount_path, m.added_at
                    FROM share_members m JOIN shares s ON s.share_id = m.share_id
                    WHERE m.user_id = $user
                    ORDER BY m.mount_key;
                    """,
                    ("$user", userId));
                return await command.ReadAllAsync(reader => new Membership(ReadShare(reader), ReadMember(reader, 5)), ct);
            },
            cancellationToken));

    /// <summary>
    /// Creates or replaces a share; false (failing the batch) if it must be new and is not, or if another share already
    /// has its folder.
    /// </summary>
    private static async Task<bool> TryPutShareAsync(SqliteTransaction transaction, Share share, bool mustBeNew, CancellationToken ct)
    {
        using (var conflict = transaction.Command(
            """
            SELECT EXISTS (SELECT 1 FROM shares WHERE share_id = $share AND $mustBeNew)
                OR EXISTS (SELECT 1 FROM shares WHERE ns = $ns AND folder_key = $key AND share_id <> $share);
            """,
            ("$share", share.ShareId), ("$mustBeNew", mustBeNew ? 1 : 0), ("$ns", share.NamespaceId), ("$key", share.FolderKey)))
        {
            if ((long)(await conflict.ExecuteScalarAsync(ct))! != 0)
            {
                return false;
            }
        }

        using var upsert = transaction.Command(
            """
            INSERT INTO shares (share_id, owner_user, ns, folder_path, folder_key, created_at)
            VALUES ($share, $owner, $ns, $path, $key, $created)
            ON CONFLICT (share_id) DO UPDATE SET
                owner_user = excluded.owner_user, ns = excluded.ns, folder_path = excluded.folder_path,
                folder_key = excluded.folder_key, created_at = excluded.created_at;
            """,
            ("$share", share.ShareId), ("$owner", share.OwnerUserId), ("$ns", share.NamespaceId), ("$path", share.FolderPath),
            ("$key", share.FolderKey), ("$created", share.CreatedAt.ToUnixMs()));
        await upsert.ExecuteNonQueryAsync(ct);
        return true;
    }

    private static async Task DeleteShareAsync(SqliteTransaction transaction, string shareId, CancellationToken ct)
    {
        // The members would go by cascade too; deleting them first does not depend on the foreign_keys setting.
        using var command = transaction.Command(
            "DELETE FROM share_members WHERE share_id = $share; DELETE FROM shares WHERE share_id = $share;", ("$share", shareId));
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Adds or updates a member; false (failing the batch) if the share does not exist or the user already has another
    /// mount at this mount path.
    /// </summary>
    private static async Task<bool> TryPutMemberAsync(SqliteTransaction transaction, ShareMember member, CancellationToken ct)
    {
        using (var check = transaction.Command(
            """
            SELECT EXISTS (SELECT 1 FROM shares WHERE share_id = $share)
                AND NOT EXISTS (SELECT 1 FROM share_members WHERE user_id = $user AND mount_key = $key AND share_id <> $share);
            """,
            ("$share", member.ShareId), ("$user", member.UserId), ("$key", member.MountKey)))
        {
            if ((long)(await check.ExecuteScalarAsync(ct))! == 0)
            {
                return false;
            }
        }

        using var upsert = transaction.Command(
            """
            INSERT INTO share_members (share_id, user_id, email, role, mount_path, mount_key, added_at)
            VALUES ($share, $user, $email, $role, $path, $key, $added)
            ON CONFLICT (share_id, user_id) DO UPDATE SET
                email = excluded.email, role = excluded.role, mount_path = excluded.mount_path,
                mount_key = excluded.mount_key, added_at = excluded.added_at;
            """,
            ("$share", member.ShareId), ("$user", member.UserId), ("$email", member.Email), ("$role", member.Role.ToString()),
            ("$path", member.MountPath), ("$key", member.MountKey), ("$added", member.AddedAt.ToUnixMs()));
        await upsert.ExecuteNonQueryAsync(ct);
        return true;
    }

    private static async Task DeleteMemberAsync(SqliteTransaction transaction, string shareId, string userId, CancellationToken ct)
    {
        using var command = transaction.Command(
            "DELETE FROM share_members WHERE share_id = $share AND user_id = $user;", ("$share", shareId), ("$user", userId));
        await command.ExecuteNonQueryAsync(ct);
    }

    private static Share ReadShare(SqliteDataReader reader) => new()
    {
        ShareId = reader.GetString(0),
        OwnerUserId = reader.GetString(1),
        NamespaceId = reader.GetString(2),
        FolderPath = reader.GetString(3),
        CreatedAt = reader.GetUnixMs(4),
    };

    private static ShareMember ReadMember(SqliteDataReader reader) => ReadMember(reader, 0);

    private static ShareMember ReadMember(SqliteDataReader reader, int first) => new()
    {
        ShareId = reader.GetString(first),
        UserId = reader.GetString(first + 1),
        Email = reader.GetString(first + 2),
        Role = reader.GetEnum<ShareRole>(first + 3),
        MountPath = reader.GetString(first + 4),
        AddedAt = reader.GetUnixMs(first + 5),
    };
}
