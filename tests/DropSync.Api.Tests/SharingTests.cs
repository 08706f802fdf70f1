using System.Net;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Testing;
using static DropSync.Api.Tests.Infrastructure.Sharing;

namespace DropSync.Api.Tests;

/// <summary>Sharing folders: members see them at the top of their tree, editors write, viewers read, removal is immediate.</summary>
public sealed class SharingTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    [Fact]
    public async Task A_member_sees_the_folder_at_the_top_of_their_tree_and_the_owner_lists_members()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Work/Project/spec.txt", Bytes("spec"));
        await bob.UploadOkAsync("/Project/mine.txt", Bytes("bob's own Project"));

        await ShareAsync(alice, "/Work/Project", bob, "viewer");
        var mount = (await bob.OkAsync("/sharing/list_shared_with_me", null))["entries"]![0]!;
        var members = await alice.OkAsync("/sharing/list_members", new { path = "/Work/Project" });

        Assert.Equal("/Project (2)", mount["path"]!.GetValue<string>());
        Assert.Equal(alice.Email, mount["owner_email"]!.GetValue<string>());
        Assert.Equal("viewer", mount["role"]!.GetValue<string>());
        Assert.Contains("/Project (2)/spec.txt", await TreeAsync(bob));
        Assert.Contains("/Project/mine.txt", await TreeAsync(bob));
        Assert.Equal(Bytes("spec"), await bob.DownloadAsync("/Project (2)/spec.txt"));
        Assert.Equal(
            [(alice.Email!, "owner"), (bob.Email!, "viewer")],
            members["members"]!.AsArray().Select(m => (m!["email"]!.GetValue<string>(), m["role"]!.GetValue<string>())).ToArray());
    }

    [Fact]
    public async Task A_viewer_cannot_write_and_an_editor_can_and_the_owner_sees_it()
    {
        var alice = await factory.SignUpAsync();
        var viewer = await factory.SignUpAsync();
        var editor = await factory.SignUpAsync();
        var doc = await alice.UploadOkAsync("/Team/doc.txt", Bytes("v1"));
        await ShareAsync(alice, "/Team", viewer, "viewer");
        await ShareAsync(alice, "/Team", editor, "editor");
        var rev = doc["rev"]!.GetValue<string>();

        Status(HttpStatusCode.Forbidden, await viewer.UploadAsync("/Team/new.txt", Bytes("x")), "no_write_permission");
        Status(HttpStatusCode.Forbidden, await viewer.UploadAsync("/Team/doc.txt", Bytes("x"), "update", rev), "no_write_permission");
        Status(HttpStatusCode.Forbidden, await viewer.PostAsync("/files/delete", new { path = "/Team/doc.txt" }), "no_write_permission");
        Status(HttpStatusCode.Forbidden, await viewer.PostAsync("/files/move", new { from_path = "/Team/doc.txt", to_path = "/Team/x.txt" }), "no_write_permission");
        Status(HttpStatusCode.Forbidden, await viewer.PostAsync("/files/create_folder", new { path = "/Team/Sub" }), "no_write_permission");
        Status(HttpStatusCode.Forbidden, await viewer.PostAsync("/files/restore", new { path = "/Team/doc.txt", rev }), "no_write_permission");
        Status(HttpStatusCode.Forbidden, await viewer.PostAsync("/files/move", new { from_path = "/Team/doc.txt", to_path = "/stolen.txt" }), "no_write_permission");
        // Copying out of a folder one may read is allowed: it is the viewer's own copy.
        await viewer.OkAsync("/files/copy", new { from_path = "/Team/doc.txt", to_path = "/my-copy.txt" });

        var edited = await editor.UploadOkAsync("/Team/doc.txt", Bytes("v2 by editor"), "update", rev);
        await editor.OkAsync("/files/create_folder", new { path = "/Team/Sub" });
        await editor.OkAsync("/files/move", new { from_path = "/Team/doc.txt", to_path = "/Team/Sub/doc.txt" });

        Assert.Equal(Bytes("v2 by editor"), await alice.DownloadAsync("/Team/Sub/doc.txt"));
        Assert.Equal(Bytes("v1"), await viewer.DownloadAsync("/my-copy.txt"));
        Assert.Equal(editor.DeviceId, edited["device_id"]!.GetValue<string>());
        Assert.Equal(["/Team", "/Team/Sub", "/Team/Sub/doc.txt"], await TreeAsync(alice));
        Assert.Contains("/Team/Sub/doc.txt", await TreeAsync(viewer));
    }

    [Fact]
    public async Task Removing_a_member_or_leaving_ends_access_at_once_and_re_adding_restores_it()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        var carol = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Club/minutes.txt", Bytes("minutes"));
        await ShareAsync(alice, "/Club", bob, "editor");
        await ShareAsync(alice, "/Club", carol, "viewer");
        var bobCursor = (await bob.OkAsync("/files/list_folder", new { path = "", recursive = true }))["cursor"]!.GetValue<string>();

        await alice.OkAsync("/sharing/remove_member", new { path = "/Club", email = bob.Email });
        await carol.OkAsync("/sharing/leave", new { path = "/Club" });

        foreach (var gone in new[] { bob, carol })
        {
            Status(HttpStatusCode.NotFound, await gone.PostAsync("/files/get_metadata", new { path = "/Club/minutes.txt" }));
            Status(HttpStatusCode.NotFound, await gone.PostAsync("/files/download", new { path = "/Club/minutes.txt" }));
            Assert.Empty(await TreeAsync(gone));
            Assert.Empty((await gone.OkAsync("/sharing/list_shared_with_me", null))["entries"]!.AsArray());
        }

        // Bob's upload to the same path now lands in his own namespace, not Alice's.
        await bob.UploadOkAsync("/Club/minutes.txt", Bytes("bob's own"));
        var bobCatchUp = await bob.OkAsync("/files/list_folder/continue", new { cursor = bobCursor });
        Assert.Equal(Bytes("minutes"), await alice.DownloadAsync("/Club/minutes.txt"));
        Assert.Contains(bobCatchUp["entries"]!.AsArray(), e => e!["path"]!.GetValue<string>() == "/Club" && e["tag"]!.GetValue<string>() == "deleted");
        Assert.Single((await alice.OkAsync("/sharing/list_members", new { path = "/Club" }))["members"]!.AsArray());

        await ShareAsync(alice, "/Club", carol, "viewer");
        Assert.Equal(Bytes("minutes"), await carol.DownloadAsync("/Club/minutes.txt"));
        Status(HttpStatusCode.Forbidden, await carol.PostAsync("/sharing/remove_member", new { path = "/Club", email = bob.Email }), "not_owner");
        Status(HttpStatusCode.NotFound, await alice.PostAsync("/sharing/remove_member", new { path = "/Club", email = bob.Email }), "member_not_found");
    }

    [Fact]
    public async Task A_member_leaving_or_removed_changes_nothing_in_the_owners_or_other_members_feeds()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        var carol = await factory.SignUpAsync();
        var dave = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Proj/plan.txt", Bytes("plan"));
        await ShareAsync(alice, "/Proj", bob, "editor");
        await ShareAsync(alice, "/Proj", carol, "viewer");
        await ShareAsync(alice, "/Proj", dave, "viewer");
        var cursors = new Dictionary<ApiClient, string>();
        foreach (var who in new[] { alice, carol })
        {
            cursors[who] = (await who.OkAsync("/files/list_folder", new { path = "", recursive = true }))["cursor"]!.GetValue<string>();
        }

        await bob.OkAsync("/sharing/leave", new { path = "/Proj" });
        await carol.OkAsync("/files/delete", new { path = "/Proj" });
        await alice.OkAsync("/sharing/remove_member", new { path = "/Proj", email = dave.Email });

        // Nobody who still has the folder is told it was deleted: their devices would drop a folder the server keeps.
        var ownerChanges = (await alice.OkAsync("/files/list_folder/continue", new { cursor = cursors[alice] }))["entries"]!.AsArray();
        Assert.DoesNotContain(ownerChanges, e => e!["tag"]!.GetValue<string>() == "deleted");
        Assert.Equal(["/Proj", "/Proj/plan.txt"], await TreeAsync(alice));
        var carolChanges = (await carol.OkAsync("/files/list_folder/continue", new { cursor = cursors[carol] }))["entries"]!.AsArray();
        Assert.Contains(carolChanges, e => e!["path"]!.GetValue<string>() == "/Proj" && e["tag"]!.GetValue<string>() == "deleted");

        // The owner is still told that Bob and Carol left (not of her own removal of Dave); the fan-out records
        // notifications after the commits answer.
        var left = await Eventually.ProbeUntilAsync(
            async () => (await alice.OkAsync("/notifications/list", new { limit = 50 }))["notifications"]!.AsArray()
                .Count(n => n!["kind"]!.GetValue<string>() == "unshared" && n["path"]!.GetValue<string>() == "/Proj"),
            count => count >= 2,
            TimeSpan.FromSeconds(10));

        Assert.Equal(2, left);
    }

    [Fact]
    public async Task Files_move_into_a_shared_folder_and_out_and_members_follow()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        await alice.OkAsync("/files/create_folder", new { path = "/Shared" });
        await ShareAsync(alice, "/Shared", bob, "editor");
        await bob.UploadOkAsync("/Drafts/idea.txt", Bytes("idea"));
        await bob.UploadOkAsync("/Drafts/Deep/more.txt", Bytes("more"));
        var cursor = (await alice.OkAsync("/files/list_folder", new { path = "", recursive = true }))["cursor"]!.GetValue<string>();

        await bob.OkAsync("/files/move", new { from_path = "/Drafts", to_path = "/Shared/Drafts" });
        var inShare = await TreeAsync(alice);
        var aliceSaw = await alice.OkAsync("/files/list_folder/continue", new { cursor });
        Assert.Equal(Bytes("more"), await alice.DownloadAsync("/Shared/Drafts/Deep/more.txt"));

        await bob.OkAsync("/files/move", new { from_path = "/Shared/Drafts/idea.txt", to_path = "/idea-back.txt" });
        var afterOut = await TreeAsync(alice);

        Assert.Equal(["/Shared", "/Shared/Drafts", "/Shared/Drafts/Deep", "/Shared/Drafts/Deep/more.txt", "/Shared/Drafts/idea.txt"], inShare);
        Assert.DoesNotContain("/Drafts", await TreeAsync(bob));
        Assert.Contains("/Shared/Drafts/idea.txt", Paths(aliceSaw));
        Assert.DoesNotContain("/Shared/Drafts/idea.txt", afterOut);
        Assert.Equal(Bytes("idea"), await bob.DownloadAsync("/idea-back.txt"));
        Status(HttpStatusCode.NotFound, await alice.PostAsync("/files/get_metadata", new { path = "/idea-back.txt" }));
    }

    [Fact]
    public async Task The_owner_renames_the_shared_folder_and_the_member_still_sees_it_at_its_mount()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Photos/a.jpg", Bytes("a"));
        await alice.UploadOkAsync("/Photos/gone.jpg", Bytes("gone"));
        await ShareAsync(alice, "/Photos", bob, "viewer");
        var replica = await bob.OkAsync("/files/list_folder", new { path = "", recursive = true });
        var cursor = replica["cursor"]!.GetValue<string>();

        // While Bob is offline: a delete under the old name, then the rename, then an add under the new one.
        await alice.OkAsync("/files/delete", new { path = "/Photos/gone.jpg" });
        await alice.OkAsync("/files/move", new { from_path = "/Photos", to_path = "/Albums/Photos 2026" });
        await alice.UploadOkAsync("/Albums/Photos 2026/b.jpg", Bytes("b"));

        Assert.Equal(["/Photos", "/Photos/a.jpg", "/Photos/b.jpg"], await TreeAsync(bob));
        Assert.Equal(Bytes("b"), await bob.DownloadAsync("/Photos/b.jpg"));
        Assert.Equal(2, (await alice.OkAsync("/sharing/list_members", new { path = "/Albums/Photos 2026" }))["members"]!.AsArray().Count);

        // Bob's device, replaying the changes, ends with exactly the server's tree (the delete is not lost).
        var local = new HashSet<string>(Paths(replica), StringComparer.OrdinalIgnoreCase);
        var page = await bob.OkAsync("/files/list_folder/continue", new { cursor, limit = 2 });
        while (true)
        {
            foreach (var e in page["entries"]!.AsArray())
            {
                var path = e!["path"]!.GetValue<string>();
                if (e["tag"]!.GetValue<string>() == "deleted")
                {
                    local.RemoveWhere(p => p.Equals(path, StringComparison.OrdinalIgnoreCase) || p.StartsWith(path + "/", StringComparison.OrdinalIgnoreCase));
                }
                else
                {
                    local.Add(path);
                }
            }

            if (!page["has_more"]!.GetValue<bool>())
            {
                break;
            }

            page = await bob.OkAsync("/files/list_folder/continue", new { cursor = page["cursor"]!.GetValue<string>(), limit = 2 });
        }

        Assert.Equal(await TreeAsync(bob), local.Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task A_member_renames_the_mount_and_keeps_its_contents()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Music/song.mp3", Bytes("la"));
        await ShareAsync(alice, "/Music", bob, "viewer");
        var cursor = (await bob.OkAsync("/files/list_folder", new { path = "", recursive = true }))["cursor"]!.GetValue<string>();

        await bob.OkAsync("/files/move", new { from_path = "/Music", to_path = "/Alice's Music" });
        var page = await bob.OkAsync("/files/list_folder/continue", new { cursor });

        Assert.Equal(["/Alice's Music", "/Alice's Music/song.mp3"], await TreeAsync(bob));
        Assert.Equal(["/Music", "/Music/song.mp3"], await TreeAsync(alice));
        Assert.Contains("/Alice's Music/song.mp3", Paths(page));
        Status(HttpStatusCode.BadRequest, await bob.PostAsync("/files/move", new { from_path = "/Alice's Music", to_path = "/Deep/Music" }), "invalid_mount_path");
    }

    [Fact]
    public async Task Sharing_is_refused_for_bad_requests_nested_folders_and_non_owners()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        var carol = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Outer/Inner/file.txt", Bytes("f"));
        await ShareAsync(alice, "/Outer/Inner", bob, "editor");

        Status(HttpStatusCode.Conflict, await alice.PostAsync("/sharing/add_member", new { path = "/Outer", email = carol.Email, role = "viewer" }), "nested_share");
        Status(HttpStatusCode.BadRequest, await alice.PostAsync("/sharing/add_member", new { path = "/Outer/Inner", email = carol.Email, role = "admin" }), "invalid_role");
        Status(HttpStatusCode.BadRequest, await alice.PostAsync("/sharing/add_member", new { path = "/Outer/Inner", email = alice.Email, role = "viewer" }), "cannot_share_with_self");
        Status(HttpStatusCode.BadRequest, await alice.PostAsync("/sharing/add_member", new { path = "/Outer/Inner", email = "not an address", role = "viewer" }), "invalid_email");
        Status(HttpStatusCode.Conflict, await alice.PostAsync("/sharing/add_member", new { path = "/Outer/Inner/file.txt", email = carol.Email, role = "viewer" }), "not_folder");
        Status(HttpStatusCode.Forbidden, await bob.PostAsync("/sharing/add_member", new { path = "/Inner", email = carol.Email, role = "editor" }), "not_owner");
        Status(HttpStatusCode.Conflict, await bob.PostAsync("/files/move", new { from_path = "/Inner/file.txt", to_path = "/Inner" }), "to_exists");

        // Changing a member's role takes effect at once.
        await ShareAsync(alice, "/Outer/Inner", bob, "viewer");
        Status(HttpStatusCode.Forbidden, await bob.UploadAsync("/Inner/new.txt", Bytes("x")), "no_write_permission");
    }

    [Fact]
    public async Task Deleting_a_shared_folder_ends_the_share_for_everyone()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Tmp/x.txt", Bytes("x"));
        await ShareAsync(alice, "/Tmp", bob, "editor");
        var cursor = (await bob.OkAsync("/files/list_folder", new { path = "", recursive = true }))["cursor"]!.GetValue<string>();

        await alice.OkAsync("/files/delete", new { path = "/Tmp" });
        await alice.UploadOkAsync("/Tmp/again.txt", Bytes("new"));

        Assert.Empty(await TreeAsync(bob));
        Assert.Empty((await bob.OkAsync("/sharing/list_shared_with_me", null))["entries"]!.AsArray());
        Status(HttpStatusCode.NotFound, await bob.PostAsync("/files/download", new { path = "/Tmp/again.txt" }));
        var page = await bob.OkAsync("/files/list_folder/continue", new { cursor });
        Assert.Contains(page["entries"]!.AsArray(), e => e!["path"]!.GetValue<string>() == "/Tmp" && e["tag"]!.GetValue<string>() == "deleted");
    }
}
