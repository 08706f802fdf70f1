using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Testing;
using static DropSync.Api.Tests.Infrastructure.Sharing;

namespace DropSync.Api.Tests;

/// <summary>Notifications: someone else's edits, deletes, invitations and joins are pushed live and kept, with read state.</summary>
public sealed class NotificationTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    private static JsonArray Items(JsonNode page) => page["notifications"]!.AsArray();

    [Fact]
    public async Task Edits_deletes_and_shares_by_others_are_notified_live_and_kept_and_own_changes_are_not()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        var doc = await alice.UploadOkAsync("/Team/doc.txt", Bytes("v1"));
        await using var bobFeed = await LiveFeed.ConnectAsync(factory, bob);
        await using var aliceFeed = await LiveFeed.ConnectAsync(factory, alice);

        await ShareAsync(alice, "/Team", bob, "editor");
        var invited = await bobFeed.WaitForAsync(m => LiveFeed.Type(m) == "notification" && m["kind"]!.GetValue<string>() == "invited", "invited notification");
        var joined = await aliceFeed.WaitForAsync(m => LiveFeed.Type(m) == "notification" && m["kind"]!.GetValue<string>() == "joined", "joined notification");
        factory.Clock.Advance(TimeSpan.FromSeconds(1));
        await bob.UploadOkAsync("/Team/doc.txt", Bytes("v2"), "update", doc["rev"]!.GetValue<string>());
        var edited = await aliceFeed.WaitForAsync(m => LiveFeed.Type(m) == "notification" && m["kind"]!.GetValue<string>() == "edited", "edited notification");
        factory.Clock.Advance(TimeSpan.FromSeconds(1));
        await bob.OkAsync("/files/delete", new { path = "/Team/doc.txt" });
        var deleted = await aliceFeed.WaitForAsync(m => LiveFeed.Type(m) == "notification" && m["kind"]!.GetValue<string>() == "deleted", "deleted notification");
        await alice.UploadOkAsync("/Team/own.txt", Bytes("own"));
        await alice.UploadOkAsync("/Team/own.txt", Bytes("own 2"), "overwrite");
        await bobFeed.WaitForChangeAsync("/Team/own.txt", "edited");

        // The notification is stored after the change is pushed (pushes only queue now): wait for its own event.
        await bobFeed.WaitForAsync(m => LiveFeed.Type(m) == "notification" && m["kind"]!.GetValue<string>() == "edited" && m["path"]!.GetValue<string>() == "/Team/own.txt", "edited notification of own.txt");

        Assert.Equal("/Team", invited["path"]!.GetValue<string>());
        Assert.Equal(alice.Email, invited["actor_email"]!.GetValue<string>());
        Assert.Equal("/Team", joined["path"]!.GetValue<string>());
        Assert.Equal(bob.Email, joined["actor_email"]!.GetValue<string>());
        Assert.Equal("/Team/doc.txt", edited["path"]!.GetValue<string>());
        Assert.Equal(bob.Email, edited["actor_email"]!.GetValue<string>());
        Assert.Equal("/Team/doc.txt", deleted["path"]!.GetValue<string>());

        var alicePage = await alice.OkAsync("/notifications/list", new { limit = 10 });
        Assert.Equal(["deleted", "edited", "joined"], Items(alicePage).Select(n => n!["kind"]!.GetValue<string>()).ToArray());
        Assert.Equal(3, alicePage["unread"]!.GetValue<int>());
        var bobPage = await bob.OkAsync("/notifications/list", new { limit = 10 });
        Assert.Equal(["edited", "invited"], Items(bobPage).Select(n => n!["kind"]!.GetValue<string>()).ToArray());
        Assert.Equal("/Team/own.txt", Items(bobPage)[0]!["path"]!.GetValue<string>());
        // The live event and the stored notification give the time as the same UTC millisecond string.
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", edited["time"]!.GetValue<string>());
        Assert.Equal(edited["time"]!.GetValue<string>(), Items(alicePage)[1]!["time"]!.GetValue<string>());
    }

    [Fact]
    public async Task Notifications_page_by_cursor_and_are_marked_read_by_id_or_all()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        await alice.OkAsync("/files/create_folder", new { path = "/Log" });
        await ShareAsync(alice, "/Log", bob, "editor");
        var rev = (await alice.UploadOkAsync("/Log/log.txt", Bytes("0")))["rev"]!.GetValue<string>();
        for (var i = 1; i <= 5; i++)
        {
            factory.Clock.Advance(TimeSpan.FromSeconds(1));
            rev = (await bob.UploadOkAsync("/Log/log.txt", Bytes($"{i}"), "update", rev))["rev"]!.GetValue<string>();
        }

        // The fan-out is asynchronous: wait until all six (Bob joining, then his five edits) are recorded.
        var all = await Eventually.ProbeUntilAsync(
            () => alice.OkAsync("/notifications/list", new { limit = 50 }), list => Items(list).Count >= 6, TimeSpan.FromSeconds(10));

        var first = await alice.OkAsync("/notifications/list", new { limit = 2 });
        var second = await alice.OkAsync("/notifications/list", new { limit = 2, cursor = first["cursor"]!.GetValue<string>() });
        var third = await alice.OkAsync("/notifications/list", new { limit = 2, cursor = second["cursor"]!.GetValue<string>() });
        var ids = Items(all).Select(n => n!["notification_id"]!.GetValue<string>()).ToArray();

        Assert.Equal(6, ids.Length);
        Assert.Equal(ids, Items(first).Concat(Items(second)).Concat(Items(third)).Select(n => n!["notification_id"]!.GetValue<string>()).ToArray());
        Assert.Equal(6, all["unread"]!.GetValue<int>());

        await alice.OkAsync("/notifications/mark_read", new { ids = new[] { ids[0], ids[1] } });
        // Another user's mark_read with Alice's ids changes nothing of hers.
        await bob.OkAsync("/notifications/mark_read", new { ids = new[] { ids[2] } });
        await bob.OkAsync("/notifications/mark_read", new { });
        var afterSome = await alice.OkAsync("/notifications/list", new { limit = 50 });
        Assert.Equal(4, afterSome["unread"]!.GetValue<int>());
        Assert.True(Items(afterSome)[0]!["read"]!.GetValue<bool>());
        Assert.False(Items(afterSome)[2]!["read"]!.GetValue<bool>());

        await alice.OkAsync("/notifications/mark_read", new { });
        Assert.Equal(0, (await alice.OkAsync("/notifications/list", new { }))["unread"]!.GetValue<int>());
    }
}
