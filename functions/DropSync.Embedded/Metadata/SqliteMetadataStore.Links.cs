using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Ports;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>Shared links (the link half of <see cref="ISharingStore"/>).</summary>
public sealed partial class SqliteMetadataStore
{
    private const string LinkColumns =
        "link_id, token_hash, owner_user, ns, path, owner_view_path, expires_at, password_hash, created_at, revoked_at";

    public Task CreateLinkAsync(SharedLink link, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(link);
        return WriteAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    $"""
                    INSERT INTO shared_links ({LinkColumns}, path_key)
                    VALUES ($link, $token, $owner, $ns, $path, $ownerPath, $expires, $password, $created, $revoked, $key);
                    """,
                    ("$link", link.LinkId), ("$token", link.TokenHash), ("$owner", link.OwnerUserId), ("$ns", link.NamespaceId),
                    ("$path", link.Path), ("$ownerPath", link.OwnerViewPath), ("$expires", link.ExpiresAt?.ToUnixMs()),
                    ("$password", link.PasswordHash), ("$created", link.CreatedAt.ToUnixMs()), ("$revoked", link.RevokedAt?.ToUnixMs()),
                    ("$key", DropPath.KeyOf(link.Path)));
                return await command.ExecuteNonQueryAsync(ct);
            },
            cancellationToken);
    }

    /// <summary>The link with this token hash, revoked or expired ones included: the caller decides what they may do.</summary>
    public Task<SharedLink?> FindLinkByTokenHashAsync(string tokenHash, CancellationToken cancellationToken) =>
        ReadAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    $"SELECT {LinkColumns} FROM shared_links WHERE token_hash = $token;", ("$token", tokenHash));
                return await command.ReadFirstOrDefaultAsync(ReadLink, ct);
            },
            cancellationToken);

    /// <summary>All of the owner's links, revoked ones included (with <see cref="SharedLink.RevokedAt"/>), newest first.</summary>
    public Task<IReadOnlyList<SharedLink>> ListLinksAsync(string ownerUserId, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<SharedLink>>(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    $"SELECT {LinkColumns} FROM shared_links WHERE owner_user = $owner ORDER BY created_at DESC, link_id DESC;",
                    ("$owner", ownerUserId));
                return await command.ReadAllAsync(ReadLink, ct);
            },
            cancellationToken);

    /// <summary>The links to the item at the key or below it, in link id order.</summary>
    public Task<IReadOnlyList<SharedLink>> ListLinksAtOrBelowAsync(string namespaceId, string pathKey, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<SharedLink>>(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    $"""
                    SELECT {LinkColumns} FROM shared_links
                    WHERE ns = $ns AND (path_key = $key OR (path_key > $low AND path_key < $high))
                    ORDER BY link_id;
                    """,
                    ("$ns", namespaceId), ("$key", pathKey), ("$low", DescendantsLow(pathKey)), ("$high", DescendantsHigh(pathKey)));
                return await command.ReadAllAsync(ReadLink, ct);
            },
            cancellationToken);

    public Task<bool> RevokeLinkAsync(string ownerUserId, string linkId, DateTimeOffset at, CancellationToken cancellationToken) =>
        WriteAsync(
            async (transaction, ct) =>
            {
                // Revoking twice keeps the first time and still answers true: the owner does have that link.
                using var command = transaction.Command(
                    "UPDATE shared_links SET revoked_at = COALESCE(revoked_at, $at) WHERE link_id = $link AND owner_user = $owner;",
                    ("$at", at.ToUnixMs()), ("$link", linkId), ("$owner", ownerUserId));
                return await command.ExecuteNonQueryAsync(ct) == 1;
            },
            cancellationToken);

    /// <summary>Moves a link with its item; false (failing the batch) unless the link is still where it was read.</summary>
    private static async Task<bool> TryMoveLinkAsync(SqliteTransaction transaction, MetadataWrite.MoveLink move, CancellationToken ct)
    {
        using var command = transaction.Command(
            """
            UPDATE shared_links SET ns = $newNs, path = $path, path_key = $key, owner_view_path = $ownerPath
            WHERE link_id = $link AND ns = $oldNs AND path = $oldPath;
            """,
            ("$newNs", move.NamespaceId), ("$path", move.Path), ("$key", DropPath.KeyOf(move.Path)), ("$ownerPath", move.OwnerViewPath),
            ("$link", move.Link.LinkId), ("$oldNs", move.Link.NamespaceId), ("$oldPath", move.Link.Path));
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    private static SharedLink ReadLink(SqliteDataReader reader) => new()
    {
        LinkId = reader.GetString(0),
        TokenHash = reader.GetString(1),
        OwnerUserId = reader.GetString(2),
        NamespaceId = reader.GetString(3),
        Path = reader.GetString(4),
        OwnerViewPath = reader.GetString(5),
        ExpiresAt = reader.IsDBNull(6) ? null : reader.GetUnixMs(6),
        PasswordHash = reader.GetNullableString(7),
        CreatedAt = reader.GetUnixMs(8),
        RevokedAt = reader.IsDBNull(9) ? null : reader.GetUnixMs(9),
    };
}
