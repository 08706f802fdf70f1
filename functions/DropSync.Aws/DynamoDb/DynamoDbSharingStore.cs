using System.Globalization;
using Amazon.DynamoDBv2.Model;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// Shares, members and shared links in DynamoDB (<see cref="DynamoDbTables.Sharing"/>). Every read is one Query or
/// GetItem on a partition named by the caller's key (share, namespace, user, token hash, owner): no scans. Shares and
/// members are written by <see cref="DynamoDbFileMetadataStore.ApplyAsync"/> in the batch's transaction
/// (<see cref="SharingWrites"/>); links are written here.
/// </summary>
public sealed class DynamoDbSharingStore : ISharingStore
{
    private readonly DynamoDbContext _db;

    public DynamoDbSharingStore(DynamoDbContext db) => _db = db ?? throw new ArgumentNullException(nameof(db));

    public async Task<Share?> GetShareAsync(string shareId, CancellationToken cancellationToken)
    {
        var item = await _db.GetItemAsync(nameof(GetShareAsync), _db.Tables.Sharing, SharingCodec.ShareKey(shareId), cancellationToken).ConfigureAwait(false);
        return item is null ? null : SharingCodec.ToShare(item);
    }

    public async Task<IReadOnlyList<Share>> ListSharesInNamespaceAsync(string namespaceId, CancellationToken cancellationToken)
    {
        var items = await QueryPrefixAsync(nameof(ListSharesInNamespaceAsync), SharingCodec.NamespacePk(namespaceId), "s#", cancellationToken).ConfigureAwait(false);
        return items.Select(SharingCodec.ToShare).ToList();
    }

    public async Task<IReadOnlyList<ShareMember>> ListMembersAsync(string shareId, CancellationToken cancellationToken)
    {
        var items = await QueryPrefixAsync(nameof(ListMembersAsync), SharingCodec.SharePk(shareId), "m#", cancellationToken).ConfigureAwait(false);
        return items.Select(SharingCodec.ToMember)
            .OrderBy(m => m.AddedAt)
            .ThenBy(m => m.UserId, StringComparer.Ordinal)
            .ToList();
    }

    public async Task<IReadOnlyList<Membership>> ListMembershipsAsync(string userId, CancellationToken cancellationToken)
    {
        var members = (await QueryPrefixAsync(nameof(ListMembershipsAsync), SharingCodec.UserPk(userId), "m#", cancellationToken).ConfigureAwait(false))
            .Select(SharingCodec.ToMember)
            .ToList();
        if (members.Count == 0)
        {
            return [];
        }

        var shares = (await _db.BatchGetAsync(
                nameof(ListMembershipsAsync), _db.Tables.Sharing, members.Select(m => SharingCodec.ShareKey(m.ShareId)).ToList(), cancellationToken).ConfigureAwait(false))
            .Select(SharingCodec.ToShare)
            .ToDictionary(s => s.ShareId, StringComparer.Ordinal);
        return members.Where(m => shares.ContainsKey(m.ShareId))
            .Select(m => new Membership(shares[m.ShareId], m))
            .OrderBy(m => m.Member.MountKey, StringComparer.Ordinal)
            .ToList();
    }

    public async Task CreateLinkAsync(SharedLink link, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(link);
        var byToken = SharingCodec.LinkItem(link, SharingCodec.LinkPk(link.TokenHash), SharingCodec.LinkSk);
        var byOwner = SharingCodec.LinkItem(link, SharingCodec.OwnerPk(link.OwnerUserId), SharingCodec.OwnerListSk(link));
        var byId = SharingCodec.LinkItem(link, SharingCodec.OwnerPk(link.OwnerUserId), SharingCodec.OwnerIdSk(link.LinkId));
        var byPath = SharingCodec.LinkPathItem(link.NamespaceId, Core.Paths.DropPath.KeyOf(link.Path), link);
        var response = await _db.Client.TransactWriteItemsAsync(
            new TransactWriteItemsRequest
            {
                TransactItems =
                [
                    new() { Put = new Put { TableName = _db.Tables.Sharing, Item = byToken, ConditionExpression = "attribute_not_exists(#pk)", ExpressionAttributeNames = new() { ["#pk"] = SharingPartitionKey } } },
                    new() { Put = new Put { TableName = _db.Tables.Sharing, Item = byOwner } },
                    new() { Put = new Put { TableName = _db.Tables.Sharing, Item = byId, ConditionExpression = "attribute_not_exists(#pk)", ExpressionAttributeNames = new() { ["#pk"] = SharingPartitionKey } } },
                    new() { Put = new Put { TableName = _db.Tables.Sharing, Item = byPath } },
                ],
                ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
            },
            cancellationToken).ConfigureAwait(false);
        _db.Capacity.Record(nameof(CreateLinkAsync), response.ConsumedCapacity);
    }

