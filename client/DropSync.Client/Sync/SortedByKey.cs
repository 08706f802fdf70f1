using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace DropSync.Client.Sync;

/// <summary>
/// One side's files as the planner reads them: looked up by key in a hash table, visited in key order (so the plan does
/// not depend on hashing). Built once and never changed, which makes it cheaper than a sorted tree: one sort of the keys.
/// </summary>
internal sealed class SortedByKey<T> : IEnumerable<KeyValuePair<string, T>>
    where T : class
{
    private readonly Dictionary<string, T> _byKey;
    private readonly string[] _keys;
    private readonly T[] _values;

    public SortedByKey(IEnumerable<KeyValuePair<string, T>> items)
    {
        _byKey = new Dictionary<string, T>(items, StringComparer.Ordinal);
        _keys = [.. _byKey.Keys];
        _values = [.. _byKey.Values];
        Array.Sort(_keys, _values, StringComparer.Ordinal);
    }

    public T this[string key] => _byKey[key];

    /// <summary>The keys, in order.</summary>
    public IReadOnlyList<string> Keys => _keys;

    /// <summary>The values, in their keys' order.</summary>
    public IReadOnlyList<T> Values => _values;

    public bool ContainsKey(string key) => _byKey.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out T value) => _byKey.TryGetValue(key, out value);

    public T? GetValueOrDefault(string key) => _byKey.GetValueOrDefault(key);

    public IEnumerator<KeyValuePair<string, T>> GetEnumerator()
    {
        for (var i = 0; i < _keys.Length; i++)
        {
            yield return KeyValuePair.Create(_keys[i], _values[i]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
