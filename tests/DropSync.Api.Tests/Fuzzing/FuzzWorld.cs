using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;
using static DropSync.Api.Tests.Infrastructure.Sharing;

namespace DropSync.Api.Tests.Fuzzing;

/// <summary>
/// The users the fuzzer plays against. Alice owns /Shared (shared with Bob as editor and Carol as viewer) and /Private;
/// Bob has a folder of his own. The fuzzer sends requests as Carol (a viewer of Alice's folder), as Mallory (a stranger),
/// with Alice's signed-out tablet token, a garbage token or none, so it may write only Carol's and Mallory's own trees:
/// whatever it does, Alice's and Bob's data (<see cref="SnapshotAsync"/>) must stay exactly as it was.
/// </summary>
public sealed record FuzzWorld(
    ApiClient Alice,
    ApiClient Bob,
    ApiClient Carol,
    ApiClient Mallory,
    string AliceRevokedToken,
    string AliceRev,
    string AliceCursor,
    string AliceLinkId,
    string AliceLinkToken,
    string AliceUploadId,
    string AliceDeviceId,
    string AliceBlockHash,
    string MalloryLinkToken,
    IReadOnlyList<string> Emails)
{
    public static async Task<FuzzWorld> BuildAsync(DropSyncApiFactory factory)
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        var carol = await factory.SignUpAsync();
        var mallory = await factory.SignUpAsync();
        var first = await alice.UploadOkAsync("/Shared/doc.txt", Bytes("v1"));
        await alice.UploadOkAsync("/Shared/doc.txt", Bytes("v2"), "overwrite");
        await alice.UploadOkAsync("/Shared/Sub/deep.txt", Bytes("deep"));
        await alice.UploadOkAsync("/Private/secret.txt", Bytes("secret"));
        await ShareAsync(alice, "/Shared", bob, "editor");
        await ShareAsync(alice, "/Shared", carol, "viewer");
        await bob.UploadOkAsync("/BobOnly/notes.txt", Bytes("bob's"));
        await carol.UploadOkAsync("/CarolOwn/c.txt", Bytes("carol's"));
        await mallory.UploadOkAsync("/Mine/m.txt", Bytes("mallory's"));
        var tablet = await factory.SignInAsync(alice.Email!, "tablet");
        await alice.OkAsync("/auth/revoke_device", new { device_id = tablet.DeviceId });
        var link = await alice.OkAsync("/sharing/create_link", new { path = "/Shared/doc.txt" });
        var malloryLink = await mallory.OkAsync("/sharing/create_link", new { path = "/Mine" });
        var cursor = (await alice.OkAsync("/files/list_folder/get_latest_cursor", new { path = "" }))["cursor"]!.GetValue<string>();
        var waiting = Bytes("waiting");
        var upload = await ResumableUpload.BeginAsync(alice, new
        {
            path = "/Shared/waiting.bin",
            size = waiting.Length,
            blocks = new[] { new { hash = Dropbox.Sha256Hex(waiting), size = waiting.Length } },
        });
        return new FuzzWorld(
            alice, bob, carol, mallory, tablet.AccessToken!, first["rev"]!.GetValue<string>(), cursor,
            link["link_id"]!.GetValue<string>(), TokenOf(link), upload["upload_id"]!.GetValue<string>(), alice.DeviceId!,
            Dropbox.Sha256Hex(Bytes("v2")), TokenOf(malloryLink),
            // Not Alice's or Bob's address: today add_member mounts a share at once (issue 13.1 makes it an invitation;
            // then theirs can join this list, as nothing lands in their trees without their consent).
            [carol.Email!, mallory.Email!, "nobody@example.com", "ALICE@EXAMPLE.COM"]);
    }

    /// <summary>Everything of Alice's and Bob's that Carol, Mallory or a signed-out caller could change, as text to compare.</summary>
    public async Task<string> SnapshotAsync()
    {
        var parts = new List<string>();
        foreach (var user in new[] { Alice, Bob })
        {
            var tree = await user.OkAsync("/files/list_folder", new { path = "", recursive = true });
            tree.AsObject().Remove("cursor");
            parts.Add(tree.ToJsonString());
            parts.Add((await user.OkAsync("/files/list_deleted", new { path = "" })).ToJsonString());
            parts.Add((await user.OkAsync("/sharing/list_links", null)).ToJsonString());
            parts.Add((await user.OkAsync("/auth/list_devices", null)).ToJsonString());
            parts.Add((await user.OkAsync("/auth/list_app_passwords", null)).ToJsonString());
        }

        foreach (var path in new[] { "/Shared/doc.txt", "/Shared/Sub/deep.txt", "/Private/secret.txt" })
        {
            parts.Add((await Alice.OkAsync("/files/list_revisions", new { path })).ToJsonString());
        }

        // Carol may leave Alice's folder (her own membership); everyone else's must stay.
        var members = await Alice.OkAsync("/sharing/list_members", new { path = "/Shared" });
        foreach (var list in members.AsObject().Select(p => p.Value).OfType<JsonArray>())
        {
            foreach (var carol in list.Where(m => string.Equals(m?["email"]?.GetValue<string>(), Carol.Email, StringComparison.OrdinalIgnoreCase)).ToList())
            {
                list.Remove(carol);
            }
        }

        parts.Add(members.ToJsonString());
        return string.Join("\n", parts);
    }

    private static string TokenOf(JsonNode link) => new Uri(link["url"]!.GetValue<string>()).AbsolutePath["/s/".Length..];
}
