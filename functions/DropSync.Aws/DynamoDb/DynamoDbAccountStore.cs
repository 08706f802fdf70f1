using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// Accounts and devices in DynamoDB. Every lookup the API makes per request is one strongly consistent GetItem: the
/// account by id (<c>u#{id}</c>) or by e-mail (<c>e#{email}</c>, which also makes e-mails unique: both are written in one
/// transaction, each on condition it is new), the device by id (<c>d#{id}</c>) or by token hash (<c>t#{hash}</c>), and a
/// user's devices by one Query (<c>u#{id}</c> / <c>d#…</c>). The device copies are written and revoked together.
/// </summary>
public sealed class DynamoDbAccountStore : IAccountStore
{
    private const string AccountSort = "account";
    private const string EmailSort = "email";
    private const string DeviceSort = "device";
    private const string TokenSort = "token";
    private const string UserAttribute = "uid";
    private const string EmailAttribute = "em";
    private const string PasswordAttribute = "ph";
    private const string NamespaceAttribute = "ns";
    private const string CreatedAttribute = "ca";
    private const string DeviceAttribute = "did";
    private const string NameAttribute = "nm";
    private const string TokenAttribute = "th";
    private const string RevokedAttribute = "ra";
    private const string LastUsedAttribute = "lu";

    private readonly DynamoDbContext _db;

    public DynamoDbAccountStore(DynamoDbContext db) => _db = db ?? throw new ArgumentNullException(nameof(db));

