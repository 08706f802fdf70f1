using DropSync.Client.Api;

namespace DropSync.Client.Sync;

public static partial class SyncPlanner
{
    /// <summary>
    /// The part of the input a plan depends on: every key where the folder, the index and the server do not all agree,
    /// the folders above those keys, and each of them on all three sides. A one-shot sync of a 100,000-file folder in
    /// which little changed planned every key (0.8 s of its 3 s); now it plans the few that moved.
    /// <para>
    /// A settled key (<see cref="IsSettled"/>) gets no action of its own, and no decision about another key needs it:
    /// moves pair vanished entries with new ones, a deleted folder's tree is missing on one side (so nothing below it is
    /// settled), a folder made on one side has nothing below it on the other, and a folder above an unsettled key is kept
    /// with its three sides. PlannerSettledTests checks this against planning everything, on random trees.
    /// </para>
    /// </summary>
    internal static PlannerInput WithoutSettled(PlannerInput input)
    {
        var unsettled = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, l) in input.Local)
        {
            if (!IsSettled(l, input.Index.GetValueOrDefault(key), input.Remote.GetValueOrDefault(key), input.LocalOnly))
            {
                unsettled.Add(key);
            }
        }

        // Anything the folder lacks is unsettled by definition.
        unsettled.UnionWith(input.Index.Keys.Where(k => !input.Local.ContainsKey(k)));
        unsettled.UnionWith(input.Remote.Keys.Where(k => !input.Local.ContainsKey(k)));
        if (unsettled.Count * 2 > input.Local.Count)
        {
            return input; // Mostly unsettled (a first sync): copying would cost more than it saves.
        }

        unsettled.UnionWith(AncestorKeys(unsettled));
        return input with { Local = Only(input.Local, unsettled), Index = Only(input.Index, unsettled), Remote = Only(input.Remote, unsettled) };
    }

    /// <summary>
    /// Whether all three sides agree on a key: the same kind, spelled alike, a file unchanged here (size and mtime) and
    /// on the server at the rev the index recorded, and not refused by the server before.
    /// </summary>
    internal static bool IsSettled(LocalItem l, IndexEntry? i, RemoteEntry? r, IReadOnlyDictionary<string, (long Size, long Mtime)> localOnly) =>
        i is not null && r is not null && i.IsDir == l.IsDir && r.IsFolder == l.IsDir
        && IsPathOf(l.Rel, i.Path) && r.Path == i.Path && Path.GetFileName(l.Rel.AsSpan()).SequenceEqual(r.Name)
        && (l.IsDir || (!LocalChanged(l, i) && r.Rev == i.Rev))
        && !localOnly.ContainsKey(l.Key);

    /// <summary>The entries of <paramref name="keys"/> that <paramref name="all"/> has.</summary>
    internal static Dictionary<string, T> Only<T>(IReadOnlyDictionary<string, T> all, HashSet<string> keys)
    {
        var some = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (all.TryGetValue(key, out var value))
            {
                some.Add(key, value);
            }
        }

        return some;
    }
}
