using System.Buffers;
using System.Globalization;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.StaticFiles;

namespace DropSync.Dav;

/// <summary>GET, HEAD (with Range) and PUT (streamed into the core's blocks).</summary>
internal sealed partial class DavHandler
{
    private const int CopyBufferSize = 1024 * 1024;
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public static string ContentTypeOf(string name) =>
        ContentTypes.TryGetContentType(name, out var type) ? type : "application/octet-stream";

    private async Task GetAsync(DavRequest request, bool withBody)
    {
        await CheckIfHeaderAsync(request);
        var metadata = await request.StatAsync(request.Path) ?? throw NotFound(request);
        var response = request.Http.Response;
        if (metadata.Tag == "folder")
        {
            // A browser opening a /dav/ URL gets a plain listing; WebDAV clients use PROPFIND.
            var names = (await _files.ListFolderAsync(request.Caller, request.Path.IsRoot ? "/" : request.Path.Display, recursive: false, request.Aborted))
                .Select(e => $"<li><a href=\"{DavRequest.Href(Core.Paths.DropPath.Parse(e.Path, false), e.Tag == "folder")}\">{System.Net.WebUtility.HtmlEncode(e.Name)}</a></li>");
            var html = System.Text.Encoding.UTF8.GetBytes($"<!DOCTYPE html><meta charset=\"utf-8\"><title>DropSync WebDAV</title><ul>{string.Concat(names)}</ul>");
            response.ContentType = "text/html; charset=utf-8";
            response.ContentLength = html.Length;
            if (withBody)
            {
                await response.Body.WriteAsync(html, request.Aborted);
            }

            return;
        }

        var (_, revision) = await _files.ResolveRevisionAsync(request.Caller, request.Path.Display, null, request.Aborted);
        var length = revision.Size;
        long from = 0, count = length;
        response.Headers.AcceptRanges = "bytes";
        response.Headers.ETag = DavRequest.ETagOf(metadata);
        response.Headers.LastModified = revision.ServerModified.ToString("R", CultureInfo.InvariantCulture);
        response.ContentType = ContentTypeOf(metadata.Name);
        ByteRange? asked;
        try
        {
            asked = ByteRange.Of(request.Http.Request.Headers.Range.ToString(), length);
        }
        catch (DropSyncException)
        {
            response.Headers.ContentRange = ByteRange.UnsatisfiableContentRange(length);
            throw;
        }

        if (asked is { } part)
        {
            (from, count) = (part.From, part.Count);
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = part.ContentRange;
        }

        response.ContentLength = count;
        if (!withBody || count == 0)
        {
            return;
        }

        await using var content = _files.OpenContent(revision);
        content.Position = from;
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            while (count > 0)
            {
                var n = await content.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), request.Aborted);
                if (n == 0)
                {
                    throw new InvalidDataException("The file's content ended before its recorded size.");
                }

                await response.Body.WriteAsync(buffer.AsMemory(0, n), request.Aborted);
                count -= n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// PUT streams the body through the core's media upload (4 MiB blocks, two buffers: flat memory for any size up to
    /// 10 GiB). A stale If-Match is a conflict as in the API: the current file wins and this body is kept as a conflicted
    /// copy beside it; the answer is 412.
    /// </summary>
    private async Task PutAsync(DavRequest request)
    {
        var tokens = await CheckIfHeaderAsync(request);
        if (request.Path.IsRoot)
        {
            throw new DavException(StatusCodes.Status405MethodNotAllowed, "path_is_folder", "The root is a folder.");
        }

        if (request.Http.Request.Headers.ContentRange.Count > 0)
        {
            throw new DavException(StatusCodes.Status400BadRequest, "content_range_unsupported", "A partial PUT (Content-Range) is not supported; send the whole file.");
        }

        RequireUnlocked(request, request.Path, andBelow: false, tokens);
        await request.RequireParentFolderAsync(request.Path);
        var existing = await request.StatAsync(request.Path);
        if (existing is { Tag: "folder" })
        {
            throw new DavException(StatusCodes.Status405MethodNotAllowed, "path_is_folder", $"\"{request.Path}\" is a folder.");
        }

        var (mode, rev) = WriteModeOf(request, existing);
        if (request.Http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            // The core stops reading past 10 GiB with its own answer; the transport must not stop it earlier. Kestrel counts
            // a chunked body (how WebDAV clients send a stream of unknown length) past its data bytes: a chunked PUT of
            // exactly 10 GiB hit a limit of 10 GiB + 1 (measured), so the transport's bound is a block above the core's.
            limit.MaxRequestBodySize = Limits.MaxFileSize + Limits.MaxBlockSize;
        }

        Core.Files.FileMetadata written;
        try
        {
            written = await _uploads.UploadMediaAsync(request.Caller, request.Path.Display, mode, rev, request.Http.Request.Body, request.Aborted, request.Http.Request.ContentLength);
        }
        catch (DropSyncException e) when (e.Code == ErrorCodes.InsufficientSpace)
        {
            // RFC 4918 §9.7.1 and RFC 4331 §6: a PUT past the quota is 507 with the quota-not-exceeded precondition.
            throw new DavException(StatusCodes.Status507InsufficientStorage, ErrorCodes.InsufficientSpace, e.Message, DavXml.Error("quota-not-exceeded"));
        }
        catch (DropSyncException e) when (e.Code == "conflict")
        {
            var copy = e.Details.TryGetValue("conflicted_copy", out var c) && c is Core.Files.FileMetadata m ? m.Path : null;
            if (copy is not null)
            {
                request.Http.Response.Headers["DropSync-Conflicted-Copy"] = Uri.EscapeDataString(copy);
            }

            throw new DavException(StatusCodes.Status412PreconditionFailed, "conflict", e.Message);
        }

        request.Http.Response.Headers.ETag = DavRequest.ETagOf(written);
        request.Http.Response.StatusCode = existing is null ? StatusCodes.Status201Created : StatusCodes.Status204NoContent;
    }

    /// <summary>If-Match names the rev the client last saw (update mode); If-None-Match: * creates only; else overwrite.</summary>
    private static (WriteMode Mode, string? Rev) WriteModeOf(DavRequest request, Core.Files.FileMetadata? existing)
    {
        var headers = request.Http.Request.Headers;
        if (headers.IfNoneMatch.ToString().Trim() == "*" && existing is not null)
        {
            throw new DavException(StatusCodes.Status412PreconditionFailed, "precondition_failed", $"\"{request.Path}\" already exists (If-None-Match: *).");
        }

        var ifMatch = headers.IfMatch.ToString().Trim();
        if (ifMatch.Length == 0)
        {
            return (WriteMode.Overwrite, null);
        }

        if (ifMatch == "*")
        {
            return existing is null
                ? throw new DavException(StatusCodes.Status412PreconditionFailed, "precondition_failed", $"Nothing is at \"{request.Path}\" (If-Match: *).")
                : (WriteMode.Overwrite, null);
        }

        // The first entity tag that is one of our revs; anything else can never match a file here.
        var rev = ifMatch.Split(',').Select(t => IfHeader.NormalizeETag(t).Trim('"')).FirstOrDefault(Core.Accounts.Ids.IsRev);
        if (rev is null || existing is null)
        {
            throw new DavException(StatusCodes.Status412PreconditionFailed, "precondition_failed", $"If-Match names no revision of \"{request.Path}\".");
        }

        return (WriteMode.Update, rev);
    }

    private static DavException NotFound(DavRequest request) =>
        new(StatusCodes.Status404NotFound, "not_found", $"Nothing is at \"{request.Path}\".");
}
