using System.Net;
using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Testing;
using static DropSync.Api.Tests.Infrastructure.Sharing;

namespace DropSync.Api.Tests;

/// <summary>
/// Shares by invitation (issue 13): add_member invites, nothing is shared until the invitee accepts, the invitee may
/// decline, the owner sees who is pending and may cancel, and an address with no account keeps its invitation.
/// </summary>
public sealed class InvitationTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    [Fact]
    public async Task Nothing_is_shared_until_the_invitee_accepts_and_then_the_folder_is_mounted_as_before()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Work/Project/spec.txt", Bytes("spec"));
        await bob.UploadOkAsync("/Project/mine.txt", Bytes("bob's own Project"));

        var added = await alice.OkAsync("/sharing/add_member", new { path = "/Work/Project", email = bob.Email, role = "editor" });
        Assert.Equal("pending", added["status"]!.GetValue<string>());
        Assert.Equal("editor", added["role"]!.GetValue<string>());

        // Before accepting: the invitation is listed, nothing is mounted, Bob reads nothing of Alice's and what he saves
        // under the folder's name stays his.
        var invitation = (await bob.OkAsync("/sharing/list_invitations", null))["entries"]!.AsArray().Single()!;
        Assert.Equal("/Work/Project", invitation["path"]!.GetValue<string>());
        Assert.Equal(alice.Email, invitation["owner_email"]!.GetValue<string>());
        Assert.Equal("editor", invitation["role"]!.GetValue<string>());
        Assert.NotNull(invitation["created"]);
        Assert.Empty((await bob.OkAsync("/sharing/list_shared_with_me", null))["entries"]!.AsArray());
        Assert.Equal(["/Project", "/Project/mine.txt"], await TreeAsync(bob));
        Status(HttpStatusCode.NotFound, await bob.PostAsync("/files/get_metadata", new { path = "/Project (2)/spec.txt" }));
        await bob.UploadOkAsync("/Project (2)/early.txt", Bytes("bob's, before accepting"));
        Assert.Equal(["/Work", "/Work/Project", "/Work/Project/spec.txt"], await TreeAsync(alice));
        var pending = await alice.OkAsync("/sharing/list_members", new { path = "/Work/Project" });
        Assert.Equal([alice.Email!], pending["members"]!.AsArray().Select(m => m!["email"]!.GetValue<string>()));
        Assert.Equal([(bob.Email!, "editor")], pending["invitees"]!.AsArray().Select(i => (i!["email"]!.GetValue<string>(), i["role"]!.GetValue<string>())));

        // Accepting mounts it at the first free name ("/Project (2)" is Bob's own folder now).
        var mount = await bob.OkAsync("/sharing/accept_invitation", new { invitation_id = invitation["invitation_id"]!.GetValue<string>() });

        Assert.Equal("/Project (3)", mount["path"]!.GetValue<string>());
        Assert.Equal("/project (3)", mount["path_lower"]!.GetValue<string>());
        Assert.Equal("editor", mount["role"]!.GetValue<string>());
        Assert.Equal(alice.Email, mount["owner_email"]!.GetValue<string>());
        Assert.Equal(Bytes("spec"), await bob.DownloadAsync("/Project (3)/spec.txt"));
        Assert.Empty((await bob.OkAsync("/sharing/list_invitations", null))["entries"]!.AsArray());
        var active = await alice.OkAsync("/sharing/list_members", new { path = "/Work/Project" });
        Assert.Equal([(alice.Email!, "owner"), (bob.Email!, "editor")], active["members"]!.AsArray().Select(m => (m!["email"]!.GetValue<string>(), m["role"]!.GetValue<string>())));
        Assert.Empty(active["invitees"]!.AsArray());
        Status(
            HttpStatusCode.NotFound,
            await bob.PostAsync("/sharing/accept_invitation", new { invitation_id = invitation["invitation_id"]!.GetValue<string>() }),
            "invitation_not_found");
    }

    [Fact]
    public async Task Inviting_again_keeps_one_invitation_with_the_new_role_and_announces_it_once()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        await alice.OkAsync("/files/create_folder", new { path = "/Team" });

        await alice.OkAsync("/sharing/add_member", new { path = "/Team", email = bob.Email, role = "viewer" });
        var first = await InvitationIdAsync(bob, alice, "/Team");
        await alice.OkAsync("/sharing/add_member", new { path = "/Team", email = bob.Email!.ToUpperInvariant(), role = "editor" });

        var entries = (await bob.OkAsync("/sharing/list_invitations", null))["entries"]!.AsArray();
        Assert.Equal(first, entries.Single()!["invitation_id"]!.GetValue<string>());
        Assert.Equal("editor", entries.Single()!["role"]!.GetValue<string>());
        var notes = (await bob.OkAsync("/notifications/list", new { limit = 50 }))["notifications"]!.AsArray();
        var note = notes.Single(n => n!["kind"]!.GetValue<string>() == "invited");
        Assert.Equal("/Team", note!["path"]!.GetValue<string>());
        Assert.Equal(alice.Email, note["actor_email"]!.GetValue<string>());
        Assert.Equal("editor", (await AcceptAsync(bob, alice, "/Team"))["role"]!.GetValue<string>());
    }

    [Fact]
    public async Task Declining_shares_nothing_and_only_the_invitee_may_accept_or_decline()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        var carol = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Plans/a.txt", Bytes("a"));
        await alice.OkAsync("/sharing/add_member", new { path = "/Plans", email = bob.Email, role = "editor" });
        var id = await InvitationIdAsync(bob, alice, "/Plans");

        foreach (var other in new[] { alice, carol })
        {
            Status(HttpStatusCode.NotFound, await other.PostAsync("/sharing/accept_invitation", new { invitation_id = id }), "invitation_not_found");
            Status(HttpStatusCode.NotFound, await other.PostAsync("/sharing/decline_invitation", new { invitation_id = id }), "invitation_not_found");
        }

        Status(HttpStatusCode.NotFound, await bob.PostAsync("/sharing/accept_invitation", new { invitation_id = "inv_unknown" }), "invitation_not_found");
        Status(HttpStatusCode.NotFound, await bob.PostAsync("/sharing/accept_invitation", new { }), "invitation_not_found");
        Assert.Empty(await TreeAsync(carol));

        await bob.OkAsync("/sharing/decline_invitation", new { invitation_id = id });

        Assert.Empty((await bob.OkAsync("/sharing/list_invitations", null))["entries"]!.AsArray());
        Assert.Empty(await TreeAsync(bob));
        Assert.Empty((await alice.OkAsync("/sharing/list_members", new { path = "/Plans" }))["invitees"]!.AsArray());
        Status(HttpStatusCode.NotFound, await bob.PostAsync("/sharing/accept_invitation", new { invitation_id = id }), "invitation_not_found");
        Status(HttpStatusCode.NotFound, await bob.PostAsync("/sharing/decline_invitation", new { invitation_id = id }), "invitation_not_found");
    }

    [Fact]
    public async Task The_owner_cancels_a_pending_invitation_with_remove_member()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        await alice.OkAsync("/files/create_folder", new { path = "/Secret" });
        await alice.OkAsync("/sharing/add_member", new { path = "/Secret", email = bob.Email, role = "viewer" });
        var id = await InvitationIdAsync(bob, alice, "/Secret");

        await alice.OkAsync("/sharing/remove_member", new { path = "/Secret", email = bob.Email });

        Assert.Empty((await bob.OkAsync("/sharing/list_invitations", null))["entries"]!.AsArray());
        Assert.Empty((await alice.OkAsync("/sharing/list_members", new { path = "/Secret" }))["invitees"]!.AsArray());
        Status(HttpStatusCode.NotFound, await bob.PostAsync("/sharing/accept_invitation", new { invitation_id = id }), "invitation_not_found");
        Status(HttpStatusCode.NotFound, await alice.PostAsync("/sharing/remove_member", new { path = "/Secret", email = bob.Email }), "member_not_found");
        Assert.Empty(await TreeAsync(bob));
    }

    [Fact]
    public async Task An_address_without_an_account_keeps_its_invitation_until_it_registers()
    {
        var alice = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Welcome/readme.txt", Bytes("hello"));
        var email = $"later-{Guid.NewGuid():N}@example.com";

        var added = await alice.OkAsync("/sharing/add_member", new { path = "/Welcome", email, role = "viewer" });
        Assert.Equal("pending", added["status"]!.GetValue<string>());
        Assert.Equal([email], (await alice.OkAsync("/sharing/list_members", new { path = "/Welcome" }))["invitees"]!.AsArray().Select(i => i!["email"]!.GetValue<string>()));

        var newcomer = await factory.SignUpAsync(email);

        var note = (await newcomer.OkAsync("/notifications/list", new { limit = 10 }))["notifications"]!.AsArray().Single()!;
        Assert.Equal(("invited", "/Welcome", alice.Email), (note["kind"]!.GetValue<string>(), note["path"]!.GetValue<string>(), note["actor_email"]!.GetValue<string>()));
        Assert.Empty(await TreeAsync(newcomer));
        await AcceptAsync(newcomer, alice, "/Welcome");
        Assert.Equal(Bytes("hello"), await newcomer.DownloadAsync("/Welcome/readme.txt"));
    }

    [Fact]
    public async Task An_invitation_to_a_folder_deleted_since_goes_with_it()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        await alice.UploadOkAsync("/Tmp/x.txt", Bytes("x"));
        await alice.OkAsync("/sharing/add_member", new { path = "/Tmp", email = bob.Email, role = "editor" });
        var id = await InvitationIdAsync(bob, alice, "/Tmp");

        await alice.OkAsync("/files/delete", new { path = "/Tmp" });

        Status(HttpStatusCode.NotFound, await bob.PostAsync("/sharing/accept_invitation", new { invitation_id = id }), "invitation_not_found");
        Assert.Empty((await bob.OkAsync("/sharing/list_invitations", null))["entries"]!.AsArray());
        Assert.Empty(await TreeAsync(bob));
    }

    [Fact]
    public async Task Accepting_tells_the_owner_and_a_members_role_change_takes_effect_without_a_new_invitation()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        await alice.OkAsync("/files/create_folder", new { path = "/Desk" });
        await ShareAsync(alice, "/Desk", bob, "editor");

        var changed = await alice.OkAsync("/sharing/add_member", new { path = "/Desk", email = bob.Email, role = "viewer" });

        Assert.Equal(("active", "viewer"), (changed["status"]!.GetValue<string>(), changed["role"]!.GetValue<string>()));
        Assert.Empty((await bob.OkAsync("/sharing/list_invitations", null))["entries"]!.AsArray());
        Status(HttpStatusCode.Forbidden, await bob.UploadAsync("/Desk/x.txt", Bytes("x")), "no_write_permission");
        var joined = await Eventually.ProbeUntilAsync(
            async () => (await alice.OkAsync("/notifications/list", new { limit = 10 }))["notifications"]!.AsArray()
                .FirstOrDefault(n => n!["kind"]!.GetValue<string>() == "joined" && n["actor_email"]!.GetValue<string>() == bob.Email),
            found => found is not null,
            TimeSpan.FromSeconds(10));

        Assert.Equal("/Desk", joined?["path"]?.GetValue<string>());
    }
}
