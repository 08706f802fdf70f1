using DropSync.Core.Paths;
using Microsoft.AspNetCore.Http;

namespace DropSync.Dav;

/// <summary>MKCOL, DELETE, COPY and MOVE; dead properties follow their entries, locks stay behind (RFC 4918 §7.7).</summary>
internal sealed partial class DavHandler
{
    private async Task MkcolAsync(DavRequest request)
    {
        var tokens = await CheckIfHeaderAsync(request);
        if (request.Http.Request.ContentLength > 0 || request.Http.Request.Headers.TransferEncoding.Count > 0)
        {
            throw new DavException(StatusCodes.Status415UnsupportedMediaType, "mkcol_body_unsupported", "MKCOL takes no request body.");
        }

        if (request.Path.IsRoot || await request.StatAsync(request.Path) is not null)
        {
            throw new DavException(StatusCodes.Status405MethodNotAllowed, "path_exists", $"\"{request.Path}\" already exists.");
        }

        await request.RequireParentFolderAsync(request.Path);
        RequireUnlocked(request, request.Path, andBelow: false, tokens);
        await _files.CreateFolderAsync(request.Caller, request.Path.Display, request.Aborted);
        request.Http.Response.StatusCode = StatusCodes.Status201Created;
    }

    private async Task DeleteAsync(DavRequest request)
    {
        var tokens = await CheckIfHeaderAsync(request);
        if (request.Path.IsRoot)
        {
            throw new DavException(StatusCodes.Status403Forbidden, "cannot_delete_root", "The root cannot be deleted.");
        }

        if (await request.StatAsync(request.Path) is null)
        {
            throw NotFound(request);
        }

        RequireUnlocked(request, request.Path, andBelow: true, tokens);
        await RemoveAsync(request, request.Path);
        request.Http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task RemoveAsync(DavRequest request, DropPath path)
    {
        var at = request.At(path);
        await _files.DeleteAsync(request.Caller, path.Display, request.Aborted);
        await _properties.DeleteSubtreeAsync(at.NamespaceId, at.Inner.Key, CancellationToken.None);
        _locks.RemoveAtOrBelow(at);
    }

    private async Task CopyOrMoveAsync(DavRequest request, bool move)
    {
        var tokens = await CheckIfHeaderAsync(request);
        var headers = request.Http.Request.Headers;
        var destinationHeader = headers["Destination"].ToString();
        if (destinationHeader.Length == 0)
        {
            throw new DavException(StatusCodes.Status400BadRequest, "missing_destination", "COPY and MOVE need a Destination header.");
        }

        var destination = PathOfUrl(destinationHeader);
        var depth = headers["Depth"].ToString().Trim();
        var shallow = depth == "0";
        if (depth is not ("" or "infinity" or "Infinity" or "0") || (move && shallow))
        {
            throw new DavException(StatusCodes.Status400BadRequest, "invalid_depth", move ? "MOVE is always Depth: infinity." : "COPY takes Depth 0 or infinity.");
        }

        var overwrite = headers["Overwrite"].ToString().Trim();
        if (overwrite is not ("" or "T" or "F"))
        {
            throw new DavException(StatusCodes.Status400BadRequest, "invalid_overwrite", "Overwrite is T or F.");
        }

        var source = await request.StatAsync(request.Path) ?? throw NotFound(request);
        if (request.Path.IsRoot || destination.IsRoot || destination.Key == request.Path.Key && (!move || destination.Display == request.Path.Display))
        {
            throw new DavException(StatusCodes.Status403Forbidden, "same_source_and_destination", "The source and destination are the same (or the root).");
        }

        if (move)
        {
            RequireUnlocked(request, request.Path, andBelow: true, tokens);
        }

        await request.RequireParentFolderAsync(destination);
        var existing = destination.Key == request.Path.Key ? null : await request.StatAsync(destination);
        if (existing is not null)
        {
            if (overwrite == "F")
            {
                throw new DavException(StatusCodes.Status412PreconditionFailed, "destination_exists", $"\"{destination}\" exists and Overwrite is F.");
            }

            RequireUnlocked(request, destination, andBelow: true, tokens);
            if (destination.Contains(request.Path))
            {
                throw new DavException(StatusCodes.Status403Forbidden, "cant_move_into_itself", "The destination contains the source.");
            }

            await RemoveAsync(request, destination);
        }
        else
        {
            RequireUnlocked(request, destination, andBelow: false, tokens);
        }

        var from = request.At(request.Path);
        var to = request.At(destination);
        if (move)
        {
            await _files.MoveAsync(request.Caller, request.Path.Display, destination.Display, request.Aborted);
            await _properties.CopySubtreeAsync(from.NamespaceId, from.Inner.Key, to.NamespaceId, to.Inner.Key, CancellationToken.None);
            if (from.NamespaceId != to.NamespaceId || from.Inner.Key != to.Inner.Key)
            {
                await _properties.DeleteSubtreeAsync(from.NamespaceId, from.Inner.Key, CancellationToken.None);
            }

            _locks.RemoveAtOrBelow(from);
        }
        else if (shallow && source.Tag == "folder")
        {
            // Depth 0: the collection and its properties, not its members (RFC 4918 §9.8.3).
            await _files.CreateFolderAsync(request.Caller, destination.Display, request.Aborted);
            var own = await _properties.GetPropertiesAsync(from.NamespaceId, from.Inner.Key, request.Aborted);
            await _properties.UpdateAsync(to.NamespaceId, to.Inner.Key, own, [], CancellationToken.None);
        }
        else
        {
            await _files.CopyAsync(request.Caller, request.Path.Display, destination.Display, request.Aborted);
            await _properties.CopySubtreeAsync(from.NamespaceId, from.Inner.Key, to.NamespaceId, to.Inner.Key, CancellationToken.None);
        }

        request.Http.Response.StatusCode = existing is null ? StatusCodes.Status201Created : StatusCodes.Status204NoContent;
    }
}
