using System.Globalization;
using Amazon.DynamoDBv2.Model;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.Aws.DynamoDb;

/// <summary>How entries, revisions and journal entries are stored as DynamoDB items.</summary>
internal static class EntryCodec
{
    public const string Display = "d";
    public const string Kind = "t";
    public const string Rev = "r";
    public const string Size = "sz";
    public const string ContentHash = "ch";
    public const string Modified = "m";
    public const string DeviceAttribute = "dev";
    public const string Deleted = "del";

    /// <summary>Set on a tombstone left by a move: it stays out of the deleted-files index.</summary>
    public const string MovedAwayAttribute = "mvd";
    public const string Sequence = "seq";
    public const string VersionAttribute = "ver";
    public const string CompactedThrough = "cmp";

    /// <summary>On a namespace head: its newest journal entry, as a map (the Journal table item it becomes when copied).</summary>
    public const string NewestChange = "jr";

    /// <summary>
    /// On an entry: the time of the first write since its last retention check. The retention due time ("rd") is set from
    /// it, so a path written again before the check keeps its index keys and the write does not touch the index.
    /// </summary>
    public const string FirstUncheckedWrite = "rw";
    public const string BlockCount = "bn";
    public const string ChunkCount = "bc";
    public const string BlockBytes = "b";
    public const string ChangeKindAttribute = "ck";
    public const string FromPath = "fp";

    /// <summary>On a journal entry: which half of a move it is, when the move is journalled in two shards.</summary>
    public const string MovePartAttribute = "mp";

    /// <summary>The attributes an entry item may lack; an update of an entry removes those its new state does not set.</summary>
    private static readonly string[] OptionalAttributes =
        [ContentHash, MovedAwayAttribute, DeletedIndexSortKey, ChildrenIndexSortKey, RetentionIndexPartitionKey, RetentionIndexSortKey, FirstUncheckedWrite];

    public static Dictionary<string, AttributeValue> EntryKey(string ns, string pathKey) =>
        Ddb.Key(EntriesPartitionKey, ns, EntriesSortKey, pathKey);

    public static Dictionary<string, AttributeValue> HeadKey(string ns) => Ddb.Key(EntriesPartitionKey, ns, EntriesSortKey, NamespaceHeadKey);

    public static int Depth(string pathKey) => pathKey.Count(c => c == '/');

    public static string ChildrenSortKey(string pathKey) => Depth(pathKey).ToString("D4", CultureInfo.InvariantCulture) + pathKey;

    public static Dictionary<string, AttributeValue> ToItem(FileEntry entry, int gcShards)
    {
        var item = EntryKey(entry.NamespaceId, entry.PathKey);
        item[Display] = Ddb.S(entry.PathDisplay);
        item[Kind] = Ddb.S(entry.Kind == EntryKind.Folder ? "d" : "f");
        item[Rev] = Ddb.S(entry.Rev);
        item[Size] = Ddb.N(entry.Size);
        item[Modified] = Ddb.N(Ddb.Ms(entry.ServerModified));
        item[DeviceAttribute] = Ddb.S(entry.DeviceId);
        item[Deleted] = Ddb.Bool(entry.IsDeleted);
        if (entry.ContentHash is not null)
        {
            item[ContentHash] = Ddb.S(entry.ContentHash);
        }

        // A write of a file or a deletion makes the path due for a retention check at the write's time (the sparse
        // retention GSI); a live folder has no history of its own. (A folder put where a deleted file was takes the path
        // out of the index; that file's old revisions then wait for the path's next file write or deletion.)
        if (!entry.IsLiveFolder)
        {
            item[RetentionIndexPartitionKey] = Ddb.S(Ddb.Shard(entry.NamespaceId + entry.PathKey, gcShards));
            item[RetentionIndexSortKey] = Ddb.N(Ddb.Ms(entry.ServerModified));
        }

        // Sparse LSI keys: live entries are listed by parent, tombstones by path (not those a move left: nothing was deleted).
        if (entry.MovedAway)
        {
            item[MovedAwayAttribute] = Ddb.Bool(true);
        }
        else if (entry.IsDeleted)
        {
            item[DeletedIndexSortKey] = Ddb.S(entry.PathKey);
        }
        else
        {
            item[ChildrenIndexSortKey] = Ddb.S(ChildrenSortKey(entry.PathKey));
        }

        return item;
    }

    /// <summary>
    /// The entry as an update of its item rather than a put (the same 2 WRU in a transaction): every attribute of
    /// <see cref="ToItem"/> set, the optional ones it lacks removed, and the retention due time kept when the path is
    /// already due from an earlier unchecked write ("rd" from "rw", both set only if absent). An update that leaves a GSI's
    /// keys and projected attributes unchanged writes nothing to that index, and the retention index is keys-only
    /// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.Writes):
    /// an overwrite before the next retention pass costs no index write instead of two (key changed). Names and values
    /// start with "#u" and ":u", apart from the condition's.
    /// </summary>
    public static (string Expression, Dictionary<string, string> Names, Dictionary<string, AttributeValue> Values) ToUpdate(FileEntry entry, int gcShards)
    {
        var item = ToItem(entry, gcShards);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var values = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
        var sets = new List<string>();
        foreach (var (name, value) in item)
        {
            if (name is EntriesPartitionKey or EntriesSortKey or RetentionIndexSortKey)
            {
                continue;
            }

            var n = sets.Count.ToString(CultureInfo.InvariantCulture);
            names["#u" + n] = name;
            values[":u" + n] = value;
            sets.Add("#u" + n + " = :u" + n);
        }

        names["#urw"] = FirstUncheckedWrite;
        var due = item.TryGetValue(RetentionIndexSortKey, out var dueAt);
        if (due)
        {
            // Right-hand operands read the item as it was: "rd" becomes the older "rw" when the path is already due.
            names["#urd"] = RetentionIndexSortKey;
            values[":urd"] = dueAt!;
            sets.Add("#urw = if_not_exists(#urw, :urd)");
            sets.Add("#urd = if_not_exists(#urw, :urd)");
        }

        var removes = OptionalAttributes.Where(a => !item.ContainsKey(a)).Select(a => a == FirstUncheckedWrite ? "#urw" : Alias(a)).ToList();
        if (due)
        {
            removes.Remove("#urw");
        }

        foreach (var a in OptionalAttributes.Where(a => !item.ContainsKey(a) && a != FirstUncheckedWrite))
        {
            names[Alias(a)] = a;
        }

        var expression = "SET " + string.Join(", ", sets) + (removes.Count > 0 ? " REMOVE " + string.Join(", ", removes) : "");
        return (expression, names, values);

        static string Alias(string attribute) => "#ux" + attribute;
    }