    public async Task<SharedLink?> FindLinkByTokenHashAsync(string tokenHash, CancellationToken cancellationToken)
    {
        var item = await _db.GetItemAsync(
            nameof(FindLinkByTokenHashAsync), _db.Tables.Sharing, Ddb.Key(SharingPartitionKey, SharingCodec.LinkPk(tokenHash), SharingSortKey, SharingCodec.LinkSk), cancellationToken).ConfigureAwait(false);
        return item is null ? null : SharingCodec.ToLink(item);
    }

    public async Task<IReadOnlyList<SharedLink>> ListLinksAsync(string ownerUserId, CancellationToken cancellationToken)
    {
        var items = await _db.QueryAllAsync(
            nameof(ListLinksAsync),
            new QueryRequest
            {
                TableName = _db.Tables.Sharing,
                KeyConditionExpression = "#pk = :pk AND begins_with(#sk, :prefix)",
                ExpressionAttributeNames = new() { ["#pk"] = SharingPartitionKey, ["#sk"] = SharingSortKey },
                ExpressionAttributeValues = new() { [":pk"] = Ddb.S(SharingCodec.OwnerPk(ownerUserId)), [":prefix"] = Ddb.S("l#") },
                ScanIndexForward = false,
                ConsistentRead = true,
            },
            cancellationToken).ConfigureAwait(false);
        return items.Select(SharingCodec.ToLink).ToList();
    }

    /// <summary>
    /// Two queries of the namespace's partition (the links at the key, then those below it) for the by-path items, whose
    /// sort keys name only the link; the links themselves are then read from their by-token items.
    /// </summary>
    public async Task<IReadOnlyList<SharedLink>> ListLinksAtOrBelowAsync(string namespaceId, string pathKey, CancellationToken cancellationToken)
    {
        var pk = SharingCodec.NamespacePk(namespaceId);
        var at = QueryPrefixAsync(nameof(ListLinksAtOrBelowAsync), pk, SharingCodec.LinkPathPrefix(pathKey), cancellationToken);
        var below = QueryPrefixAsync(nameof(ListLinksAtOrBelowAsync), pk, SharingCodec.LinksBelowPrefix(pathKey), cancellationToken);
        var pointers = (await at.ConfigureAwait(false)).Concat(await below.ConfigureAwait(false)).ToList();
        if (pointers.Count == 0)
        {
            return [];
        }

        var keys = pointers.Select(p => Ddb.Key(SharingPartitionKey, SharingCodec.LinkPk(p.RequireS("th")), SharingSortKey, SharingCodec.LinkSk)).ToList();
        return (await _db.BatchGetAsync(nameof(ListLinksAtOrBelowAsync), _db.Tables.Sharing, keys, cancellationToken).ConfigureAwait(false))
            .Select(SharingCodec.ToLink)
            .OrderBy(l => l.LinkId, StringComparer.Ordinal)
            .ToList();
    }

