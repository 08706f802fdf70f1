using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using static DropSync.Api.Tests.AuthorizationMatrix.MatrixRequest;
using static DropSync.Api.Tests.Infrastructure.Sharing;

namespace DropSync.Api.Tests.AuthorizationMatrix;

/// <summary>
/// The expected status of every operation of the OpenAPI document for every caller, as data. A new endpoint is one
/// <see cref="MatrixRow"/> here: its operationId (the method and path come from the document), the seven statuses in the
/// order owner, editor, viewer, stranger, revoked device, expired token, anonymous, and what it sends. An operation
/// without a row, or a row for an operation the document lacks, fails <c>AuthorizationMatrixTests</c>.
/// </summary>
public static class MatrixRows
{
    private static readonly Statuses Everyone200 = new(200, 200, 200, 200, 200, 200, 200);
    private static readonly Statuses AnySignedIn200 = new(200, 200, 200, 200, 401, 401, 401);

    public static readonly IReadOnlyList<MatrixRow> Operations =
    [
        // Anonymous by design: the server's public settings, and creating or signing in to an account (the newcomer's,
        // so that no one's login adds a device to Alice's list).
        new("getConfig", Everyone200, _ => None),
        new("register", Everyone200, _ => Json(new { email = $"new-{Guid.NewGuid():N}@example.com", password = MatrixWorld.Password })),
        new("login", Everyone200, w => Json(new { email = w.NewcomerEmail, password = MatrixWorld.Password, device_name = "phone" })),

        // The caller's own account: any signed-in caller, acting only on itself.
        new("logout", AnySignedIn200, _ => None),
        new("listDevices", AnySignedIn200, _ => None),

        // An empty body is refused before any password is checked (a wrong old password would count toward the lockout).
        new("changePassword", new(400, 400, 400, 400, 401, 401, 401), _ => Json(new { })),
        new("revokeDevice", new(200, 404, 404, 404, 401, 401, 401), w => Json(new { device_id = w.DesktopDeviceId })),
        new("createAppPassword", AnySignedIn200, _ => Json(new { name = "Finder" })),
        new("listAppPasswords", AnySignedIn200, _ => None),
        new("revokeAppPassword", new(404, 404, 404, 404, 401, 401, 401), _ => Json(new { id = "ap_unknown" })),
        new("getSpaceUsage", AnySignedIn200, _ => None),

        // Reading /Shared: members see it; a stranger's /Shared does not exist (their own tree is what they read).
        new("getMetadata", new(200, 200, 200, 404, 401, 401, 401), _ => Json(new { path = "/Shared/doc.txt" })),
        new("listFolder", new(200, 200, 200, 404, 401, 401, 401), _ => Json(new { path = "/Shared" })),
        new("listDeleted", AnySignedIn200, _ => Json(new { path = "/Shared" })),
        new("listRevisions", new(200, 200, 200, 404, 401, 401, 401), _ => Json(new { path = "/Shared/doc.txt" })),
        new("download", new(200, 200, 200, 404, 401, 401, 401), _ => Json(new { path = "/Shared/doc.txt" })),
        new("downloadByQuery", new(200, 200, 200, 404, 401, 401, 401), _ => new() { Query = "path=/Shared/doc.txt" }),
        new("getBlocks", new(200, 200, 200, 404, 401, 401, 401), _ => Json(new { path = "/Shared/doc.txt" })),
        new("downloadBatch", new(200, 200, 200, 404, 401, 401, 401), _ => Json(new { files = new[] { new { path = "/Shared/doc.txt" } } }))
        {
            // The batch answers 200 with a status per file: the cell is the file's.
            Outcome = (status, body) => status == 200 ? body["entries"]![0]!["status"]!.GetValue<int>() : status,
        },
        new("listFolderContinue", new(200, 400, 400, 400, 401, 401, 401), w => Json(new { cursor = w.OwnerCursor })),
        new("getLatestCursor", AnySignedIn200, _ => Json(new { path = "" })),

        // Writing /Shared: owner and editor; a viewer is refused; a stranger writes only into their own tree.
        new("restore", new(200, 200, 403, 404, 401, 401, 401), w => Json(new { path = "/Shared/doc.txt", rev = w.FirstRev })),
        new("createFolder", new(200, 200, 403, 200, 401, 401, 401), _ => Json(new { path = "/Shared/New" })),
        new("delete", new(200, 200, 403, 404, 401, 401, 401), _ => Json(new { path = "/Shared/doc.txt" })),
        new("move", new(200, 200, 403, 404, 401, 401, 401), _ => Json(new { from_path = "/Shared/doc.txt", to_path = "/Shared/moved.txt" })),
        new("copy", new(200, 200, 403, 404, 401, 401, 401), _ => Json(new { from_path = "/Shared/doc.txt", to_path = "/Shared/copy.txt" })),
        new("upload", new(200, 200, 403, 200, 401, 401, 401), _ => new() { Query = "uploadType=media&path=/Shared/up.txt", Body = () => Octets(Bytes("up")) }),
        // An empty part at 0 repeats what the list holds: the owner's upload answers its state, no one else's is found.
        new("addUploadBlocks", new(200, 404, 404, 404, 401, 401, 401), w => Json(new { upload_id = w.UploadId, index = 0, blocks = Array.Empty<object>() })),
        new("finishUpload", new(200, 404, 404, 404, 401, 401, 401), w => Json(new { upload_id = w.UploadId })),
        new("abortUpload", new(200, 404, 404, 404, 401, 401, 401), w => Json(new { upload_id = w.UploadId })),
        new("uploadBatch", new(200, 200, 403, 200, 401, 401, 401), _ => new() { Body = () => Batch("/Shared/batch.txt", "batch") })
        {
            // The batch answers 200 with a status per file: the cell is the file's.
            Outcome = (status, body) => status == 200 ? body["entries"]![0]!["status"]!.GetValue<int>() : status,
        },

        // Signed block URLs: the URL is the credential (made for Alice by the API), whoever sends it.
        new("getBlock", Everyone200, w => SignedBlock(w.BlockGetUrl)) { UrlIsTheCredential = true },
        new("getBlockRun", Everyone200, w => new() { Query = w.BlockRunUrl.Query.TrimStart('?') }) { UrlIsTheCredential = true },
        new("putBlock", Everyone200, w => SignedBlock(w.BlockPutUrl) with { Body = () => Octets(w.BlockPutBytes) }) { UrlIsTheCredential = true },
        new("putBlockRun", Everyone200, w => new() { Query = w.BlockRunPutUrl.Query.TrimStart('?'), Body = () => Octets(w.BlockPutBytes) }) { UrlIsTheCredential = true },

        // Sharing: only the owner manages members; members see them; leaving changes only the leaver's membership.
        new("addMember", new(200, 403, 403, 404, 401, 401, 401), w => Json(new { path = "/Shared", email = w.NewcomerEmail, role = "editor" })),
        new("removeMember", new(200, 403, 403, 404, 401, 401, 401), w => Json(new { path = "/Shared", email = w.Viewer.Email })),
        new("listMembers", new(200, 200, 200, 404, 401, 401, 401), _ => Json(new { path = "/Shared" })),
        new("listSharedWithMe", AnySignedIn200, _ => None),

        // Invitations: each caller sees only their own; the world's one is the newcomer's, so nobody here may answer it.
        new("listInvitations", AnySignedIn200, _ => None),
        new("acceptInvitation", new(404, 404, 404, 404, 401, 401, 401), w => Json(new { invitation_id = w.NewcomerInvitationId })),
        new("declineInvitation", new(404, 404, 404, 404, 401, 401, 401), w => Json(new { invitation_id = w.NewcomerInvitationId })),
        new("leaveShare", new(400, 200, 200, 400, 401, 401, 401), _ => Json(new { path = "/Shared" }))
        {
            MayChangeOwnerState = new HashSet<MatrixCaller> { MatrixCaller.Owner, MatrixCaller.Editor, MatrixCaller.Viewer },
        },
        new("createLink", new(200, 200, 403, 404, 401, 401, 401), _ => Json(new { path = "/Shared/doc.txt" })),
        new("listLinks", AnySignedIn200, _ => None),
        new("revokeLink", new(200, 404, 404, 404, 401, 401, 401), w => Json(new { link_id = w.LinkId })),

        // A shared link's token is in the URL: it shows the file to anyone, signed in or not.
        new("openSharedLink", Everyone200, w => LinkRoute(w)) { UrlIsTheCredential = true },
        new("downloadSharedLink", Everyone200, w => LinkRoute(w)) { UrlIsTheCredential = true },
        new("getSharedLinkBlocks", Everyone200, w => LinkRoute(w) with { Body = () => System.Net.Http.Json.JsonContent.Create(new { }) }) { UrlIsTheCredential = true },

        // Notifications are the caller's own; the change feed's socket refuses a plain GET once the token is good.
        new("listNotifications", AnySignedIn200, _ => Json(new { limit = 10 })),
        new("markNotificationsRead", AnySignedIn200, _ => Json(new { })),
        new("changeFeedSocket", new(400, 400, 400, 400, 401, 401, 401), _ => None),
    ];

