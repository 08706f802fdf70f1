using DropSync.Core.Files;
using DropSync.Core.Ports;
using Microsoft.AspNetCore.Http;

namespace DropSync.Dav;

/// <summary>
/// The WebDAV methods over the core's services, so sharing, revisions, conflicts and the journal apply to every write
/// made through /dav/. One part per job: content (GET/HEAD/PUT), tree (MKCOL/DELETE/COPY/MOVE), properties
/// (PROPFIND/PROPPATCH), locks (LOCK/UNLOCK) and preconditions (If, locks).
/// </summary>
internal sealed partial class DavHandler(FileService files, FolderPager pager, UploadService uploads, IDeadPropertyStore properties, DavLocks locks, DavSettings settings)
{
    private readonly FileService _files = files;
    private readonly FolderPager _pager = pager;
    private readonly UploadService _uploads = uploads;
    private readonly IDeadPropertyStore _properties = properties;
    private readonly DavLocks _locks = locks;
    private readonly DavSettings _settings = settings;

    public Task HandleAsync(DavRequest request) => request.Http.Request.Method switch
    {
        "OPTIONS" => OptionsAsync(request),
        "GET" => GetAsync(request, withBody: true),
        "HEAD" => GetAsync(request, withBody: false),
        "PUT" => PutAsync(request),
        "DELETE" => DeleteAsync(request),
        "MKCOL" => MkcolAsync(request),
        "COPY" => CopyOrMoveAsync(request, move: false),
        "MOVE" => CopyOrMoveAsync(request, move: true),
        "PROPFIND" => PropfindAsync(request),
        "PROPPATCH" => ProppatchAsync(request),
        "LOCK" => LockAsync(request),
        "UNLOCK" => UnlockAsync(request),
        _ => throw new DavException(StatusCodes.Status405MethodNotAllowed, "method_not_allowed", "This method is not supported on /dav/."),
    };

    private static Task OptionsAsync(DavRequest request)
    {
        var headers = request.Http.Response.Headers;
        headers["DAV"] = "1, 2";
        headers["MS-Author-Via"] = "DAV";
        headers.Allow = "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, COPY, MOVE, LOCK, UNLOCK";
        headers["Accept-Ranges"] = "bytes";
        request.Http.Response.StatusCode = StatusCodes.Status200OK;
        request.Http.Response.ContentLength = 0;
        return Task.CompletedTask;
    }
}
