using System.Net;
using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;
using static DropSync.Api.Tests.Infrastructure.Sharing;

namespace DropSync.Api.Tests;

/// <summary>
/// Every endpoint × every kind of caller, each on a fresh world: Alice owns /Shared (with /Shared/doc.txt) and shares it
/// with an editor and a viewer (mounted at /Shared in their trees too); a stranger has no access; Alice's tablet was
/// signed out; the anonymous caller sends no token. Each caller gets exactly the expected status, and whoever is refused
/// (or acts only in their own tree) leaves Alice's files exactly as they were.
/// </summary>
public sealed class AuthorizationMatrixTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    public enum Role
    {
        Owner,
        Editor,
        Viewer,
        Stranger,
        Revoked,
        Anonymous,
    }

    private sealed record World(
        ApiClient Owner, ApiClient Editor, ApiClient Viewer, ApiClient Stranger, ApiClient Revoked, ApiClient Anonymous,
        string FirstRev, string OwnerCursor, string LinkId, string LinkToken, string UploadId, string NewcomerEmail, string DesktopDeviceId);

    private delegate Task<(HttpStatusCode Status, JsonNode Body)> Call(ApiClient caller, World world);

    // Expected statuses, in the order owner, editor, viewer, stranger, revoked device, anonymous.
    private static readonly Dictionary<string, (int[] Expected, Call Call)> Endpoints = new()
    {
        ["files/get_metadata"] = ([200, 200, 200, 404, 401, 401], (c, _) => c.PostAsync("/files/get_metadata", new { path = "/Shared/doc.txt" })),
        ["files/list_folder"] = ([200, 200, 200, 404, 401, 401], (c, _) => c.PostAsync("/files/list_folder", new { path = "/Shared" })),
        ["files/list_deleted"] = ([200, 200, 200, 200, 401, 401], (c, _) => c.PostAsync("/files/list_deleted", new { path = "/Shared" })),
        ["files/list_revisions"] = ([200, 200, 200, 404, 401, 401], (c, _) => c.PostAsync("/files/list_revisions", new { path = "/Shared/doc.txt" })),
        ["files/restore"] = ([200, 200, 403, 404, 401, 401], (c, w) => c.PostAsync("/files/restore", new { path = "/Shared/doc.txt", rev = w.FirstRev })),
        ["files/create_folder"] = ([200, 200, 403, 200, 401, 401], (c, _) => c.PostAsync("/files/create_folder", new { path = "/Shared/New" })),
        ["files/delete"] = ([200, 200, 403, 404, 401, 401], (c, _) => c.PostAsync("/files/delete", new { path = "/Shared/doc.txt" })),
        ["files/move"] = ([200, 200, 403, 404, 401, 401], (c, _) => c.PostAsync("/files/move", new { from_path = "/Shared/doc.txt", to_path = "/Shared/moved.txt" })),
        ["files/copy"] = ([200, 200, 403, 404, 401, 401], (c, _) => c.PostAsync("/files/copy", new { from_path = "/Shared/doc.txt", to_path = "/Shared/copy.txt" })),
        ["files/download POST"] = ([200, 200, 200, 404, 401, 401], (c, _) => SendAsync(c, HttpMethod.Post, "/files/download", new { path = "/Shared/doc.txt" })),
        ["files/download GET"] = ([200, 200, 200, 404, 401, 401], (c, _) => SendAsync(c, HttpMethod.Get, "/files/download?path=/Shared/doc.txt", null)),
        ["files/get_blocks"] = ([200, 200, 200, 404, 401, 401], (c, _) => c.PostAsync("/files/get_blocks", new { path = "/Shared/doc.txt" })),
        ["files/upload media"] = ([200, 200, 403, 200, 401, 401], (c, _) => c.UploadAsync("/Shared/up.txt", Bytes("up"))),
        ["files/upload resumable"] = ([200, 200, 403, 200, 401, 401], (c, _) => c.PostAsync("/files/upload?uploadType=resumable", Declaration("/Shared/big.bin"))),
        ["files/upload resume"] = ([200, 404, 404, 404, 401, 401], (c, w) => c.PostAsync($"/files/upload?uploadType=resumable&upload_id={w.UploadId}", null)),
        ["files/upload/finish"] = ([200, 404, 404, 404, 401, 401], (c, w) => c.PostAsync("/files/upload/finish", new { upload_id = w.UploadId })),
        ["files/list_folder/continue"] = ([200, 400, 400, 400, 401, 401], (c, w) => c.PostAsync("/files/list_folder/continue", new { cursor = w.OwnerCursor })),
        ["files/list_folder/get_latest_cursor"] = ([200, 200, 200, 200, 401, 401], (c, _) => c.PostAsync("/files/list_folder/get_latest_cursor", new { path = "" })),
        ["notifications/ws (not a WebSocket)"] = ([400, 400, 400, 400, 401, 401], (c, _) => SendAsync(c, HttpMethod.Get, "/notifications/ws", null)),
        ["notifications/list"] = ([200, 200, 200, 200, 401, 401], (c, _) => c.PostAsync("/notifications/list", new { limit = 10 })),
        ["notifications/mark_read"] = ([200, 200, 200, 200, 401, 401], (c, _) => c.PostAsync("/notifications/mark_read", new { })),
        ["sharing/add_member"] = ([200, 403, 403, 404, 401, 401], (c, w) => c.PostAsync("/sharing/add_member", new { path = "/Shared", email = w.NewcomerEmail, role = "editor" })),
        ["sharing/remove_member"] = ([200, 403, 403, 404, 401, 401], (c, w) => c.PostAsync("/sharing/remove_member", new { path = "/Shared", email = w.Viewer.Email })),
        ["sharing/list_members"] = ([200, 200, 200, 404, 401, 401], (c, _) => c.PostAsync("/sharing/list_members", new { path = "/Shared" })),
        ["sharing/list_shared_with_me"] = ([200, 200, 200, 200, 401, 401], (c, _) => c.PostAsync("/sharing/list_shared_with_me", null)),
        ["sharing/leave"] = ([400, 200, 200, 400, 401, 401], (c, _) => c.PostAsync("/sharing/leave", new { path = "/Shared" })),
        ["sharing/create_link"] = ([200, 200, 403, 404, 401, 401], (c, _) => c.PostAsync("/sharing/create_link", new { path = "/Shared/doc.txt" })),
        ["sharing/list_links"] = ([200, 200, 200, 200, 401, 401], (c, _) => c.PostAsync("/sharing/list_links", null)),
        ["sharing/revoke_link"] = ([200, 404, 404, 404, 401, 401], (c, w) => c.PostAsync("/sharing/revoke_link", new { link_id = w.LinkId })),
        ["s/{token}"] = ([200, 200, 200, 200, 200, 200], (c, w) => SendAsync(c, HttpMethod.Get, $"/s/{w.LinkToken}", null)),
        ["s/{token}/download"] = ([200, 200, 200, 200, 200, 200], (c, w) => SendAsync(c, HttpMethod.Get, $"/s/{w.LinkToken}/download", null)),
        ["auth/list_devices"] = ([200, 200, 200, 200, 401, 401], (c, _) => c.PostAsync("/auth/list_devices", null)),
        ["auth/revoke_device"] = ([200, 404, 404, 404, 401, 401], (c, w) => c.PostAsync("/auth/revoke_device", new { device_id = w.DesktopDeviceId })),
        ["auth/logout"] = ([200, 200, 200, 200, 401, 401], (c, _) => c.PostAsync("/auth/logout", null)),
        ["auth/create_app_password"] = ([200, 200, 200, 200, 401, 401], (c, _) => c.PostAsync("/auth/create_app_password", new { name = "Finder" })),
        ["auth/list_app_passwords"] = ([200, 200, 200, 200, 401, 401], (c, _) => c.PostAsync("/auth/list_app_passwords", null)),
        ["auth/revoke_app_password"] = ([404, 404, 404, 404, 401, 401], (c, _) => c.PostAsync("/auth/revoke_app_password", new { id = "ap_unknown" })),
        // WebDAV signs in with Basic and an app password only: a bearer token (live or revoked) is refused there.
        ["dav PROPFIND with a bearer token"] = ([401, 401, 401, 401, 401, 401], (c, _) => SendAsync(c, new HttpMethod("PROPFIND"), "/dav/Shared/", null)),
        // The web app's files are public, and a path nothing serves is a 404 for everyone rather than a sign-in prompt.
        ["web app /favicon.ico"] = ([200, 200, 200, 200, 200, 200], (c, _) => SendAsync(c, HttpMethod.Get, "/favicon.ico", null)),
        ["unknown page"] = ([404, 404, 404, 404, 404, 404], (c, _) => SendAsync(c, HttpMethod.Get, "/no/such/page.html", null)),
        ["unknown API endpoint"] = ([404, 404, 404, 404, 404, 404], (c, _) => c.PostAsync("/files/no_such_endpoint", new { path = "/Shared" })),
    };

    public static TheoryData<string, Role> Cases()
    {
        var data = new TheoryData<string, Role>();
        foreach (var endpoint in Endpoints.Keys)
        {
            foreach (var role in Enum.GetValues<Role>())
            {
                data.Add(endpoint, role);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_caller_gets_exactly_what_it_may(string endpoint, Role role)
    {
        var world = await BuildAsync();
        var (expected, call) = Endpoints[endpoint];
        var caller = role switch
        {
            Role.Owner => world.Owner,
            Role.Editor => world.Editor,
            Role.Viewer => world.Viewer,
            Role.Stranger => world.Stranger,
            Role.Revoked => world.Revoked,
            _ => world.Anonymous,
        };
        var before = await OwnerStateAsync(world);

        var (status, body) = await call(caller, world);

        Assert.True((int)status == expected[(int)role], $"{endpoint} as {role}: expected {expected[(int)role]}, got {(int)status}: {body.ToJsonString()}");
        // Leaving changes only the member's own membership; owners and editors may change the files.
        var mayChange = (role is Role.Owner or Role.Editor || endpoint == "sharing/leave") && (int)status < 300;
        if (!mayChange)
        {
            Assert.Equal(before, await OwnerStateAsync(world));
        }

        // A stranger learns nothing of Alice's (a shared link, by design, shows its file to anyone).
        if (role == Role.Stranger && !endpoint.StartsWith("s/", StringComparison.Ordinal))
        {
            var text = body.ToJsonString();
            Assert.DoesNotContain(world.Owner.Email!, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("doc.txt\",\"name", text, StringComparison.Ordinal);
        }
    }

    private static object Declaration(string path)
    {
        var bytes = Bytes("abc");
        return new { path, size = bytes.Length, blocks = new[] { new { hash = Dropbox.Sha256Hex(bytes), size = bytes.Length } }, mode = "add" };
    }

    private static async Task<(HttpStatusCode, JsonNode)> SendAsync(ApiClient client, HttpMethod method, string url, object? json)
    {
        using var request = new HttpRequestMessage(method, url);
        if (json is not null)
        {
            request.Content = System.Net.Http.Json.JsonContent.Create(json);
        }

        using var response = await client.Http.SendAsync(request);
        var isJson = response.Content.Headers.ContentType?.MediaType == "application/json";
        return (response.StatusCode, isJson ? await ApiClient.ReadJsonAsync(response) : new JsonObject());
    }

    /// <summary>Everything of Alice's that a caller could change: her tree with revisions, members, links and devices.</summary>
    private static async Task<string> OwnerStateAsync(World w)
    {
        var tree = await w.Owner.OkAsync("/files/list_folder", new { path = "", recursive = true });
        var members = await w.Owner.OkAsync("/sharing/list_members", new { path = "/Shared" });
        var links = await w.Owner.OkAsync("/sharing/list_links", null);
        var devices = await w.Owner.OkAsync("/auth/list_devices", null);
        tree.AsObject().Remove("cursor");
        return string.Join("\n", tree.ToJsonString(), members.ToJsonString(), links.ToJsonString(), devices.ToJsonString());
    }

    private async Task<World> BuildAsync()
    {
        var owner = await factory.SignUpAsync(deviceName: "laptop");
        var editor = await factory.SignUpAsync();
        var viewer = await factory.SignUpAsync();
        var stranger = await factory.SignUpAsync();
        var newcomer = await factory.SignUpAsync();
        var first = await owner.UploadOkAsync("/Shared/doc.txt", Bytes("v1"));
        await owner.UploadOkAsync("/Shared/doc.txt", Bytes("v2"), "overwrite");
        await owner.UploadOkAsync("/Private/secret.txt", Bytes("secret"));
        await ShareAsync(owner, "/Shared", editor, "editor");
        await ShareAsync(owner, "/Shared", viewer, "viewer");
        var tablet = await factory.SignInAsync(owner.Email!, "tablet");
        var desktop = await factory.SignInAsync(owner.Email!, "desktop");
        await owner.OkAsync("/auth/revoke_device", new { device_id = tablet.DeviceId });
        var link = await owner.OkAsync("/sharing/create_link", new { path = "/Shared/doc.txt" });
        var cursor = (await owner.OkAsync("/files/list_folder/get_latest_cursor", new { path = "" }))["cursor"]!.GetValue<string>();
        var upload = await ResumableUpload.BeginAsync(owner, Declaration("/Shared/resumed.bin"));
        await ResumableUpload.SendMissingAsync(owner.Http, upload, [(Dropbox.Sha256Hex(Bytes("abc")), Bytes("abc"))]);
        var anonymous = new ApiClient(factory.CreateClient());
        Assert.Null(anonymous.Http.DefaultRequestHeaders.Authorization);
        return new World(
            owner, editor, viewer, stranger, tablet, anonymous,
            first["rev"]!.GetValue<string>(), cursor, link["link_id"]!.GetValue<string>(),
            new Uri(link["url"]!.GetValue<string>()).AbsolutePath["/s/".Length..], upload["upload_id"]!.GetValue<string>(), newcomer.Email!, desktop.DeviceId!);
    }
}