    /// <summary>
    /// Routes the OpenAPI document does not describe, because they are not the JSON API (a client cannot be generated
    /// for them), and further forms of documented operations that one row cannot show.
    /// </summary>
    public static readonly IReadOnlyList<ExtraRow> Extras =
    [
        new("resumable upload: the block list", "the same operation as a media upload, another uploadType", HttpMethod.Post,
            _ => "/files/upload?uploadType=resumable", new(200, 200, 403, 200, 401, 401, 401))
        {
            VariantOf = "upload",
            Body = _ => System.Net.Http.Json.JsonContent.Create(MatrixWorld.Declaration("/Shared/big.bin", Bytes("abc"))),
        },
        new("resumable upload: resume", "Alice's upload_id is hers alone", HttpMethod.Post,
            w => $"/files/upload?uploadType=resumable&upload_id={w.UploadId}", new(200, 404, 404, 404, 401, 401, 401)) { VariantOf = "upload" },
        new("GET /healthz", "a load balancer's liveness probe, not part of the API", HttpMethod.Get, _ => "/healthz", Everyone200),
        new("GET /openapi/v1.json", "the document itself", HttpMethod.Get, _ => "/openapi/v1.json", Everyone200),
        new("GET /docs", "the API reference page (HTML) that reads the document", HttpMethod.Get, _ => "/docs", Everyone200),
        new("PROPFIND /dav/ with a bearer token", "WebDAV speaks XML and signs in with Basic and an app password only; a bearer token (live or not) is refused",
            new HttpMethod("PROPFIND"), _ => "/dav/Shared/", new(401, 401, 401, 401, 401, 401, 401)),
        new("POST /events", "Lambda's non-HTTP events (AWS mode, event functions only); embedded mode does not map it", HttpMethod.Post,
            _ => "/events", new(404, 404, 404, 404, 404, 404, 404)) { Body = _ => System.Net.Http.Json.JsonContent.Create(new { Records = Array.Empty<object>() }) },
        new("GET / (web app)", "the web app's static files are public: it signs in from the page", HttpMethod.Get, _ => "/", Everyone200),
        new("GET /app/files (web app route)", "a web app route serves the same page", HttpMethod.Get, _ => "/app/files", Everyone200),
        new("GET /assets/js/error-codes.js", "a web app module", HttpMethod.Get, _ => "/assets/js/error-codes.js", Everyone200),
        new("GET /favicon.ico", "browsers ask for it on their own", HttpMethod.Get, _ => "/favicon.ico", Everyone200),
        new("GET an unknown page", "nothing is behind it to protect: 404 rather than a sign-in prompt", HttpMethod.Get, _ => "/no/such/page.html",
            new(404, 404, 404, 404, 404, 404, 404)),
        new("POST an unknown API endpoint", "the same for an API path that does not exist", HttpMethod.Post, _ => "/files/no_such_endpoint",
            new(404, 404, 404, 404, 404, 404, 404)) { Body = _ => System.Net.Http.Json.JsonContent.Create(new { path = "/Shared" }) },
    ];

    private static MatrixRequest LinkRoute(MatrixWorld w) => new() { Route = new Dictionary<string, string> { ["token"] = w.LinkToken } };

    private static MatrixRequest SignedBlock(Uri url) => new()
    {
        Route = new Dictionary<string, string> { ["hash"] = url.AbsolutePath["/blocks/".Length..] },
        Query = url.Query.TrimStart('?'),
    };

    private static MultipartFormDataContent Batch(string path, string text)
    {
        var batch = new MultipartFormDataContent();
        var manifest = new StringContent(new JsonObject { ["files"] = new JsonArray(new JsonObject { ["path"] = path }) }.ToJsonString());
        manifest.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        batch.Add(manifest, "manifest");
        batch.Add(Octets(Bytes(text)), "file", "file");
        return batch;
    }
}
