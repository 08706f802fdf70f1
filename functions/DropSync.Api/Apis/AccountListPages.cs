using System.Globalization;
using System.Text;
using DropSync.Api.Auth;
using DropSync.Core.Errors;
using DropSync.Core.Feed;

namespace DropSync.Api.Apis;

/// <summary>
/// Pages of the small per-account listings (links, members and invitees, shared-with-me, invitations, devices, app
/// passwords) in Dropbox's shape: <c>limit</c> (1 to <see cref="MaxLimit"/>, default <see cref="DefaultLimit"/>), and while
/// <c>has_more</c>, the same request again with the <c>cursor</c> it answered. Items are ordered by a stable key and the
/// cursor is the last key given, sealed for this listing and this caller, so an edited or borrowed cursor answers
/// 400 invalid_cursor and items added or removed between pages neither repeat nor shift the rest.
/// <para>
/// The stores read these lists whole: each is bounded by what the store lets one account hold (too_many_links caps the
/// live links per item, app passwords are capped per account, invitations and devices are made one request at a time
/// under the API rate limits), so the page bounds what one answer carries rather than what the store reads.
/// </para>
/// </summary>
internal static class AccountListPages
{
    public const int DefaultLimit = 1000;
    public const int MaxLimit = 1000;

    /// <summary>One page of <paramref name="items"/> in <paramref name="keyOf"/> order, and the cursor of the next (null at the end).</summary>
    public static (List<T> Page, string? Cursor) Take<T>(
        IEnumerable<T> items, Func<T, string> keyOf, string listing, HttpContext context, int? limit, string? cursor, CursorSigner signer)
    {
        if (limit is < 1 or > MaxLimit)
        {
            throw Errors.BadRequest(ErrorCodes.InvalidLimit, $"limit is 1 to {MaxLimit}.");
        }

        var kind = listing + "\n" + context.Caller().UserId;
        var after = cursor is null ? null
            : signer.Open(kind, cursor) is { } payload ? Encoding.UTF8.GetString(payload)
            : throw Errors.BadRequest(ErrorCodes.InvalidCursor, "This cursor is not one this listing gave you; list again without it.");
        var size = limit ?? DefaultLimit;
        var rest = items.Select(item => (Key: keyOf(item), Item: item))
            .Where(x => after is null || string.CompareOrdinal(x.Key, after) > 0)
            .OrderBy(x => x.Key, StringComparer.Ordinal)
            .Take(size + 1)
            .ToList();
        var page = rest.Take(size).ToList();
        var next = rest.Count > size ? signer.Seal(kind, Encoding.UTF8.GetBytes(page[^1].Key)) : null;
        return ([.. page.Select(x => x.Item)], next);
    }

    /// <summary>A sort key of a time then an id: oldest first, ties by id.</summary>
    public static string ByTime(DateTimeOffset at, string id) => at.UtcTicks.ToString("D19", CultureInfo.InvariantCulture) + "\n" + id;
}

/// <summary>The paging fields of a listing that takes no other input.</summary>
internal sealed record ListPageRequest(int? Limit, string? Cursor);