    public async Task<bool> RevokeLinkAsync(string ownerUserId, string linkId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var byId = await _db.GetItemAsync(
            nameof(RevokeLinkAsync), _db.Tables.Sharing, Ddb.Key(SharingPartitionKey, SharingCodec.OwnerPk(ownerUserId), SharingSortKey, SharingCodec.OwnerIdSk(linkId)), cancellationToken).ConfigureAwait(false);
        if (byId is null)
        {
            return false;
        }

        var link = SharingCodec.ToLink(byId);
        if (link.RevokedAt is not null)
        {
            return true;
        }

        // The first revocation time is kept: each copy is only set where it is not set yet.
        var keys = new[]
        {
            Ddb.Key(SharingPartitionKey, SharingCodec.LinkPk(link.TokenHash), SharingSortKey, SharingCodec.LinkSk),
            Ddb.Key(SharingPartitionKey, SharingCodec.OwnerPk(ownerUserId), SharingSortKey, SharingCodec.OwnerListSk(link)),
            Ddb.Key(SharingPartitionKey, SharingCodec.OwnerPk(ownerUserId), SharingSortKey, SharingCodec.OwnerIdSk(linkId)),
        };
        await Task.WhenAll(keys.Select(async key =>
        {
            try
            {
                var response = await _db.Client.UpdateItemAsync(
                    new UpdateItemRequest
                    {
                        TableName = _db.Tables.Sharing,
                        Key = key,
                        UpdateExpression = "SET #rv = :at",
                        ConditionExpression = "attribute_exists(#pk) AND attribute_not_exists(#rv)",
                        ExpressionAttributeNames = new() { ["#rv"] = SharingCodec.Revoked, ["#pk"] = SharingPartitionKey },
                        ExpressionAttributeValues = new() { [":at"] = Ddb.N(Ddb.Ms(at)) },
                        ReturnConsumedCapacity = Amazon.DynamoDBv2.ReturnConsumedCapacity.TOTAL,
                    },
                    cancellationToken).ConfigureAwait(false);
                _db.Capacity.Record(nameof(RevokeLinkAsync), response.ConsumedCapacity);
            }
            catch (ConditionalCheckFailedException)
            {
                // Revoked already (the first time stays).
            }
        })).ConfigureAwait(false);
        return true;
    }

    private Task<List<Dictionary<string, AttributeValue>>> QueryPrefixAsync(string operation, string pk, string prefix, CancellationToken cancellationToken) =>
        _db.QuerySharingPrefixAsync(operation, pk, prefix, cancellationToken);
}

/// <summary>How shares, members, mounts and links are stored as items of the sharing table.</summary>
internal static class SharingCodec
{
    public const string ShareSk = "share";
    public const string LinkSk = "link";
    public const string Revoked = "rv";
    public const string ShareIdAttribute = "sid";
    public const string Version = "v";

    public static string SharePk(string shareId) => "s#" + shareId;

    public static string NamespacePk(string ns) => "n#" + ns;

    public static string UserPk(string userId) => "u#" + userId;

    public static string LinkPk(string tokenHash) => "l#" + tokenHash;

    public static string OwnerPk(string ownerUserId) => "o#" + ownerUserId;

    public static string OwnerListSk(SharedLink link) => "l#" + Ddb.Ms(link.CreatedAt).ToString("D15", CultureInfo.InvariantCulture) + "#" + link.LinkId;

    public static string OwnerIdSk(string linkId) => "i#" + linkId;

    /// <summary>
    /// Where a link is indexed by what it points to, in its namespace's partition (<see cref="NamespacePk"/>): the path
    /// key, then U+0001 (no path contains a control character, so the links at a path and those below it, under
    /// "key/", are two distinct prefixes), then the link id.
    /// </summary>
    public static string LinkPathSk(string pathKey, string linkId) => LinkPathPrefix(pathKey) + linkId;

    public static string LinkPathPrefix(string pathKey) => "l#" + pathKey + "\u0001";

    public static string LinksBelowPrefix(string pathKey) => "l#" + pathKey + "/";

    /// <summary>The by-path item: just enough to find the link's by-token item, which holds the link itself.</summary>
    public static Dictionary<string, AttributeValue> LinkPathItem(string ns, string pathKey, SharedLink link)
    {
        var item = Ddb.Key(SharingPartitionKey, NamespacePk(ns), SharingSortKey, LinkPathSk(pathKey, link.LinkId));
        item["lid"] = Ddb.S(link.LinkId);
        item["th"] = Ddb.S(link.TokenHash);
        return item;
    }

