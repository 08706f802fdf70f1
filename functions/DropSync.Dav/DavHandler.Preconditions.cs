using DropSync.Core.Paths;
using Microsoft.AspNetCore.Http;

namespace DropSync.Dav;

/// <summary>The If header and lock checks every method runs before it changes anything.</summary>
internal sealed partial class DavHandler
{
    /// <summary>
    /// Evaluates the If header (412 when no list holds) and answers the lock tokens it submits. A state token holds when
    /// it names a live lock covering its resource; an entity tag when it is the resource's current getetag.
    /// </summary>
    private async Task<IReadOnlySet<string>> CheckIfHeaderAsync(DavRequest request)
    {
        await CheckIfMatchAsync(request);
        var lists = IfHeader.Parse(request.Http.Request.Headers["If"].ToString());
        if (lists.Count == 0)
        {
            return new HashSet<string>();
        }

        foreach (var list in lists)
        {
            if (!TryPathOfUrl(list.ResourceTag, request, out var path))
            {
                // A tag naming a resource elsewhere never holds here.
                continue;
            }

            var at = request.At(path);
            var metadata = await request.StatAsync(path);
            var etag = metadata is null ? null : DavRequest.ETagOf(metadata);
            var holds = list.Conditions.All(condition =>
            {
                var matches = condition.StateToken is { } token
                    ? _locks.Find(token) is { } held && held.Covers(at.NamespaceId, at.Inner.Key)
                    : etag is not null && etag == condition.ETag;
                return matches != condition.Not;
            });
            if (holds)
            {
                return IfHeader.StateTokens(lists).ToHashSet(StringComparer.Ordinal);
            }
        }

        throw new DavException(StatusCodes.Status412PreconditionFailed, "precondition_failed", "No list of the If header holds for the resource.");
    }

    /// <summary>
    /// If-Match on anything but PUT (which turns a stale one into a conflicted copy, see PutAsync): 412 unless the
    /// resource exists and its getetag is one of those listed (or the list is "*").
    /// </summary>
    private static async Task CheckIfMatchAsync(DavRequest request)
    {
        var ifMatch = request.Http.Request.Headers.IfMatch.ToString().Trim();
        if (ifMatch.Length == 0 || request.Http.Request.Method == HttpMethods.Put)
        {
            return;
        }

        var metadata = await request.StatAsync(request.Path);
        var etag = metadata is null ? null : DavRequest.ETagOf(metadata);
        var holds = metadata is not null && (ifMatch == "*" || (etag is not null && ifMatch.Split(',').Any(t => IfHeader.NormalizeETag(t) == etag)));
        if (!holds)
        {
            throw new DavException(StatusCodes.Status412PreconditionFailed, "precondition_failed", $"If-Match does not match \"{request.Path}\" as it is now.");
        }
    }

    private static bool TryPathOfUrl(string? tag, DavRequest request, out DropPath path)
    {
        if (tag is null)
        {
            path = request.Path;
            return true;
        }

        try
        {
            path = PathOfUrl(tag);
            return true;
        }
        catch (Exception e) when (e is DavException or Core.Errors.DropSyncException)
        {
            path = request.Path;
            return false;
        }
    }

    /// <summary>
    /// 423 unless every lock on the path (and, for <paramref name="andBelow"/>, below it) was submitted in the If header
    /// by the user who holds it (RFC 4918 §6.4: a lock token is only good for its owner).
    /// </summary>
    private void RequireUnlocked(DavRequest request, DropPath path, bool andBelow, IReadOnlySet<string> tokens)
    {
        foreach (var held in _locks.Affecting(request.At(path), andBelow))
        {
            if (!tokens.Contains(held.Token) || held.UserId != request.Caller.UserId)
            {
                throw new DavException(
                    StatusCodes.Status423Locked, "locked", $"\"{path}\" is locked; send its lock token in the If header.",
                    DavXml.Error("lock-token-submitted", DavXml.Href(held.RootHref)));
            }
        }
    }

    /// <summary>The path of a URL in a Destination or If header: absolute or an absolute path, under /dav/ on this server.</summary>
    private static DropPath PathOfUrl(string url)
    {
        var path = Uri.TryCreate(url, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https"
            ? absolute.AbsolutePath
            : url.Split('?', '#')[0];
        return DavRequest.PathOf(Uri.UnescapeDataString(path));
    }
}
