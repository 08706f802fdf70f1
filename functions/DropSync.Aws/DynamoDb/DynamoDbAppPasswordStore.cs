using Amazon.DynamoDBv2.Model;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// App passwords in the accounts table, one item each under the user's partition (<c>u#{id}</c> / <c>ap#{id}</c>), so
/// Basic authentication is one strongly consistent Query of the user's app passwords after the e-mail's GetItem.
/// Device items there start with <c>d#</c>, so the two never mix in a begins_with Query.
/// </summary>
public sealed class DynamoDbAppPasswordStore(DynamoDbContext db) : IAppPasswordStore
{
    private const string SortPrefix = "ap#";
    private const string IdAttribute = "apid";
    private const string UserAttribute = "uid";
    private const string NameAttribute = "nm";
    private const string HashAttribute = "sh";
    private const string CreatedAttribute = "ca";
    private const string RevokedAttribute = "ra";

    public async Task AddAppPasswordAsync(AppPassword appPassword, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(appPassword);
        var item = Key(appPassword.UserId, appPassword.AppPasswordId);
        item[IdAttribute] = Ddb.S(appPassword.AppPasswordId);
        item[UserAttribute] = Ddb.S(appPassword.UserId);
        item[NameAttribute] = Ddb.S(appPassword.Name);
        item[HashAttribute] = Ddb.S(appPassword.SecretHash);
        item[CreatedAttribute] = Ddb.N(Ddb.Ms(appPassword.CreatedAt));
        if (appPassword.RevokedAt is { } revoked)
        {
            item[RevokedAttribute] = Ddb.N(Ddb.Ms(revoked));
        }

        var response = await db.Client.PutItemAsync(
            new PutItemRequest { TableName = db.Tables.Accounts, Item = item, ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL },
            cancellationToken).ConfigureAwait(false);
        db.Capacity.Record(nameof(AddAppPasswordAsync), response.ConsumedCapacity);
    }

    public async Task<IReadOnlyList<AppPassword>> ListAppPasswordsAsync(string userId, CancellationToken cancellationToken)
    {
        var items = await db.QueryAllAsync(
            nameof(ListAppPasswordsAsync),
            new QueryRequest
            {
                TableName = db.Tables.Accounts,
                KeyConditionExpression = "#pk = :pk AND begins_with(#sk, :ap)",
                ExpressionAttributeNames = new() { ["#pk"] = AccountsPartitionKey, ["#sk"] = AccountsSortKey },
                ExpressionAttributeValues = new() { [":pk"] = Ddb.S("u#" + userId), [":ap"] = Ddb.S(SortPrefix) },
                ConsistentRead = true,
            },
            cancellationToken).ConfigureAwait(false);
        return items.Select(ToAppPassword).OrderBy(p => p.CreatedAt).ThenBy(p => p.AppPasswordId, StringComparer.Ordinal).ToList();
    }

    public async Task<bool> RevokeAppPasswordAsync(string userId, string appPasswordId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        try
        {
            // Revoking twice keeps the first time; the condition makes an unknown id answer false instead of creating an item.
            var response = await db.Client.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = db.Tables.Accounts,
                    Key = Key(userId, appPasswordId),
                    UpdateExpression = "SET #ra = if_not_exists(#ra, :at)",
                    ConditionExpression = "attribute_exists(#pk)",
                    ExpressionAttributeNames = new() { ["#ra"] = RevokedAttribute, ["#pk"] = AccountsPartitionKey },
                    ExpressionAttributeValues = new() { [":at"] = Ddb.N(Ddb.Ms(at)) },
                    ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
                },
                cancellationToken).ConfigureAwait(false);
            db.Capacity.Record(nameof(RevokeAppPasswordAsync), response.ConsumedCapacity);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    private static Dictionary<string, AttributeValue> Key(string userId, string appPasswordId) =>
        Ddb.Key(AccountsPartitionKey, "u#" + userId, AccountsSortKey, SortPrefix + appPasswordId);

    private static AppPassword ToAppPassword(Dictionary<string, AttributeValue> item) => new()
    {
        AppPasswordId = item.RequireS(IdAttribute),
        UserId = item.RequireS(UserAttribute),
        Name = item.RequireS(NameAttribute),
        SecretHash = item.RequireS(HashAttribute),
        CreatedAt = Ddb.Time(item.RequireN(CreatedAttribute)),
        RevokedAt = item.GetN(RevokedAttribute) is { } revoked ? Ddb.Time(revoked) : null,
    };
}
