using DropSync.Core.Accounts;
using DropSync.Core.Errors;
using DropSync.Core.Files;
using DropSync.Core.Paths;
using DropSync.Core.Sharing;
using Microsoft.AspNetCore.Http;

namespace DropSync.Dav;

/// <summary>One WebDAV request: who asks, their tree, and the path the URL names.</summary>
internal sealed class DavRequest(HttpContext http, Caller caller, UserView view, DropPath path, FileService files)
{
    public const string Prefix = "/dav";

    public HttpContext Http { get; } = http;

    public Caller Caller { get; } = caller;

    public UserView View { get; } = view;

    public DropPath Path { get; } = path;

    public CancellationToken Aborted => Http.RequestAborted;

    /// <summary>The path a /dav/ URL path names (already percent-decoded); a malformed one is a 400.</summary>
    public static DropPath PathOf(string? urlPath)
    {
        var rest = urlPath ?? "";
        if (!rest.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new DavException(StatusCodes.Status502BadGateway, "destination_elsewhere", "The URL is not under /dav/ on this server.");
        }

        rest = rest[Prefix.Length..];
        return DropPath.Parse(rest.Length == 0 ? "/" : rest, allowRoot: true);
    }

    /// <summary>The URL path of an entry: each name percent-encoded, and a folder's with a trailing slash.</summary>
    public static string Href(DropPath path, bool isFolder)
    {
        if (path.IsRoot)
        {
            return Prefix + "/";
        }

        var href = Prefix + string.Concat(path.Components.Select(c => "/" + Uri.EscapeDataString(c)));
        return isFolder ? href + "/" : href;
    }

    public Location At(DropPath path) => View.Resolve(path);

    /// <summary>What is at a path now, or null.</summary>
    public async Task<FileMetadata?> StatAsync(DropPath path)
    {
        try
        {
            return await files.GetMetadataAsync(Caller, path.IsRoot ? "/" : path.Display, includeDeleted: false, Aborted);
        }
        catch (DropSyncException e) when (e.Kind == ErrorKind.NotFound)
        {
            return null;
        }
    }

    /// <summary>RFC 4918 §9.7.1 and friends: a new member needs an existing parent collection, else 409.</summary>
    public async Task RequireParentFolderAsync(DropPath path)
    {
        if (path.IsRoot || path.Parent.IsRoot)
        {
            return;
        }

        if (await StatAsync(path.Parent) is not { Tag: "folder" })
        {
            throw new DavException(StatusCodes.Status409Conflict, "parent_missing", $"\"{path.Parent}\" is not an existing folder; create it first (MKCOL).");
        }
    }

    public static string? ETagOf(FileMetadata metadata) => metadata.Tag == "file" && metadata.Rev is not null ? $"\"{metadata.Rev}\"" : null;
}
