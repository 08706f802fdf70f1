using DropSync.Core.Accounts;
using DropSync.Core.Files;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Ports;
using DropSync.Core.Sharing;

namespace DropSync.Core.Feed;

/// <summary>A page of changes and the cursor to continue from.</summary>
public sealed record FeedPage(IReadOnlyList<FeedEntry> Entries, string Cursor, bool HasMore);

/// <summary>
/// Cursors and catch-up: what changed in a user's tree since a cursor, read from the journals of the places the user
/// sees, in journal order per place, in pages. A place seen for the first time (a folder newly shared with the user) is
/// listed whole. A cursor older than a compacted journal gets <c>reset</c>: the device lists afresh, never a silent gap.
/// </summary>
public sealed class ChangeFeed(IFileMetadataStore meta, PathResolver resolver, CursorSigner signer)
{
    public const int DefaultPageSize = 2000;

    public async Task<string> LatestCursorAsync(Caller caller, string? rawPath, bool recursive, CancellationToken ct) =>
        (await LatestAsync(caller, rawPath, recursive, ct)).Encode();

    /// <summary>A cursor this server sealed for this caller (400 invalid_cursor for anything else).</summary>
    public FeedCursor Decode(string? cursorText, Caller caller) => FeedCursor.Decode(cursorText, caller.UserId, signer);

    /// <summary>The journals' positions now, for a listing of the scope about to begin (or a cursor without listing).</summary>
    public async Task<FeedCursor> LatestAsync(Caller caller, string? rawPath, bool recursive, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: true);
        var view = await resolver.ViewAsync(caller, ct);
        var positions = new Dictionary<string, long>();
        foreach (var place in view.Places())
        {
            await LatestOfPlaceAsync(place, positions, ct);
        }

        return new FeedCursor(caller.UserId, path.Display, recursive, positions) { Signer = signer };
    }

    public Task<FeedPage> ContinueAsync(Caller caller, string? cursorText, int pageSize, CancellationToken ct) =>
        ContinueAsync(caller, Decode(cursorText, caller), pageSize, ct);

    public async Task<FeedPage> ContinueAsync(Caller caller, FeedCursor cursor, int pageSize, CancellationToken ct)
    {
        var scope = DropPath.Parse(cursor.Scope, allowRoot: true);
        var view = await resolver.ViewAsync(caller, ct);
        var entries = new List<FeedEntry>();
        var positions = new Dictionary<string, long>();
        var hasMore = false;
        var budget = Math.Clamp(pageSize, 1, 10_000);
        foreach (var place in view.Places())
        {
            var id = PlaceId(place);
            if (!cursor.Positions.ContainsKey(id) && !cursor.Positions.Keys.Any(k => k.StartsWith(id + JournalSeparator, StringComparison.Ordinal)))
            {
                // New to this device: list it whole, then follow its journal from where the listing began. A share the
                // cursor knows under another id was moved (by its owner, or its mount by this user): journal entries
                // from before the move name the old paths, so the device drops what it has at the mount and relists it.
                await LatestOfPlaceAsync(place, positions, ct);
                if (place.Membership is not null && cursor.Positions.Keys.Any(k => k.StartsWith(SharePrefix(place), StringComparison.Ordinal)))
                {
                    var mount = place.ViewRoot;
                    entries.Add(new FeedEntry("deleted", mount.Display, mount.Name, null, null, null, null, null, "moved", null));
                }

                entries.AddRange((await ListPlaceAsync(place, ct)).Where(e => InScope(scope, cursor.Recursive, e.Path)));
                continue;
            }

            // The store cuts the page (a sharded namespace's journals at a consistent point: no batch split over two pages).
            var page = await meta.ReadJournalPageAsync(place.NamespaceId, journal => cursor.Positions.GetValueOrDefault(PositionKey(place, journal)), budget, ct);
            if (page.Reset)
            {
                throw Errors.Errors.Conflict(Errors.ErrorCodes.Reset, "This cursor is older than the change history kept; list the folder again and continue from the new cursor.");
            }

            foreach (var read in page.Journals)
            {
                foreach (var change in read.Changes)
                {
                    entries.AddRange(ChangeTranslator.Translate(change, place).Where(e => InScope(scope, cursor.Recursive, e.Path)));
                }

                budget -= read.Changes.Count;
                positions[PositionKey(place, read.Journal)] = read.Position;
            }

            hasMore |= page.HasMore;
        }

        return new FeedPage(entries, new FeedCursor(caller.UserId, cursor.Scope, cursor.Recursive, positions) { Signer = signer }.Encode(), hasMore);
    }

    /// <summary>The stable id of a place in a cursor: the user's own namespace, or the share.</summary>
    /// <remarks>A share's id includes where its folder is in the owner's namespace and where it is mounted, so a move of
    /// either makes it a new place for the device (relisted whole).</remarks>
    public static string PlaceId(Location place) =>
        place.Membership is null ? place.NamespaceId : SharePrefix(place) + place.InnerRoot.Key + ":" + place.ViewRoot.Key;

    /// <summary>Between a place's id and a journal's in a cursor position key: never in a path key or a namespace id.</summary>
    private const char JournalSeparator = '\u001f';

    /// <summary>
    /// A place's position key for one journal: the place id for the namespace's own journal (so a cursor of a namespace
    /// that was never sharded is what it always was), the place id and the journal for a shard's.
    /// </summary>
    public static string PositionKey(Location place, string journal) =>
        journal == place.NamespaceId ? PlaceId(place) : PlaceId(place) + JournalSeparator + journal;

    /// <summary>Where every journal of a place stands now (its namespace's journals of every layout).</summary>
    private async Task LatestOfPlaceAsync(Location place, Dictionary<string, long> positions, CancellationToken ct)
    {
        foreach (var journal in (await meta.GetJournalsAsync(place.NamespaceId, ct)).SelectMany(j => j))
        {
            positions[PositionKey(place, journal)] = await meta.GetLatestSequenceAsync(journal, ct);
        }
    }

    private static string SharePrefix(Location place) => "share:" + place.Membership!.Share.ShareId + ":";

    private async Task<IEnumerable<FeedEntry>> ListPlaceAsync(Location place, CancellationToken ct)
    {
        var entries = new List<FeedEntry>();
        var root = await meta.GetEntryAsync(place.NamespaceId, place.InnerRoot.Key, ct);
        if (root is { IsDeleted: false })
        {
            entries.Add(FeedEntry.From(FileMetadata.From(root, place), "shared"));
        }

        foreach (var entry in await meta.ListAsync(place.NamespaceId, place.InnerRoot.Key, recursive: true, ct))
        {
            entries.Add(FeedEntry.From(FileMetadata.From(entry, place), "added"));
        }

        return entries;
    }

    private static bool InScope(DropPath scope, bool recursive, string path)
    {
        var p = DropPath.Parse(path, allowRoot: true);
        return recursive ? scope.Contains(p) && p.Key != scope.Key : p.Parent.Key == scope.Key && !p.IsRoot;
    }
}
