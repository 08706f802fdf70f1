using System.Globalization;
using System.Xml.Linq;
using DropSync.Core.Model;
using Microsoft.AspNetCore.Http;
using static DropSync.Dav.DavXml;

namespace DropSync.Dav;

/// <summary>LOCK (new, refresh, and on an unmapped URL) and UNLOCK (RFC 4918 §9.10, §9.11).</summary>
internal sealed partial class DavHandler
{
    private async Task LockAsync(DavRequest request)
    {
        var tokens = await CheckIfHeaderAsync(request);
        var headers = request.Http.Request.Headers;
        var timeout = DavLocks.ParseTimeout(headers["Timeout"].ToString());
        var body = await ReadBodyAsync(request.Http.Request, request.Aborted);
        if (body is null)
        {
            await RefreshAsync(request, tokens, timeout);
            return;
        }

        var info = body.Root;
        if (info?.Name != D("lockinfo") || info.Element(D("locktype"))?.Element(D("write")) is null)
        {
            throw new DavException(StatusCodes.Status400BadRequest, "invalid_lockinfo", "A LOCK body is a DAV:lockinfo asking for a write lock.");
        }

        var exclusive = info.Element(D("lockscope"))?.Element(D("exclusive")) is not null;
        if (!exclusive && info.Element(D("lockscope"))?.Element(D("shared")) is null)
        {
            throw new DavException(StatusCodes.Status400BadRequest, "invalid_lockinfo", "The lock scope is exclusive or shared.");
        }

        var depth = headers["Depth"].ToString().Trim();
        if (depth is not ("" or "0" or "infinity" or "Infinity"))
        {
            throw new DavException(StatusCodes.Status400BadRequest, "invalid_depth", "LOCK takes Depth 0 or infinity.");
        }

        var existing = await request.StatAsync(request.Path);
        var created = false;
        if (existing is null)
        {
            // Locking an unmapped URL creates an empty resource there (RFC 4918 §7.3), after checking no lock forbids it.
            await request.RequireParentFolderAsync(request.Path);
            RequireUnlocked(request, request.Path, andBelow: false, tokens);
            existing = await _uploads.UploadMediaAsync(request.Caller, request.Path.Display, WriteMode.Add, null, Stream.Null, request.Aborted);
            created = true;
        }

        var owner = info.Element(D("owner"));
        var isFolder = existing.Tag == "folder";
        var (taken, conflict) = _locks.TryLock(
            request.At(request.Path), DavRequest.Href(request.Path, isFolder), exclusive, infinite: depth != "0" && isFolder,
            owner?.ToString(SaveOptions.DisableFormatting), request.Caller.UserId, timeout);
        if (taken is null)
        {
            throw new DavException(
                StatusCodes.Status423Locked, "locked", $"\"{request.Path}\" is already locked.", Error("no-conflicting-lock", Href(conflict!.RootHref)));
        }

        request.Http.Response.Headers["Lock-Token"] = $"<{taken.Token}>";
        await WriteAsync(request.Http.Response, created ? StatusCodes.Status201Created : StatusCodes.Status200OK, LockDiscovery(taken), request.Aborted);
    }

    /// <summary>A LOCK without a body refreshes the lock whose token the If header names (RFC 4918 §9.10.2).</summary>
    private async Task RefreshAsync(DavRequest request, IReadOnlySet<string> tokens, TimeSpan timeout)
    {
        var at = request.At(request.Path);
        var held = _locks.Affecting(at, andBelow: false).FirstOrDefault(l => tokens.Contains(l.Token) && l.UserId == request.Caller.UserId)
            ?? throw new DavException(StatusCodes.Status412PreconditionFailed, "lock_token_missing", "Refreshing a lock needs its token in the If header.", Error("lock-token-matches-request-uri"));
        var refreshed = _locks.Refresh(held.Token, timeout) ?? held;
        await WriteAsync(request.Http.Response, StatusCodes.Status200OK, LockDiscovery(refreshed), request.Aborted);
    }

    private async Task UnlockAsync(DavRequest request)
    {
        var token = request.Http.Request.Headers["Lock-Token"].ToString().Trim().TrimStart('<').TrimEnd('>');
        if (token.Length == 0)
        {
            throw new DavException(StatusCodes.Status400BadRequest, "missing_lock_token", "UNLOCK needs a Lock-Token header.");
        }

        if (await request.StatAsync(request.Path) is null)
        {
            throw NotFound(request);
        }

        var at = request.At(request.Path);
        var held = _locks.Find(token);
        if (held is null || !held.Covers(at.NamespaceId, at.Inner.Key))
        {
            throw new DavException(StatusCodes.Status409Conflict, "lock_token_mismatch", "That lock token does not lock this resource.", Error("lock-token-matches-request-uri"));
        }

        if (held.UserId != request.Caller.UserId)
        {
            throw new DavException(StatusCodes.Status403Forbidden, "not_lock_owner", "Only whoever took a lock can remove it.");
        }

        _locks.Unlock(token);
        request.Http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private XElement LockDiscovery(DavLock taken) =>
        new(D("prop"), new XAttribute(XNamespace.Xmlns + "d", DavNs), new XElement(D("lockdiscovery"), ActiveLock(taken)));

    private XElement ActiveLock(DavLock held)
    {
        var seconds = Math.Max(0, (long)Math.Ceiling(_locks.Remaining(held).TotalSeconds));
        return new XElement(
            D("activelock"),
            new XElement(D("locktype"), new XElement(D("write"))),
            new XElement(D("lockscope"), new XElement(D(held.Exclusive ? "exclusive" : "shared"))),
            new XElement(D("depth"), held.Infinite ? "infinity" : "0"),
            held.OwnerXml is null ? null : XElement.Parse(held.OwnerXml),
            new XElement(D("timeout"), "Second-" + seconds.ToString(CultureInfo.InvariantCulture)),
            new XElement(D("locktoken"), Href(held.Token)),
            new XElement(D("lockroot"), Href(held.RootHref)));
    }
}
