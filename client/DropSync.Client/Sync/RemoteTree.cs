using System.Collections;
using DropSync.Client.Api;

namespace DropSync.Client.Sync;

/// <summary>
/// The server's tree by path key, with the keys also kept in order so that everything below a folder is found without
/// reading the whole tree (a deleted folder in the change feed, an incremental pass's folder). Not thread-safe: one
/// sync pass at a time reads it, and only the change source between passes writes it.
/// </summary>
public sealed class RemoteTree : IReadOnlyDictionary<string, RemoteEntry>
{
    private readonly Dictionary<string, RemoteEntry> _entries;
    // Sorted on first use: a one-shot sync that finds nothing deleted or moved never asks for a range.
    private SortedSet<string>? _keys;

    public RemoteTree() => _entries = new(StringComparer.Ordinal);

    private RemoteTree(Dictionary<string, RemoteEntry> entries) => _entries = entries;

    /// <summary>A tree of <paramref name="entries"/> (unique keys, as read from the index).</summary>
    public static RemoteTree From(IEnumerable<KeyValuePair<string, RemoteEntry>> entries) => new(new(entries, StringComparer.Ordinal));

    /// <summary>A tree that takes <paramref name="entries"/> as they are (unique keys, ordinal comparer), without a copy.</summary>
    internal static RemoteTree Wrap(Dictionary<string, RemoteEntry> entries) => new(entries);

    public RemoteEntry this[string key] => _entries[key];

    public IEnumerable<string> Keys => _entries.Keys;

    public IEnumerable<RemoteEntry> Values => _entries.Values;

    public int Count => _entries.Count;

    public void Set(string key, RemoteEntry entry)
    {
        _entries[key] = entry;
        _keys?.Add(key);
    }

    public bool Remove(string key) => _entries.Remove(key) && (_keys?.Remove(key) ?? true);

    /// <summary>The keys strictly below <paramref name="key"/>, in order.</summary>
    // Built from all keys at once (sorted, then a balanced tree in one go): much faster than adding one by one.
    public List<string> KeysBelow(string key) => KeysBelow(SortedKeys(), key);

    /// <summary>Orders the keys now (a watcher, after a full pass), so that the next incremental pass does not wait on it.</summary>
    public void PrepareKeyRanges() => SortedKeys();

    private SortedSet<string> SortedKeys() => _keys ??= new(_entries.Keys, StringComparer.Ordinal);

    /// <summary>The keys of <paramref name="sorted"/> strictly below <paramref name="key"/> ('0' is the character after '/').</summary>
    internal static List<string> KeysBelow(SortedSet<string> sorted, string key) =>
        sorted.Count == 0 ? [] : [.. sorted.GetViewBetween(key + "/", key + "0").Where(k => k.StartsWith(key + "/", StringComparison.Ordinal))];

    public bool ContainsKey(string key) => _entries.ContainsKey(key);

    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out RemoteEntry value) => _entries.TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<string, RemoteEntry>> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
