using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Amazon.DynamoDBv2.Model;

namespace DropSync.Aws.DynamoDb;

/// <summary>
/// How a namespace's entries, heads and journal are spread over partitions (docs/architecture.md, "Hot partitions").
/// With <see cref="Count"/> = 1 (every namespace unless raised) everything is in partition <c>ns</c>, as before. With S &gt; 1
/// a path lives in partition <c>ns#S.k</c>, k = FNV-1a(path key) mod S, with that shard's own head item (journal counter,
/// version, newest change) and journal; the root head <c>ns/#head</c> keeps the layout: "sc" (S), "sh" (every S the
/// namespace had, oldest first: each is a closed journal epoch), and while S is being raised "mig" (the new S) and "mph"
/// (the phase: copying entries to the new shards, or dropping them from the old).
/// </summary>
public sealed record ShardLayout(int Count, IReadOnlyList<int> History, int? Migrating, string? Phase)
{
    public const string CountAttribute = "sc";
    public const string HistoryAttribute = "sh";
    public const string MigratingAttribute = "mig";
    public const string PhaseAttribute = "mph";

    /// <summary>On a shard head of an old layout: no commit lands there any more (its journal is closed).</summary>
    public const string FrozenAttribute = "frz";
    public const string CopyPhase = "copy";
    public const string DropPhase = "drop";

    public static readonly ShardLayout Single = new(1, [1], null, null);

    public bool IsStable => Migrating is null;

    /// <summary>The layout reads follow: the old one while entries are being copied, the new one once they are dropped from the old.</summary>
    public int ReadCount => Migrating is { } next && Phase == DropPhase ? next : Count;

    public static ShardLayout Of(Dictionary<string, AttributeValue>? rootHead)
    {
        if (rootHead is null || (rootHead.GetN(CountAttribute) is null && rootHead.GetN(MigratingAttribute) is null))
        {
            return Single;
        }

        var count = rootHead.GetN(CountAttribute) ?? 1;
        var history = (rootHead.GetS(HistoryAttribute) ?? "1").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
        return new ShardLayout((int)count, history, (int?)rootHead.GetN(MigratingAttribute), rootHead.GetS(PhaseAttribute));
    }

    /// <summary>The partition (and journal id) of a path under a shard count.</summary>
    public static string PartitionOf(string ns, int count, string pathKey) => count == 1 ? ns : Partition(ns, count, ShardOf(pathKey, count));

    public static string Partition(string ns, int count, int shard) =>
        count == 1 ? ns : ns + "#" + count.ToString(CultureInfo.InvariantCulture) + "." + shard.ToString(CultureInfo.InvariantCulture);

    public static IReadOnlyList<string> Partitions(string ns, int count) =>
        count == 1 ? [ns] : Enumerable.Range(0, count).Select(k => Partition(ns, count, k)).ToList();

    /// <summary>The namespace a partition (or journal id) belongs to: namespace ids never hold '#' (base64url).</summary>
    public static string NamespaceOf(string partition)
    {
        var hash = partition.IndexOf('#', StringComparison.Ordinal);
        return hash < 0 ? partition : partition[..hash];
    }

    /// <summary>Stable across processes (FNV-1a over the UTF-16 code units, as <see cref="Ddb.Shard"/>).</summary>
    public static int ShardOf(string pathKey, int count)
    {
        var hash = 2166136261u;
        foreach (var c in pathKey)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % (uint)count);
    }

    /// <summary>The journals of every layout the namespace had, oldest first; within one layout, one per shard.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Journals(string ns) =>
        History.Select(count => Partitions(ns, count)).ToList();
}

/// <summary>
/// The layouts this process read, per namespace, for <see cref="CacheFor"/>: a read of a path absent from partition
/// <c>ns</c> trusts a cached S = 1 instead of reading the root head again (so a namespace that was never sharded pays no
/// read more than before). Only stable layouts are cached; raising S freezes the namespace for at least twice this long
/// before it switches, so no process still trusts the old layout when it does (DynamoDbFileMetadataStore.Resharding.cs).
/// </summary>
internal static class ShardLayoutCache
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    private static readonly ConcurrentDictionary<(string Table, string Ns), (ShardLayout Layout, long At)> Layouts = new();

    public static ShardLayout? Fresh(string table, string ns) =>
        Layouts.TryGetValue((table, ns), out var cached) && Stopwatch.GetElapsedTime(cached.At) < CacheFor ? cached.Layout : null;

    public static void Remember(string table, string ns, ShardLayout layout)
    {
        if (layout.IsStable)
        {
            Layouts[(table, ns)] = (layout, Stopwatch.GetTimestamp());
        }
        else
        {
            Layouts.TryRemove((table, ns), out _);
        }
    }

    public static void Forget(string table, string ns) => Layouts.TryRemove((table, ns), out _);
}
