using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// Invitations in the sharing table (<see cref="DynamoDbTables.Sharing"/>), three full copies written together in one
/// transaction: <c>v#{invitationId}</c>/<c>inv</c> (by id), <c>s#{shareId}</c>/<c>v#{email}</c> (in the share's partition; its
/// key makes one invitation per share and address) and <c>e#{email}</c>/<c>v#{createdMs:D15}#{invitationId}</c> (the
/// address's invitations, oldest first). Every read is a GetItem or a Query of one partition.
/// </summary>
public sealed class DynamoDbInvitationStore : IInvitationStore
{
    private const string IdSk = "inv";
    private const int MaxAttempts = 50;

    private readonly DynamoDbContext _db;

    public DynamoDbInvitationStore(DynamoDbContext db) => _db = db ?? throw new ArgumentNullException(nameof(db));

    public async Task<Invitation> PutInvitationAsync(Invitation invitation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                // New: the by-share copy must not exist yet (that is the one-per-address rule).
                await TransactAsync(
                    nameof(PutInvitationAsync),
                    Copies(invitation).Select(copy => new TransactWriteItem
                    {
                        Put = new Put
                        {
                            TableName = _db.Tables.Sharing,
                            Item = Item(invitation, copy.Pk, copy.Sk),
                            ConditionExpression = "attribute_not_exists(#pk)",
                            ExpressionAttributeNames = new() { ["#pk"] = SharingPartitionKey },
                        },
                    }),
                    cancellationToken).ConfigureAwait(false);
                return invitation;
            }
            catch (TransactionCanceledException e) when (IsConditionFailure(e))
            {
                // The address is invited already: that invitation takes the new role, on each of its copies.
                var existing = await GetByShareAsync(invitation.ShareId, invitation.Email, cancellationToken).ConfigureAwait(false);
                if (existing is not null)
                {
                    var updated = existing with { Role = invitation.Role };
                    if (await TrySetRoleAsync(updated, cancellationToken).ConfigureAwait(false))
                    {
                        return updated;
                    }
                }
            }
            catch (Exception e) when (e is TransactionCanceledException or TransactionConflictException && attempt < MaxAttempts)
            {
                // Another transaction on the same items; try again.
            }

            if (attempt >= MaxAttempts)
            {
                throw new InvalidOperationException($"Could not store the invitation of {invitation.Email} to {invitation.ShareId}: it kept changing.");
            }

