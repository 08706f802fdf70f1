using DropSync.Core.Model;
using DropSync.Core.Ports;
using Microsoft.Data.Sqlite;

namespace DropSync.Embedded.Metadata;

/// <summary>App passwords (<see cref="IAppPasswordStore"/>).</summary>
public sealed partial class SqliteMetadataStore : IAppPasswordStore
{
    private const string AppPasswordColumns = "app_password_id, user_id, name, secret_hash, created_at, revoked_at";

    public Task AddAppPasswordAsync(AppPassword appPassword, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(appPassword);
        return WriteAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    $"INSERT INTO app_passwords ({AppPasswordColumns}) VALUES ($id, $user, $name, $hash, $created, $revoked);",
                    ("$id", appPassword.AppPasswordId), ("$user", appPassword.UserId), ("$name", appPassword.Name), ("$hash", appPassword.SecretHash),
                    ("$created", appPassword.CreatedAt.ToUnixMs()), ("$revoked", appPassword.RevokedAt?.ToUnixMs()));
                return await command.ExecuteNonQueryAsync(ct);
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<AppPassword>> ListAppPasswordsAsync(string userId, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<AppPassword>>(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    $"SELECT {AppPasswordColumns} FROM app_passwords WHERE user_id = $user ORDER BY created_at, app_password_id;", ("$user", userId));
                return await command.ReadAllAsync(ReadAppPassword, ct);
            },
            cancellationToken);

    public Task<bool> RevokeAppPasswordAsync(string userId, string appPasswordId, DateTimeOffset at, CancellationToken cancellationToken) =>
        WriteAsync(
            async (transaction, ct) =>
            {
                using var command = transaction.Command(
                    "UPDATE app_passwords SET revoked_at = COALESCE(revoked_at, $at) WHERE app_password_id = $id AND user_id = $user;",
                    ("$at", at.ToUnixMs()), ("$id", appPasswordId), ("$user", userId));
                return await command.ExecuteNonQueryAsync(ct) == 1;
            },
            cancellationToken);

    private static AppPassword ReadAppPassword(SqliteDataReader reader) => new()
    {
        AppPasswordId = reader.GetString(0),
        UserId = reader.GetString(1),
        Name = reader.GetString(2),
        SecretHash = reader.GetString(3),
        CreatedAt = reader.GetUnixMs(4),
        RevokedAt = reader.IsDBNull(5) ? null : reader.GetUnixMs(5),
    };
}
