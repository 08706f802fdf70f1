using DropSync.Core.Model;
using DropSync.Core.Ports;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>Pending invitations to shared folders (<see cref="IInvitationStore"/>).</summary>
public sealed partial class SqliteMetadataStore
{
    private const string InvitationColumns = "invitation_id, share_id, email, role, created_at";

    public Task<Invitation> PutInvitationAsync(Invitation invitation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        return WriteAsync(
            async (transaction, ct) =>
            {
                // Inviting the same address again keeps the invitation (its id, its time) and takes the new role.
                using var command = transaction.Command(
                    $"""
                    INSERT INTO share_invitations ({InvitationColumns}) VALUES ($id, $share, $email, $role, $created)
                    ON CONFLICT (share_id, email) DO UPDATE SET role = excluded.role
                    RETURNING {InvitationColumns};
                    """,
                    ("$id", invitation.InvitationId), ("$share", invitation.ShareId), ("$email", invitation.Email),
                    ("$role", invitation.Role.ToString()), ("$created", invitation.CreatedAt.ToUnixMs()));
                return (await command.ReadFirstOrDefaultAsync(ReadInvitation, ct))!;
            },
            cancellationToken);
    }

    public Task<Invitation?> GetInvitationAsync(string invitationId, CancellationToken cancellationToken) =>
        ReadAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    $"SELECT {InvitationColumns} FROM share_invitations WHERE invitation_id = $id;", ("$id", invitationId));
                return await command.ReadFirstOrDefaultAsync(ReadInvitation, ct);
            },
            cancellationToken);

    public Task<IReadOnlyList<Invitation>> ListInvitationsForEmailAsync(string email, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<Invitation>>(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    $"SELECT {InvitationColumns} FROM share_invitations WHERE email = $email ORDER BY created_at, invitation_id;", ("$email", email));
                return await command.ReadAllAsync(ReadInvitation, ct);
            },
            cancellationToken);

    public Task<IReadOnlyList<Invitation>> ListInvitationsForShareAsync(string shareId, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<Invitation>>(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    $"SELECT {InvitationColumns} FROM share_invitations WHERE share_id = $share ORDER BY created_at, invitation_id;", ("$share", shareId));
                return await command.ReadAllAsync(ReadInvitation, ct);
            },
            cancellationToken);

    public Task<bool> DeleteInvitationAsync(string invitationId, CancellationToken cancellationToken) =>
        WriteAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command("DELETE FROM share_invitations WHERE invitation_id = $id;", ("$id", invitationId));
                return await command.ExecuteNonQueryAsync(ct) == 1;
            },
            cancellationToken);

    private static Invitation ReadInvitation(SqliteDataReader reader) => new()
    {
        InvitationId = reader.GetString(0),
        ShareId = reader.GetString(1),
        Email = reader.GetString(2),
        Role = reader.GetEnum<ShareRole>(3),
        CreatedAt = reader.GetUnixMs(4),
    };
}