            await Backoff.DelayAsync(attempt + 1, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<Invitation?> GetInvitationAsync(string invitationId, CancellationToken cancellationToken)
    {
        var item = await _db.GetItemAsync(nameof(GetInvitationAsync), _db.Tables.Sharing, Key(IdPk(invitationId), IdSk), cancellationToken).ConfigureAwait(false);
        return item is null ? null : ToInvitation(item);
    }

    public async Task<IReadOnlyList<Invitation>> ListInvitationsForEmailAsync(string email, CancellationToken cancellationToken) =>
        (await QueryPrefixAsync(nameof(ListInvitationsForEmailAsync), EmailPk(email), "v#", cancellationToken).ConfigureAwait(false)).Select(ToInvitation).ToList();

    public async Task<IReadOnlyList<Invitation>> ListInvitationsForShareAsync(string shareId, CancellationToken cancellationToken) =>
        (await QueryPrefixAsync(nameof(ListInvitationsForShareAsync), SharingCodec.SharePk(shareId), "v#", cancellationToken).ConfigureAwait(false))
        .Select(ToInvitation)
        .OrderBy(i => i.CreatedAt)
        .ThenBy(i => i.InvitationId, StringComparer.Ordinal)
        .ToList();

    public async Task<bool> DeleteInvitationAsync(string invitationId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var invitation = await GetInvitationAsync(invitationId, cancellationToken).ConfigureAwait(false);
            if (invitation is null)
            {
                return false;
            }

            try
            {
                // Conditional on every copy: of concurrent deletes, exactly one finds them all and wins.
                await TransactAsync(
                    nameof(DeleteInvitationAsync),
                    Copies(invitation).Select(copy => new TransactWriteItem
                    {
                        Delete = new Delete
                        {
                            TableName = _db.Tables.Sharing,
                            Key = Key(copy.Pk, copy.Sk),
                            ConditionExpression = "attribute_exists(#pk)",
                            ExpressionAttributeNames = new() { ["#pk"] = SharingPartitionKey },
                        },
                    }),
                    cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (TransactionCanceledException e) when (IsConditionFailure(e))
            {
                return false;
            }
            catch (Exception e) when (e is TransactionCanceledException or TransactionConflictException && attempt < MaxAttempts)
            {
                await Backoff.DelayAsync(attempt + 1, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<bool> TrySetRoleAsync(Invitation invitation, CancellationToken cancellationToken)
    {
        try
        {
            await TransactAsync(
                nameof(PutInvitationAsync),
                Copies(invitation).Select(copy => new TransactWriteItem
                {
                    Update = new Update
                    {
                        TableName = _db.Tables.Sharing,
                        Key = Key(copy.Pk, copy.Sk),
                        UpdateExpression = "SET #role = :role",
                        ConditionExpression = "attribute_exists(#pk)",
                        ExpressionAttributeNames = new() { ["#pk"] = SharingPartitionKey, ["#role"] = "role" },
                        ExpressionAttributeValues = new() { [":role"] = Ddb.S(RoleName(invitation.Role)) },
                    },
                }),
                cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TransactionCanceledException e) when (IsConditionFailure(e))
        {
            // Deleted (accepted, declined, cancelled) meanwhile: the caller starts again.
            return false;
        }
    }

    private async Task<Invitation?> GetByShareAsync(string shareId, string email, CancellationToken cancellationToken)
    {
        var item = await _db.GetItemAsync(nameof(PutInvitationAsync), _db.Tables.Sharing, Key(SharingCodec.SharePk(shareId), ShareSk(email)), cancellationToken).ConfigureAwait(false);
        return item is null ? null : ToInvitation(item);
    }

    private async Task TransactAsync(string operation, IEnumerable<TransactWriteItem> items, CancellationToken cancellationToken)
    {
        var response = await _db.Client.TransactWriteItemsAsync(
            new TransactWriteItemsRequest { TransactItems = items.ToList(), ReturnConsumedCapacity = ReturnConsumedCapacity.INDEXES },
            cancellationToken).ConfigureAwait(false);
        _db.Capacity.Record(operation, response.ConsumedCapacity);
    }

    private Task<List<Dictionary<string, AttributeValue>>> QueryPrefixAsync(string operation, string pk, string prefix, CancellationToken cancellationToken) =>
        _db.QuerySharingPrefixAsync(operation, pk, prefix, cancellationToken);

    private static bool IsConditionFailure(TransactionCanceledException e) =>
        e.CancellationReasons?.Exists(r => r.Code == "ConditionalCheckFailed") == true;

    private static IEnumerable<(string Pk, string Sk)> Copies(Invitation invitation) =>
    [
        (SharingCodec.SharePk(invitation.ShareId), ShareSk(invitation.Email)),
        (IdPk(invitation.InvitationId), IdSk),
        (EmailPk(invitation.Email), "v#" + Ddb.Ms(invitation.CreatedAt).ToString("D15", CultureInfo.InvariantCulture) + "#" + invitation.InvitationId),
    ];

    private static string IdPk(string invitationId) => "v#" + invitationId;

    private static string EmailPk(string email) => "e#" + email;

    private static string ShareSk(string email) => "v#" + email;

    private static Dictionary<string, AttributeValue> Key(string pk, string sk) => Ddb.Key(SharingPartitionKey, pk, SharingSortKey, sk);

    private static string RoleName(ShareRole role) => role == ShareRole.Editor ? "editor" : "viewer";

    private static Dictionary<string, AttributeValue> Item(Invitation invitation, string pk, string sk)
    {
        var item = Key(pk, sk);
        item["iid"] = Ddb.S(invitation.InvitationId);
        item[SharingCodec.ShareIdAttribute] = Ddb.S(invitation.ShareId);
        item["em"] = Ddb.S(invitation.Email);
        item["role"] = Ddb.S(RoleName(invitation.Role));
        item["at"] = Ddb.N(Ddb.Ms(invitation.CreatedAt));
        return item;
    }

    private static Invitation ToInvitation(Dictionary<string, AttributeValue> item) => new()
    {
        InvitationId = item.RequireS("iid"),
        ShareId = item.RequireS(SharingCodec.ShareIdAttribute),
        Email = item.RequireS("em"),
        Role = item.RequireS("role") == "editor" ? ShareRole.Editor : ShareRole.Viewer,
        CreatedAt = Ddb.Time(item.RequireN("at")),
    };
}