    public async Task<bool> TryCreateAccountAsync(Account account, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var response = await _db.Client.TransactWriteItemsAsync(
                    new TransactWriteItemsRequest
                    {
                        TransactItems =
                        [
                            NewItem(AccountItem(account, "e#" + account.Email, EmailSort)),
                            NewItem(AccountItem(account, "u#" + account.UserId, AccountSort)),
                        ],
                        ReturnConsumedCapacity = ReturnConsumedCapacity.INDEXES,
                    },
                    cancellationToken).ConfigureAwait(false);
                _db.Capacity.Record(nameof(TryCreateAccountAsync), response.ConsumedCapacity);
                return true;
            }
            catch (TransactionCanceledException e) when (e.CancellationReasons?.Exists(r => r.Code == "ConditionalCheckFailed") == true)
            {
                return false;
            }
            catch (Exception e) when (e is TransactionCanceledException or TransactionConflictException && attempt < 50)
            {
                await Backoff.DelayAsync(attempt + 1, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task<Account?> FindAccountByEmailAsync(string email, CancellationToken cancellationToken) =>
        ToAccount(await _db.GetItemAsync(nameof(FindAccountByEmailAsync), _db.Tables.Accounts, Key("e#" + email, EmailSort), cancellationToken).ConfigureAwait(false));

    public async Task<Account?> GetAccountAsync(string userId, CancellationToken cancellationToken) =>
        ToAccount(await _db.GetItemAsync(nameof(GetAccountAsync), _db.Tables.Accounts, Key("u#" + userId, AccountSort), cancellationToken).ConfigureAwait(false));

    public async Task AddDeviceAsync(Device device, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        var response = await _db.Client.TransactWriteItemsAsync(
            new TransactWriteItemsRequest
            {
                TransactItems = DeviceCopies(device).Select(k => new TransactWriteItem
                {
                    Put = new Put { TableName = _db.Tables.Accounts, Item = DeviceItem(device, k.Pk, k.Sk) },
                }).ToList(),
                ReturnConsumedCapacity = ReturnConsumedCapacity.INDEXES,
            },
            cancellationToken).ConfigureAwait(false);
        _db.Capacity.Record(nameof(AddDeviceAsync), response.ConsumedCapacity);
    }

    public async Task<Device?> FindDeviceByTokenHashAsync(string tokenHash, CancellationToken cancellationToken)
    {
        var device = ToDevice(await _db.GetItemAsync(nameof(FindDeviceByTokenHashAsync), _db.Tables.Accounts, Key("t#" + tokenHash, TokenSort), cancellationToken).ConfigureAwait(false));
        return device is { IsRevoked: false } ? device : null;
    }

    public async Task<Device?> GetDeviceAsync(string deviceId, CancellationToken cancellationToken) =>
        ToDevice(await _db.GetItemAsync(nameof(GetDeviceAsync), _db.Tables.Accounts, Key("d#" + deviceId, DeviceSort), cancellationToken).ConfigureAwait(false));

    public async Task<IReadOnlyList<Device>> ListDevicesAsync(string userId, CancellationToken cancellationToken)
    {
        var items = await _db.QueryAllAsync(
            nameof(ListDevicesAsync),
            new QueryRequest
            {
                TableName = _db.Tables.Accounts,
                KeyConditionExpression = "#pk = :pk AND begins_with(#sk, :d)",
                ExpressionAttributeNames = new() { ["#pk"] = AccountsPartitionKey, ["#sk"] = AccountsSortKey },
                ExpressionAttributeValues = new() { [":pk"] = Ddb.S("u#" + userId), [":d"] = Ddb.S("d#") },
                ConsistentRead = true,
            },
            cancellationToken).ConfigureAwait(false);
        return items.Select(i => ToDevice(i)!).OrderBy(d => d.CreatedAt).ThenBy(d => d.DeviceId, StringComparer.Ordinal).ToList();
    }

    public async Task<bool> RevokeDeviceAsync(string userId, string deviceId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var device = await GetDeviceAsync(deviceId, cancellationToken).ConfigureAwait(false);
        if (device is null || device.UserId != userId)
        {
            return false;
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var response = await _db.Client.TransactWriteItemsAsync(
                    new TransactWriteItemsRequest
                    {
                        TransactItems = DeviceCopies(device).Select(k => new TransactWriteItem
                        {
                            Update = new Update
                            {
                                TableName = _db.Tables.Accounts,
                                Key = Key(k.Pk, k.Sk),
                                UpdateExpression = "SET #ra = if_not_exists(#ra, :at)",
                                ConditionExpression = "#uid = :uid",
                                ExpressionAttributeNames = new() { ["#ra"] = RevokedAttribute, ["#uid"] = UserAttribute },
                                ExpressionAttributeValues = new() { [":at"] = Ddb.N(Ddb.Ms(at)), [":uid"] = Ddb.S(userId) },
                            },
                        }).ToList(),
                        ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                    },
                    cancellationToken).ConfigureAwait(false);
                _db.Capacity.Record(nameof(RevokeDeviceAsync), response.ConsumedCapacity);
                return true;
            }
            catch (TransactionCanceledException e) when (e.CancellationReasons?.Exists(r => r.Code == "ConditionalCheckFailed") == true)
            {
                return false;
            }
            catch (Exception e) when (e is TransactionCanceledException or TransactionConflictException && attempt < 50)
            {
                await Backoff.DelayAsync(attempt + 1, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task TouchDeviceAsync(Device device, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);

        // Each copy on its own (not a transaction: a lost touch only shortens nothing, the next request writes it
        // again), only where the copy exists and only forwards in time. ConditionalCheckFailed is the expected
        // answer for a stale or absent copy.
        foreach (var (pk, sk) in DeviceCopies(device))
        {
            try
            {
                var response = await _db.Client.UpdateItemAsync(
                    new UpdateItemRequest
                    {
                        TableName = _db.Tables.Accounts,
                        Key = Key(pk, sk),
                        UpdateExpression = "SET #lu = :at",
                        ConditionExpression = "attribute_exists(#pk) AND (attribute_not_exists(#lu) OR #lu < :at)",
                        ExpressionAttributeNames = new() { ["#lu"] = LastUsedAttribute, ["#pk"] = AccountsPartitionKey },
                        ExpressionAttributeValues = new() { [":at"] = Ddb.N(Ddb.Ms(at)) },
                        ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                    },
                    cancellationToken).ConfigureAwait(false);
                _db.Capacity.Record(nameof(TouchDeviceAsync), response.ConsumedCapacity);
            }
            catch (ConditionalCheckFailedException)
            {
                // Already as recent, or the copy is gone.
            }
        }
    }

    public async Task<bool> SetPasswordHashAsync(Account account, string passwordHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                // Both copies (by id and by e-mail) at once, so a sign-in never sees the old hash on one and the new on the other.
                var response = await _db.Client.TransactWriteItemsAsync(
                    new TransactWriteItemsRequest
                    {
                        TransactItems = new[] { ("u#" + account.UserId, AccountSort), ("e#" + account.Email, EmailSort) }.Select(k => new TransactWriteItem
                        {
                            Update = new Update
                            {
                                TableName = _db.Tables.Accounts,
                                Key = Key(k.Item1, k.Item2),
                                UpdateExpression = "SET #ph = :ph",
                                ConditionExpression = "#uid = :uid",
                                ExpressionAttributeNames = new() { ["#ph"] = PasswordAttribute, ["#uid"] = UserAttribute },
                                ExpressionAttributeValues = new() { [":ph"] = Ddb.S(passwordHash), [":uid"] = Ddb.S(account.UserId) },
                            },
                        }).ToList(),
                        ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                    },
                    cancellationToken).ConfigureAwait(false);
                _db.Capacity.Record(nameof(SetPasswordHashAsync), response.ConsumedCapacity);
                return true;
            }
            catch (TransactionCanceledException e) when (e.CancellationReasons?.Exists(r => r.Code == "ConditionalCheckFailed") == true)
            {
                return false;
            }
            catch (Exception e) when (e is TransactionCanceledException or TransactionConflictException && attempt < 50)
            {
                await Backoff.DelayAsync(attempt + 1, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static IEnumerable<(string Pk, string Sk)> DeviceCopies(Device device) =>
        [("d#" + device.DeviceId, DeviceSort), ("t#" + device.TokenHash, TokenSort), ("u#" + device.UserId, "d#" + device.DeviceId)];

    private static Dictionary<string, AttributeValue> Key(string pk, string sk) => Ddb.Key(AccountsPartitionKey, pk, AccountsSortKey, sk);

    private TransactWriteItem NewItem(Dictionary<string, AttributeValue> item) => new()
    {
        Put = new Put
        {
            TableName = _db.Tables.Accounts,
            Item = item,
            ConditionExpression = "attribute_not_exists(#pk)",
            ExpressionAttributeNames = new() { ["#pk"] = AccountsPartitionKey },
        },
    };

    private static Dictionary<string, AttributeValue> AccountItem(Account account, string pk, string sk)
    {
        var item = Key(pk, sk);
        item[UserAttribute] = Ddb.S(account.UserId);
        item[EmailAttribute] = Ddb.S(account.Email);
        item[PasswordAttribute] = Ddb.S(account.PasswordHash);
        item[NamespaceAttribute] = Ddb.S(account.RootNamespaceId);
        item[CreatedAttribute] = Ddb.N(Ddb.Ms(account.CreatedAt));
        return item;
    }

    private static Account? ToAccount(Dictionary<string, AttributeValue>? item) => item is null ? null : new Account
    {
        UserId = item.RequireS(UserAttribute),
        Email = item.RequireS(EmailAttribute),
        PasswordHash = item.RequireS(PasswordAttribute),
        RootNamespaceId = item.RequireS(NamespaceAttribute),
        CreatedAt = Ddb.Time(item.RequireN(CreatedAttribute)),
    };

    private static Dictionary<string, AttributeValue> DeviceItem(Device device, string pk, string sk)
    {
        var item = Key(pk, sk);
        item[DeviceAttribute] = Ddb.S(device.DeviceId);
        item[UserAttribute] = Ddb.S(device.UserId);
        item[NameAttribute] = Ddb.S(device.Name);
        item[TokenAttribute] = Ddb.S(device.TokenHash);
        item[CreatedAttribute] = Ddb.N(Ddb.Ms(device.CreatedAt));
        if (device.RevokedAt is { } revoked)
        {
            item[RevokedAttribute] = Ddb.N(Ddb.Ms(revoked));
        }

        if (device.LastUsedAt is { } used)
        {
            item[LastUsedAttribute] = Ddb.N(Ddb.Ms(used));
        }

        return item;
    }

    private static Device? ToDevice(Dictionary<string, AttributeValue>? item) => item is null ? null : new Device
    {
        DeviceId = item.RequireS(DeviceAttribute),
        UserId = item.RequireS(UserAttribute),
        Name = item.RequireS(NameAttribute),
        TokenHash = item.RequireS(TokenAttribute),
        CreatedAt = Ddb.Time(item.RequireN(CreatedAttribute)),
        RevokedAt = item.GetN(RevokedAttribute) is { } revoked ? Ddb.Time(revoked) : null,
        LastUsedAt = item.GetN(LastUsedAttribute) is { } used ? Ddb.Time(used) : null,
    };
}