    public static Dictionary<string, AttributeValue> ShareKey(string shareId) => Ddb.Key(SharingPartitionKey, SharePk(shareId), SharingSortKey, ShareSk);

    public static Dictionary<string, AttributeValue> ShareItem(Share share, string pk, string sk, long version)
    {
        var item = Ddb.Key(SharingPartitionKey, pk, SharingSortKey, sk);
        item[ShareIdAttribute] = Ddb.S(share.ShareId);
        item["own"] = Ddb.S(share.OwnerUserId);
        item["ns"] = Ddb.S(share.NamespaceId);
        item["fp"] = Ddb.S(share.FolderPath);
        item["at"] = Ddb.N(Ddb.Ms(share.CreatedAt));
        item[Version] = Ddb.N(version);
        return item;
    }

    public static Share ToShare(Dictionary<string, AttributeValue> item) => new()
    {
        ShareId = item.RequireS(ShareIdAttribute),
        OwnerUserId = item.RequireS("own"),
        NamespaceId = item.RequireS("ns"),
        FolderPath = item.RequireS("fp"),
        CreatedAt = Ddb.Time(item.RequireN("at")),
    };

    public static Dictionary<string, AttributeValue> MemberItem(ShareMember member, string pk, string sk, long version)
    {
        var item = Ddb.Key(SharingPartitionKey, pk, SharingSortKey, sk);
        item[ShareIdAttribute] = Ddb.S(member.ShareId);
        item["uid"] = Ddb.S(member.UserId);
        item["em"] = Ddb.S(member.Email);
        item["role"] = Ddb.S(member.Role == ShareRole.Editor ? "editor" : "viewer");
        item["mp"] = Ddb.S(member.MountPath);
        item["at"] = Ddb.N(Ddb.Ms(member.AddedAt));
        item[Version] = Ddb.N(version);
        return item;
    }

    public static ShareMember ToMember(Dictionary<string, AttributeValue> item) => new()
    {
        ShareId = item.RequireS(ShareIdAttribute),
        UserId = item.RequireS("uid"),
        Email = item.RequireS("em"),
        Role = item.RequireS("role") == "editor" ? ShareRole.Editor : ShareRole.Viewer,
        MountPath = item.RequireS("mp"),
        AddedAt = Ddb.Time(item.RequireN("at")),
    };

    public static Dictionary<string, AttributeValue> LinkItem(SharedLink link, string pk, string sk)
    {
        var item = Ddb.Key(SharingPartitionKey, pk, SharingSortKey, sk);
        item["lid"] = Ddb.S(link.LinkId);
        item["th"] = Ddb.S(link.TokenHash);
        item["own"] = Ddb.S(link.OwnerUserId);
        item["ns"] = Ddb.S(link.NamespaceId);
        item["p"] = Ddb.S(link.Path);
        item["ovp"] = Ddb.S(link.OwnerViewPath);
        item["at"] = Ddb.N(Ddb.Ms(link.CreatedAt));
        if (link.ExpiresAt is { } expires)
        {
            item["ex"] = Ddb.N(Ddb.Ms(expires));
        }

        if (link.PasswordHash is not null)
        {
            item["pw"] = Ddb.S(link.PasswordHash);
        }

        if (link.RevokedAt is { } revoked)
        {
            item[Revoked] = Ddb.N(Ddb.Ms(revoked));
        }

        return item;
    }

    public static SharedLink ToLink(Dictionary<string, AttributeValue> item) => new()
    {
        LinkId = item.RequireS("lid"),
        TokenHash = item.RequireS("th"),
        OwnerUserId = item.RequireS("own"),
        NamespaceId = item.RequireS("ns"),
        Path = item.RequireS("p"),
        OwnerViewPath = item.RequireS("ovp"),
        CreatedAt = Ddb.Time(item.RequireN("at")),
        ExpiresAt = item.GetN("ex") is { } ex ? Ddb.Time(ex) : null,
        PasswordHash = item.GetS("pw"),
        RevokedAt = item.GetN(Revoked) is { } rv ? Ddb.Time(rv) : null,
    };
}
