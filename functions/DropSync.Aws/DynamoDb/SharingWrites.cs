using Amazon.DynamoDBv2.Model;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// Turns a batch's share writes (<see cref="MetadataWrite.PutShare"/>, <see cref="MetadataWrite.DeleteShare"/>,
/// <see cref="MetadataWrite.PutMember"/>, <see cref="MetadataWrite.DeleteMember"/>) into items of the batch's transaction.
/// The current state of every share, member, folder and mount the writes touch is read first and the writes are
/// applied to it in order, so the first write that breaks a rule (a share that must be new, one share per folder, one
/// mount per path, a member of an unknown share) is answered without writing anything. The transaction then writes the
/// difference, each item conditioned on the state that was read (a version, or the owner of a folder or mount), so a
/// concurrent change cancels it and the whole batch is planned again.
/// </summary>
internal static class SharingWrites
{
    public sealed record Plan(int? FailedIndex, List<TransactWriteItem> Items);

    public static async Task<Plan> PlanAsync(DynamoDbContext db, IReadOnlyList<(int Index, MetadataWrite Write)> writes, CancellationToken ct)
    {
        var table = db.Tables.Sharing;
        const string op = nameof(DynamoDbFileMetadataStore.ApplyAsync);

        // What the writes touch.
        var shareIds = new HashSet<string>(StringComparer.Ordinal);
        var memberKeys = new HashSet<(string ShareId, string UserId)>();
        var folderKeys = new HashSet<(string Ns, string Key)>();
        var mountKeys = new HashSet<(string UserId, string Key)>();
        var deletedShares = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, write) in writes)
        {
            switch (write)
            {
                case MetadataWrite.PutShare put:
                    shareIds.Add(put.Share.ShareId);
                    folderKeys.Add((put.Share.NamespaceId, put.Share.FolderKey));
                    break;
                case MetadataWrite.DeleteShare delete:
                    shareIds.Add(delete.ShareId);
                    deletedShares.Add(delete.ShareId);
                    break;
                case MetadataWrite.PutMember member:
                    shareIds.Add(member.Member.ShareId);
                    memberKeys.Add((member.Member.ShareId, member.Member.UserId));
                    mountKeys.Add((member.Member.UserId, member.Member.MountKey));
                    break;
                case MetadataWrite.DeleteMember remove:
                    shareIds.Add(remove.ShareId);
                    memberKeys.Add((remove.ShareId, remove.UserId));
                    break;
            }
        }

        // Read the current state.
        var keys = new List<Dictionary<string, AttributeValue>>();
        keys.AddRange(shareIds.Select(SharingCodec.ShareKey));
        keys.AddRange(memberKeys.Select(k => Ddb.Key(SharingPartitionKey, SharingCodec.SharePk(k.ShareId), SharingSortKey, "m#" + k.UserId)));
        keys.AddRange(folderKeys.Select(k => FolderKey(k.Ns, k.Key)));
        keys.AddRange(mountKeys.Select(k => MountKey(k.UserId, k.Key)));
        var found = (await db.BatchGetAsync(op, table, keys, ct).ConfigureAwait(false))
            .ToDictionary(i => (i.RequireS(SharingPartitionKey), i.RequireS(SharingSortKey)));
        foreach (var shareId in deletedShares)
        {
            var items = await db.QueryAllAsync(
                op,
                new QueryRequest
                {
                    TableName = table,
                    KeyConditionExpression = "#pk = :pk AND begins_with(#sk, :m)",
                    ExpressionAttributeNames = new() { ["#pk"] = SharingPartitionKey, ["#sk"] = SharingSortKey },
                    ExpressionAttributeValues = new() { [":pk"] = Ddb.S(SharingCodec.SharePk(shareId)), [":m"] = Ddb.S("m#") },
                    ConsistentRead = true,
                },
                ct).ConfigureAwait(false);
            foreach (var item in items)
            {
                found[(item.RequireS(SharingPartitionKey), item.RequireS(SharingSortKey))] = item;
                memberKeys.Add((shareId, item.RequireS("uid")));
            }
        }

        var shares = new Dictionary<string, (Share? Value, long Version)>(StringComparer.Ordinal);
        foreach (var id in shareIds)
        {
            shares[id] = found.TryGetValue((SharingCodec.SharePk(id), SharingCodec.ShareSk), out var item)
                ? (SharingCodec.ToShare(item), item.GetN(SharingCodec.Version) ?? 0)
                : (null, 0);
        }

        var members = new Dictionary<(string, string), (ShareMember? Value, long Version)>();
        foreach (var (shareId, userId) in memberKeys)
        {
            members[(shareId, userId)] = found.TryGetValue((SharingCodec.SharePk(shareId), "m#" + userId), out var item)
                ? (SharingCodec.ToMember(item), item.GetN(SharingCodec.Version) ?? 0)
                : (null, 0);
        }

        // Folders and mounts as stored, plus those the existing shares and members hold (they are written together).
        var folders = new Dictionary<(string, string), string?>();
        foreach (var (id, (share, _)) in shares)
        {
            if (share is not null)
            {
                folders[(share.NamespaceId, share.FolderKey)] = id;
            }
        }

        foreach (var (ns, key) in folderKeys)
        {
            folders[(ns, key)] = found.TryGetValue((SharingCodec.NamespacePk(ns), "f#" + key), out var item) ? item.RequireS(SharingCodec.ShareIdAttribute) : null;
        }

        var mounts = new Dictionary<(string, string), string?>();
        foreach (var ((shareId, _), (member, _)) in members)
        {
            if (member is not null)
            {
                mounts[(member.UserId, member.MountKey)] = shareId;
            }
        }

        foreach (var (userId, key) in mountKeys)
        {
            mounts[(userId, key)] = found.TryGetValue((SharingCodec.UserPk(userId), "k#" + key), out var item) ? item.RequireS(SharingCodec.ShareIdAttribute) : null;
        }

        var originalShares = new Dictionary<string, (Share? Value, long Version)>(shares, StringComparer.Ordinal);
        var originalMembers = new Dictionary<(string, string), (ShareMember? Value, long Version)>(members);
        var originalFolders = new Dictionary<(string, string), string?>(folders);
        var originalMounts = new Dictionary<(string, string), string?>(mounts);
        var mustExist = new HashSet<string>(StringComparer.Ordinal);

        // Apply the writes in order.
        foreach (var (index, write) in writes)
        {
            switch (write)
            {
                case MetadataWrite.PutShare { Share: var share, MustBeNew: var mustBeNew }:
                    {
                        var current = shares[share.ShareId].Value;
                        if (mustBeNew && current is not null)
                        {
                            return new Plan(index, []);
                        }

                        if (folders.GetValueOrDefault((share.NamespaceId, share.FolderKey)) is { } owner && owner != share.ShareId)
                        {
                            return new Plan(index, []);
                        }

                        if (current is not null && (current.NamespaceId, current.FolderKey) != (share.NamespaceId, share.FolderKey))
                        {
                            folders[(current.NamespaceId, current.FolderKey)] = null;
                        }

                        folders[(share.NamespaceId, share.FolderKey)] = share.ShareId;
                        shares[share.ShareId] = (share, shares[share.ShareId].Version);
                        break;
                    }

                case MetadataWrite.DeleteShare { ShareId: var shareId }:
                    {
                        if (shares[shareId].Value is not { } current)
                        {
                            break;
                        }

                        folders[(current.NamespaceId, current.FolderKey)] = null;
                        foreach (var key in members.Keys.Where(k => k.Item1 == shareId).ToList())
                        {
                            if (members[key].Value is { } member)
                            {
                                mounts[(member.UserId, member.MountKey)] = null;
                                members[key] = (null, members[key].Version);
                            }
                        }

                        shares[shareId] = (null, shares[shareId].Version);
                        break;
                    }

                case MetadataWrite.PutMember { Member: var member }:
                    {
                        if (shares[member.ShareId].Value is null)
                        {
                            return new Plan(index, []);
                        }

                        if (mounts.GetValueOrDefault((member.UserId, member.MountKey)) is { } owner && owner != member.ShareId)
                        {
                            return new Plan(index, []);
                        }

                        var key = (member.ShareId, member.UserId);
                        if (members[key].Value is { } current && current.MountKey != member.MountKey)
                        {
                            mounts[(current.UserId, current.MountKey)] = null;
                        }

                        mounts[(member.UserId, member.MountKey)] = member.ShareId;
                        members[key] = (member, members[key].Version);
                        mustExist.Add(member.ShareId);
                        break;
                    }

                case MetadataWrite.DeleteMember { ShareId: var shareId, UserId: var userId }:
                    {
                        if (members[(shareId, userId)].Value is { } current)
                        {
                            mounts[(current.UserId, current.MountKey)] = null;
                            members[(shareId, userId)] = (null, members[(shareId, userId)].Version);
                        }

                        break;
                    }
            }
        }

        // Write the difference, each item conditioned on what was read.
        var result = new List<TransactWriteItem>();
        foreach (var (id, (share, _)) in shares)
        {
            var (before, version) = originalShares[id];
            if (Equals(before, share))
            {
                if (share is not null && mustExist.Contains(id))
                {
                    result.Add(new TransactWriteItem { ConditionCheck = new ConditionCheck { TableName = table, Key = SharingCodec.ShareKey(id), ConditionExpression = "#v = :v", ExpressionAttributeNames = new() { ["#v"] = SharingCodec.Version }, ExpressionAttributeValues = new() { [":v"] = Ddb.N(version) } } });
                }

                continue;
            }

            var (condition, names, values) = VersionCondition(before is not null, version);
            if (share is not null)
            {
                result.Add(Put(table, SharingCodec.ShareItem(share, SharingCodec.SharePk(id), SharingCodec.ShareSk, version + 1), condition, names, values));
                result.Add(Put(table, SharingCodec.ShareItem(share, SharingCodec.NamespacePk(share.NamespaceId), "s#" + id, version + 1), null, null, null));
            }
            else
            {
                result.Add(Delete(table, SharingCodec.ShareKey(id), condition, names, values));
                result.Add(Delete(table, Ddb.Key(SharingPartitionKey, SharingCodec.NamespacePk(before!.NamespaceId), SharingSortKey, "s#" + id), null, null, null));
            }
        }

        foreach (var ((shareId, userId), (member, _)) in members)
        {
            var (before, version) = originalMembers[(shareId, userId)];
            if (Equals(before, member))
            {
                continue;
            }

            var (condition, names, values) = VersionCondition(before is not null, version);
            if (member is not null)
            {
                result.Add(Put(table, SharingCodec.MemberItem(member, SharingCodec.SharePk(shareId), "m#" + userId, version + 1), condition, names, values));
                result.Add(Put(table, SharingCodec.MemberItem(member, SharingCodec.UserPk(userId), "m#" + shareId, version + 1), null, null, null));
            }
            else
            {
                result.Add(Delete(table, Ddb.Key(SharingPartitionKey, SharingCodec.SharePk(shareId), SharingSortKey, "m#" + userId), condition, names, values));
                result.Add(Delete(table, Ddb.Key(SharingPartitionKey, SharingCodec.UserPk(userId), SharingSortKey, "m#" + shareId), null, null, null));
            }
        }

        foreach (var ((ns, key), owner) in folders)
        {
            AddOwnerItem(result, table, FolderKey(ns, key), originalFolders.GetValueOrDefault((ns, key)), owner);
        }

        foreach (var ((userId, key), owner) in mounts)
        {
            AddOwnerItem(result, table, MountKey(userId, key), originalMounts.GetValueOrDefault((userId, key)), owner);
        }

        return new Plan(null, result);
    }

    private static Dictionary<string, AttributeValue> FolderKey(string ns, string key) =>
        Ddb.Key(SharingPartitionKey, SharingCodec.NamespacePk(ns), SharingSortKey, "f#" + key);

    private static Dictionary<string, AttributeValue> MountKey(string userId, string key) =>
        Ddb.Key(SharingPartitionKey, SharingCodec.UserPk(userId), SharingSortKey, "k#" + key);

    /// <summary>A folder or mount item names the one share that holds it; taking or freeing it is conditioned on its holder as read.</summary>
    private static void AddOwnerItem(List<TransactWriteItem> result, string table, Dictionary<string, AttributeValue> key, string? before, string? after)
    {
        if (before == after)
        {
            return;
        }

        var names = new Dictionary<string, string> { ["#pk"] = SharingPartitionKey, ["#sid"] = SharingCodec.ShareIdAttribute };
        var values = new Dictionary<string, AttributeValue>();
        string condition;
        if (before is null)
        {
            condition = "attribute_not_exists(#pk)";
            names.Remove("#sid");
        }
        else
        {
            condition = "attribute_not_exists(#pk) OR #sid = :before";
            values[":before"] = Ddb.S(before);
        }

        if (after is not null)
        {
            var item = new Dictionary<string, AttributeValue>(key, StringComparer.Ordinal) { [SharingCodec.ShareIdAttribute] = Ddb.S(after) };
            result.Add(Put(table, item, condition, names, values.Count == 0 ? null : values));
        }
        else
        {
            result.Add(Delete(table, key, condition, names, values.Count == 0 ? null : values));
        }
    }

    private static (string Condition, Dictionary<string, string> Names, Dictionary<string, AttributeValue>? Values) VersionCondition(bool exists, long version) =>
        exists
            ? ("#v = :v", new() { ["#v"] = SharingCodec.Version }, new() { [":v"] = Ddb.N(version) })
            : ("attribute_not_exists(#pk)", new() { ["#pk"] = SharingPartitionKey }, null);

    private static TransactWriteItem Put(string table, Dictionary<string, AttributeValue> item, string? condition, Dictionary<string, string>? names, Dictionary<string, AttributeValue>? values) =>
        new() { Put = new Put { TableName = table, Item = item, ConditionExpression = condition, ExpressionAttributeNames = names, ExpressionAttributeValues = values } };

    private static TransactWriteItem Delete(string table, Dictionary<string, AttributeValue> key, string? condition, Dictionary<string, string>? names, Dictionary<string, AttributeValue>? values) =>
        new() { Delete = new Delete { TableName = table, Key = key, ConditionExpression = condition, ExpressionAttributeNames = names, ExpressionAttributeValues = values } };
}

/// <summary>Reads of the sharing table that its stores (shares, members, invitations) share.</summary>
internal static class SharingQueries
{
    /// <summary>Every item of one partition whose sort key starts with <paramref name="prefix"/>, strongly consistent.</summary>
    public static Task<List<Dictionary<string, AttributeValue>>> QuerySharingPrefixAsync(
        this DynamoDbContext db, string operation, string pk, string prefix, CancellationToken cancellationToken) =>
        db.QueryAllAsync(
            operation,
            new QueryRequest
            {
                TableName = db.Tables.Sharing,
                KeyConditionExpression = "#pk = :pk AND begins_with(#sk, :prefix)",
                ExpressionAttributeNames = new() { ["#pk"] = SharingPartitionKey, ["#sk"] = SharingSortKey },
                ExpressionAttributeValues = new() { [":pk"] = Ddb.S(pk), [":prefix"] = Ddb.S(prefix) },
                ConsistentRead = true,
            },
            cancellationToken);
}
