namespace DropSync.Client.Sync;

/// <summary>
/// A cheap test that no ignore rule can match a path, so the glob matcher (MAB.DotIgnore, which splits the path and
/// tries every rule on every segment and every ancestor: about 6 µs a path with the default rules) is asked only about
/// the few paths a rule might match. Each rule is reduced to the literal text before its first wildcard and after its
/// last one; a path the rule matches has a segment starting with the first and a segment (or its end) ending with the
/// second. The test is conservative: a rule it cannot reduce (leading or trailing blanks, nothing literal) makes every
/// path a "maybe", and a "maybe" goes to the matcher, so answers never differ from the matcher's alone.
/// </summary>
internal sealed class IgnoreLiterals
{
    // Characters with a meaning in a glob: a literal run ends at any of them (an escaped character too, to be safe).
    private static readonly char[] Special = ['*', '?', '[', ']', '\\'];

    private readonly (string Prefix, string SlashPrefix, string Suffix, string SuffixSlash)[] _rules;
    private readonly bool _anything;

    private IgnoreLiterals((string, string, string, string)[] rules, bool anything) => (_rules, _anything) = (rules, anything);

    public static IgnoreLiterals Of(IEnumerable<string> patterns)
    {
        var rules = new List<(string, string, string, string)>();
        foreach (var pattern in patterns)
        {
            if (Reduce(pattern) is not { } literals)
            {
                return new IgnoreLiterals([], anything: true);
            }

            rules.Add((literals.Prefix, "/" + literals.Prefix, literals.Suffix, literals.Suffix + "/"));
        }

        return new IgnoreLiterals([.. rules], anything: false);
    }

    /// <summary>The literal prefix and suffix of a rule, as the matcher reads it ('!', a leading and a trailing '/' removed); null when it has none.</summary>
    internal static (string Prefix, string Suffix)? Reduce(string pattern)
    {
        var p = pattern.StartsWith('!') ? pattern[1..] : pattern;
        p = p.StartsWith('/') ? p[1..] : p;
        p = p.EndsWith('/') ? p[..^1] : p;
        if (p.Length == 0 || char.IsWhiteSpace(p[0]) || char.IsWhiteSpace(p[^1]))
        {
            return null;
        }

        var first = p.IndexOfAny(Special);
        var prefix = first < 0 ? p : p[..first];
        // "a/**" may be asked about "a" itself: keep only whole folders of a prefix that has a slash.
        if (first >= 0 && prefix.LastIndexOf('/') is var slash and >= 0)
        {
            prefix = prefix[..slash];
        }

        var last = p.LastIndexOfAny(Special);
        var suffix = last < 0 ? p : p[(last + 1)..];
        // "**/b" matches "b" at the top: keep only the suffix's last segment.
        if (suffix.LastIndexOf('/') is var suffixSlash and >= 0)
        {
            suffix = suffix[(suffixSlash + 1)..];
        }

        return prefix.Length == 0 && suffix.Length == 0 ? null : (prefix, suffix);
    }

    /// <summary>False when no rule can match <paramref name="path"/> ('/'-separated, no leading '/') nor any folder above it.</summary>
    public bool MayMatch(ReadOnlySpan<char> path)
    {
        if (_anything)
        {
            return true;
        }

        const StringComparison Compare = StringComparison.OrdinalIgnoreCase;
        foreach (var (prefix, slashPrefix, suffix, suffixSlash) in _rules)
        {
            if ((path.StartsWith(prefix, Compare) || path.Contains(slashPrefix, Compare))
                && (path.EndsWith(suffix, Compare) || path.Contains(suffixSlash, Compare)))
            {
                return true;
            }
        }

        return false;
    }
}