    public static FileEntry ToEntry(Dictionary<string, AttributeValue> item) => new()
    {
        // A sharded namespace's entries are in partition "ns#S.k" (ShardLayout).
        NamespaceId = ShardLayout.NamespaceOf(item.RequireS(EntriesPartitionKey)),
        PathDisplay = item.RequireS(Display),
        Kind = item.RequireS(Kind) == "d" ? EntryKind.Folder : EntryKind.File,
        Rev = item.RequireS(Rev),
        Size = item.GetN(Size) ?? 0,
        ContentHash = item.GetS(ContentHash),
        ServerModified = Ddb.Time(item.RequireN(Modified)),
        DeviceId = item.RequireS(DeviceAttribute),
        IsDeleted = item.GetBool(Deleted),
        MovedAway = item.GetBool(MovedAwayAttribute),
    };

    /// <summary>Whether an entry (null: none) meets an expectation; the same rule the condition expressions state.</summary>
    public static bool Holds(EntryExpectation expected, FileEntry? entry) => expected switch
    {
        EntryExpectation.Absent => entry is null || entry.IsDeleted,
        EntryExpectation.HasRev hasRev => entry is not null && string.Equals(entry.Rev, hasRev.Rev, StringComparison.Ordinal),
        EntryExpectation.LiveFolder => entry is { IsLiveFolder: true },
        _ => throw new ArgumentOutOfRangeException(nameof(expected), expected, "Unknown expectation."),
    };

    public static string RevisionKey(string rev) => "r#" + rev;

    public static string RevisionChunkKey(string rev, int chunk) => "r#" + rev + "#c" + chunk.ToString("D5", CultureInfo.InvariantCulture);

    public static string PathPointerPrefix(string pathKey) => "p#" + pathKey + "\u0001";

    public static string PathPointerKey(FileRevision revision) => PathPointerKey(revision.PathKey, revision.ServerModified, revision.Rev);

    public static string PathPointerKey(string pathKey, DateTimeOffset serverModified, string rev) =>
        PathPointerPrefix(pathKey) + Ddb.Ms(serverModified).ToString("D15", CultureInfo.InvariantCulture) + "#" + rev;

    public static Dictionary<string, AttributeValue> ToJournalItem(ChangeRecord change)
    {
        var item = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
        {
            [JournalPartitionKey] = Ddb.S(change.JournalId),
            [JournalSortKey] = Ddb.N(change.Sequence),
            [ChangeKindAttribute] = Ddb.S(change.Kind.ToString()),
            [Display] = Ddb.S(change.PathDisplay),
            [Kind] = Ddb.S(change.EntryKind == EntryKind.Folder ? "d" : "f"),
            [Size] = Ddb.N(change.Size),
            [DeviceAttribute] = Ddb.S(change.DeviceId),
            [Modified] = Ddb.N(Ddb.Ms(change.Time)),
        };
        if (change.FromPath is not null)
        {
            item[FromPath] = Ddb.S(change.FromPath);
        }

        if (change.Part != MovePart.Whole)
        {
            item[MovePartAttribute] = Ddb.S(change.Part.ToString());
        }

        if (change.Rev is not null)
        {
            item[Rev] = Ddb.S(change.Rev);
        }

        if (change.ContentHash is not null)
        {
            item[ContentHash] = Ddb.S(change.ContentHash);
        }

        return item;
    }

    public static ChangeRecord ToChange(Dictionary<string, AttributeValue> item) => new()
    {
        NamespaceId = ShardLayout.NamespaceOf(item.RequireS(JournalPartitionKey)),
        Journal = item.RequireS(JournalPartitionKey) is var journal && journal != ShardLayout.NamespaceOf(journal) ? journal : null,
        Part = item.GetS(MovePartAttribute) is { } part ? Enum.Parse<MovePart>(part) : MovePart.Whole,
        Sequence = item.RequireN(JournalSortKey),
        Kind = Enum.Parse<ChangeKind>(item.RequireS(ChangeKindAttribute)),
        PathDisplay = item.RequireS(Display),
        FromPath = item.GetS(FromPath),
        Rev = item.GetS(Rev),
        EntryKind = item.RequireS(Kind) == "d" ? EntryKind.Folder : EntryKind.File,
        Size = item.GetN(Size) ?? 0,
        ContentHash = item.GetS(ContentHash),
        DeviceId = item.RequireS(DeviceAttribute),
        Time = Ddb.Time(item.RequireN(Modified)),
    };
}
