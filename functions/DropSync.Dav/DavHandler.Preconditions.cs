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
        var lists = IfHeader.Parse(request.Http.Request.Headers["If"].ToString());
        if (lists.Count == 0)
        {
            return new HashSet<string>();
        }

        foreach (var list in lists)
        {
            var path = list.ResourceTag is null ? request.Path : PathOfUrl(list.ResourceTag);
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
