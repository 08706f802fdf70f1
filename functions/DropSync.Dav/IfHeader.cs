using Microsoft.AspNetCore.Http;

namespace DropSync.Dav;

/// <summary>One condition of an If header list: a state token (lock token) or an entity tag, maybe negated.</summary>
internal sealed record IfCondition(bool Not, string? StateToken, string? ETag);

/// <summary>One list: all its conditions must hold, for the tagged resource (or the request URL when untagged).</summary>
internal sealed record IfList(string? ResourceTag, IReadOnlyList<IfCondition> Conditions);

/// <summary>
/// The If header (RFC 4918 §10.4): tagged and untagged lists of lock tokens and entity tags, each maybe with Not. The
/// header holds when any list holds; every lock token in it counts as submitted, whatever the header evaluates to.
/// </summary>
internal static class IfHeader
{
    public static IReadOnlyList<IfList> Parse(string? header)
    {
        var lists = new List<IfList>();
        if (string.IsNullOrWhiteSpace(header))
        {
            return lists;
        }

        string? tag = null;
        var i = 0;
        while (i < header.Length)
        {
            var c = header[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '<')
            {
                tag = ReadUntil(header, ref i, '>');
            }
            else if (c == '(')
            {
                i++;
                lists.Add(new IfList(tag, ReadConditions(header, ref i)));
            }
            else
            {
                throw Malformed();
            }
        }

        return lists.Count == 0 ? throw Malformed() : lists;
    }

    public static IEnumerable<string> StateTokens(IReadOnlyList<IfList> lists) =>
        lists.SelectMany(l => l.Conditions).Where(c => c.StateToken is not null).Select(c => c.StateToken!);

    private static List<IfCondition> ReadConditions(string header, ref int i)
    {
        var conditions = new List<IfCondition>();
        var not = false;
        while (true)
        {
            if (i >= header.Length)
            {
                throw Malformed();
            }

            var c = header[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == ')')
            {
                i++;
                return conditions.Count == 0 || not ? throw Malformed() : conditions;
            }
            else if (string.CompareOrdinal(header, i, "Not", 0, 3) == 0)
            {
                not = true;
                i += 3;
            }
            else if (c == '<')
            {
                conditions.Add(new IfCondition(not, ReadUntil(header, ref i, '>'), null));
                not = false;
            }
            else if (c == '[')
            {
                conditions.Add(new IfCondition(not, null, NormalizeETag(ReadUntil(header, ref i, ']'))));
                not = false;
            }
            else
            {
                throw Malformed();
            }
        }
    }

    private static string ReadUntil(string header, ref int i, char end)
    {
        var close = header.IndexOf(end, i + 1);
        if (close < 0)
        {
            throw Malformed();
        }

        var text = header[(i + 1)..close].Trim();
        i = close + 1;
        return text;
    }

    /// <summary>An entity tag without its weakness marker, quotes kept: the form getetag answers.</summary>
    public static string NormalizeETag(string etag)
    {
        var trimmed = etag.Trim();
        return trimmed.StartsWith("W/", StringComparison.Ordinal) ? trimmed[2..] : trimmed;
    }

    private static DavException Malformed() =>
        new(StatusCodes.Status400BadRequest, "malformed_if_header", "The If header is malformed (RFC 4918 §10.4).");
}
