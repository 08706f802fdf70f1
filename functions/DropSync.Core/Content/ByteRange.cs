using System.Net.Http.Headers;
using DropSync.Core.Errors;

namespace DropSync.Core.Content;

/// <summary>
/// The part of a file an HTTP <c>Range</c> header asks for (RFC 9110 §14): one byte range, served as 206 with
/// <see cref="ContentRange"/>. The API's downloads and WebDAV's GET share this rule.
/// </summary>
public readonly record struct ByteRange(long From, long Count, long Length)
{
    public string ContentRange => $"bytes {From}-{From + Count - 1}/{Length}";

    /// <summary>What an unsatisfiable range answers in <c>Content-Range</c> (with 416).</summary>
    public static string UnsatisfiableContentRange(long length) => $"bytes */{length}";

    /// <summary>
    /// The range <paramref name="header"/> asks of a file of <paramref name="length"/> bytes; null when it asks for no
    /// single byte range (absent, another unit, several ranges: the whole file is answered, as RFC 9110 allows).
    /// Throws range_not_satisfiable when the range lies outside the file.
    /// </summary>
    public static ByteRange? Of(string? header, long length)
    {
        if (!RangeHeaderValue.TryParse(header, out var range)
            || !range.Unit.Equals("bytes", StringComparison.OrdinalIgnoreCase) || range.Ranges.Count != 1)
        {
            return null;
        }

        var r = range.Ranges.First();
        var (from, to) = (r.From, r.To) switch
        {
            (null, { } suffix) => (Math.Max(0, length - suffix), length - 1),
            ({ } start, null) => (start, length - 1),
            ({ } start, { } end) => (start, Math.Min(end, length - 1)),
            _ => (0, -1),
        };
        if (from >= length || from > to)
        {
            throw new DropSyncException(
                ErrorKind.RangeNotSatisfiable, ErrorCodes.RangeNotSatisfiable, $"The file is {length} bytes; the requested range is outside it.");
        }

        return new ByteRange(from, to - from + 1, length);
    }
}
