using DropSync.Core.Accounts;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using DropSync.Core.Paths;
using DropSync.Core.Ports;
using DropSync.Core.Sharing;

namespace DropSync.Core.Files;

/// <summary>One page of a folder listing, and the path key to continue after (null when the listing is done).</summary>
public sealed record FolderPage(IReadOnlyList<FileMetadata> Entries, string? NextAfter);

/// <summary>
/// A folder listing in pages of at most <c>limit</c> entries, in path-key order, each page read by keyset ("after this
/// key") from every place the listing covers: the folder's own namespace and, from the caller's own tree, each shared
/// folder mounted in it. Each place gives at most limit + 1 entries after the key, so a page costs O(limit) whatever
/// the folder's size; the merged first <c>limit</c> are the page.
/// </summary>
public sealed class FolderPager(IFileMetadataStore meta, PathResolver resolver)
{
    public async Task<FolderPage> ListPageAsync(Caller caller, string? rawPath, bool recursive, string? after, int limit, CancellationToken ct)
    {
        var path = DropPath.Parse(rawPath, allowRoot: true);
        var view = await resolver.ViewAsync(caller, ct);
        var at = view.Resolve(path);
        await RequireFolderAsync(at, path, ct);

        var candidates = new List<(string Key, FileMetadata Entry)>();
        await AddPlaceAsync(candidates, at, at.Inner.Key, path.Key, recursive, after, limit, ct);
        if (at.Membership is null)
        {
            // Shared folders mounted in the caller's tree appear where they are mounted.
            foreach (var place in view.Places().Skip(1))
            {
                if (place.ViewRoot.Parent.Key != path.Key && !(recursive && path.Contains(place.ViewRoot)))
                {
                    continue;
                }

                if (After(place.ViewRoot.Key, after) && await meta.GetEntryAsync(place.NamespaceId, place.InnerRoot.Key, ct) is { IsDeleted: false } root)
                {
                    candidates.Add((place.ViewRoot.Key, FileMetadata.From(root, place)));
                }

                if (recursive)
                {
                    await AddPlaceAsync(candidates, place, place.InnerRoot.Key, place.ViewRoot.Key, recursive: true, after, limit, ct);
                }
            }
        }

        var ordered = candidates.OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
        var page = ordered.Take(limit).ToList();
        return new FolderPage([.. page.Select(c => c.Entry)], ordered.Count > limit ? page[^1].Key : null);
    }

    /// <summary>The place's entries below <paramref name="innerKey"/> whose view key is after <paramref name="after"/>, at most limit + 1.</summary>
    private async Task AddPlaceAsync(List<(string, FileMetadata)> candidates, Location place, string innerKey, string viewKey, bool recursive, string? after, int limit, CancellationToken ct)
    {
        string? innerAfter = null;
        if (after is not null)
        {
            // View keys here are viewKey + "/" + the rest, the same rest as their inner keys: map the key across, or
            // see that every entry here sorts before it (skip the place) or after it (read from the start).
            var prefix = viewKey + "/";
            if (after.StartsWith(prefix, StringComparison.Ordinal))
            {
                innerAfter = innerKey + after[viewKey.Length..];
            }
            else if (string.CompareOrdinal(after, prefix) > 0)
            {
                return;
            }
        }

        foreach (var entry in await meta.ListPageAsync(place.NamespaceId, innerKey, recursive, innerAfter, limit + 1, ct))
        {
            var shown = FileMetadata.From(entry, place);
            var key = DropPath.KeyOf(shown.Path);
            if (After(key, after))
            {
                candidates.Add((key, shown));
            }
        }
    }

    private static bool After(string key, string? after) => after is null || string.CompareOrdinal(key, after) > 0;

    private async Task RequireFolderAsync(Location at, DropPath shownAs, CancellationToken ct)
    {
        if (at.Inner.IsRoot)
        {
            return;
        }

        var entry = await meta.GetEntryAsync(at.NamespaceId, at.Inner.Key, ct);
        if (entry is null || entry.IsDeleted)
        {
            throw Errors.Errors.NotFound(ErrorCodes.NotFound, $"Nothing is at \"{shownAs}\".");
        }

        if (entry.Kind != EntryKind.Folder)
        {
            throw Errors.Errors.Conflict(ErrorCodes.NotFolder, $"\"{shownAs}\" is a file, not a folder.");
        }
    }
}
