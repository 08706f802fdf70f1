using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;
using static DropSync.Api.Tests.Infrastructure.Sharing;

namespace DropSync.Api.Tests.AuthorizationMatrix;

/// <summary>The columns of the matrix: every kind of caller.</summary>
public enum MatrixCaller
{
    Owner,
    Editor,
    Viewer,
    Stranger,
    Revoked,
    Expired,
    Anonymous,
}

/// <summary>
/// One fresh world per cell: Alice owns /Shared (with /Shared/doc.txt, two revisions) and /Private, and shares /Shared
/// with an editor and a viewer (mounted at /Shared in their trees too); a stranger has no access; Alice's tablet was
/// signed out; one of her tokens is expired (see <see cref="ExpiredCallerAsync"/>); the anonymous caller sends no token.
/// Alice also has a link to doc.txt, a list_folder cursor, a resumable upload waiting to be finished, and signed block URLs.
/// </summary>
public sealed record MatrixWorld(
    ApiClient Owner,
    ApiClient Editor,
    ApiClient Viewer,
    ApiClient Stranger,
    ApiClient Revoked,
    ApiClient Expired,
    ApiClient Anonymous,
    string FirstRev,
    string OwnerCursor,
    string LinkId,
    string LinkToken,
    string UploadId,
    string NewcomerEmail,
    string NewcomerInvitationId,
    string DesktopDeviceId,
    Uri BlockGetUrl,
    Uri BlockRunUrl,
    Uri BlockPutUrl,
    Uri BlockRunPutUrl,
    byte[] BlockPutBytes)
{
    public const string Password = "correct horse battery";

    public ApiClient As(MatrixCaller caller) => caller switch
    {
        MatrixCaller.Owner => Owner,
        MatrixCaller.Editor => Editor,
        MatrixCaller.Viewer => Viewer,
        MatrixCaller.Stranger => Stranger,
        MatrixCaller.Revoked => Revoked,
        MatrixCaller.Expired => Expired,
        MatrixCaller.Anonymous => Anonymous,
        _ => throw new ArgumentOutOfRangeException(nameof(caller)),
    };

    public static async Task<MatrixWorld> BuildAsync(DropSyncApiFactory factory)
    {
        // Alice's account first and her expired token before anything else of hers is signed in: once expiry is idle time
        // on the server's clock, moving the clock must not age the tokens the other columns use.
        var ownerEmail = $"owner-{Guid.NewGuid():N}@example.com";
        using (var registrar = new ApiClient(factory.CreateClient()))
        {
            await registrar.RegisterAsync(ownerEmail, Password);
        }

        var expired = await ExpiredCallerAsync(factory, ownerEmail);
        var owner = await factory.SignInAsync(ownerEmail, "laptop");
        var editor = await factory.SignUpAsync();
        var viewer = await factory.SignUpAsync();
        var stranger = await factory.SignUpAsync();
        var newcomer = await factory.SignUpAsync();
        var first = await owner.UploadOkAsync("/Shared/doc.txt", Bytes("v1"));
        await owner.UploadOkAsync("/Shared/doc.txt", Bytes("v2"), "overwrite");
        await owner.UploadOkAsync("/Private/secret.txt", Bytes("secret"));
        await ShareAsync(owner, "/Shared", editor, "editor");
        await ShareAsync(owner, "/Shared", viewer, "viewer");
        var tablet = await factory.SignInAsync(ownerEmail, "tablet");
        var desktop = await factory.SignInAsync(ownerEmail, "desktop");
        await owner.OkAsync("/auth/revoke_device", new { device_id = tablet.DeviceId });
        var link = await owner.OkAsync("/sharing/create_link", new { path = "/Shared/doc.txt" });
        var cursor = (await owner.OkAsync("/files/list_folder/get_latest_cursor", new { path = "" }))["cursor"]!.GetValue<string>();
        var upload = await ResumableUpload.BeginAsync(owner, Declaration("/Shared/resumed.bin", Bytes("abc")));
        await ResumableUpload.SendMissingAsync(owner.Http, upload, [(Dropbox.Sha256Hex(Bytes("abc")), Bytes("abc"))]);
        var waiting = await ResumableUpload.BeginAsync(owner, Declaration("/Private/waiting.bin", Bytes("not yet sent")));
        var blocks = await owner.OkAsync("/files/get_blocks", new { path = "/Shared/doc.txt" });
        await owner.OkAsync("/sharing/add_member", new { path = "/Private", email = newcomer.Email, role = "viewer" });
        var invitations = await newcomer.OkAsync("/sharing/list_invitations", null);
        var newcomerInvitation = invitations["entries"]![0]!["invitation_id"]!.GetValue<string>();
        var anonymous = new ApiClient(factory.CreateClient());
        Assert.Null(anonymous.Http.DefaultRequestHeaders.Authorization);
        return new MatrixWorld(
            owner, editor, viewer, stranger, tablet, expired, anonymous,
            first["rev"]!.GetValue<string>(), cursor, link["link_id"]!.GetValue<string>(),
            new Uri(link["url"]!.GetValue<string>()).AbsolutePath["/s/".Length..], upload["upload_id"]!.GetValue<string>(), newcomer.Email!, newcomerInvitation, desktop.DeviceId!,
            Absolute(owner, blocks["blocks"]![0]!["url"]!), Absolute(owner, blocks["runs"]![0]!["url"]!), Absolute(owner, waiting["missing"]![0]!["url"]!),
            Absolute(owner, waiting["runs"]![0]!["url"]!), Bytes("not yet sent"));
    }

    /// <summary>
    /// The expired-token caller: a device of Alice's last used longer ago than the server's idle timeout
    /// (<see cref="ExpiredTokens"/>), so its token answers 401 token_expired while her other devices stay signed in.
    /// </summary>
    private static Task<ApiClient> ExpiredCallerAsync(DropSyncApiFactory factory, string ownerEmail) => factory.ExpiredDeviceOfAsync(ownerEmail);

    public static object Declaration(string path, byte[] bytes) =>
        new { path, size = bytes.Length, blocks = new[] { new { hash = Dropbox.Sha256Hex(bytes), size = bytes.Length } }, mode = "add" };

    /// <summary>Everything of Alice's that a caller could change: her tree with revisions, members, links and devices.</summary>
    public async Task<string> OwnerStateAsync()
    {
        var tree = await Owner.OkAsync("/files/list_folder", new { path = "", recursive = true });
        var members = await Owner.OkAsync("/sharing/list_members", new { path = "/Shared" });
        var links = await Owner.OkAsync("/sharing/list_links", null);
        var devices = await Owner.OkAsync("/auth/list_devices", null);
        var revisions = await Owner.OkAsync("/files/list_revisions", new { path = "/Shared/doc.txt" });
        tree.AsObject().Remove("cursor");
        return string.Join("\n", tree.ToJsonString(), members.ToJsonString(), links.ToJsonString(), devices.ToJsonString(), revisions.ToJsonString());
    }

    private static Uri Absolute(ApiClient client, JsonNode url) => new(client.Http.BaseAddress!, url.GetValue<string>());
}
