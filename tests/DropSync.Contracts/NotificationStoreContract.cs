using DropSync.Core.Model;
using DropSync.Core.Ports;
using Xunit;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Contracts;

/// <summary>
/// The behaviour every <see cref="INotificationStore"/> adapter must have: each user's history newest first, paged by
/// id without gaps or repeats, with read state that only that user's own calls change.
/// </summary>
public abstract class NotificationStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>A new, empty store, isolated from every other test's; the subclass cleans it up.</summary>
    protected abstract Task<INotificationStore> CreateStoreAsync();

    [Fact]
    public async Task Notifications_round_trip_and_are_listed_newest_first_by_time_then_id()
    {
        var store = await CreateStoreAsync();
        var old = NewNotification("alice", At(1), "n_a") with { Kind = "deleted", Path = "/Docs/ü \" ' & ≠.txt", Read = true };
        var tieLow = NewNotification("alice", At(5), "n_b");
        var tieHigh = NewNotification("alice", At(5), "n_c");
        var newest = NewNotification("alice", At(9), "n_0");

        await store.AddAsync([tieHigh, old], None);
        await store.AddAsync([newest, tieLow], None);
        await store.AddAsync([], None);

        Assert.Equal([newest, tieHigh, tieLow, old], await store.ListAsync(old.UserId, null, 10, None));
        Assert.Equal([newest, tieHigh], await store.ListAsync(old.UserId, null, 2, None));
        Assert.Empty(await store.ListAsync("u_nobody", null, 10, None));
    }

    [Fact]
    public async Task Paging_by_the_last_id_walks_every_notification_once_in_order()
    {
        var store = await CreateStoreAsync();
        var all = Enumerable.Range(0, 23)
            .Select(i => NewNotification("alice", At(i / 3), "n_" + Guid.NewGuid().ToString("N")))
            .ToList();
        await store.AddAsync(all, None);

        var pages = new List<IReadOnlyList<Notification>>();
        string? before = null;
        do
        {
            var page = await store.ListAsync("u_alice", before, 5, None);
            pages.Add(page);
            before = page.Count == 0 ? null : page[^1].NotificationId;
        }
        while (pages[^1].Count == 5);

        var expected = all.OrderByDescending(n => n.Time).ThenByDescending(n => n.NotificationId, StringComparer.Ordinal).ToList();
        Assert.Equal(expected, pages.SelectMany(p => p));
        Assert.Equal([5, 5, 5, 5, 3], pages.Select(p => p.Count));
        Assert.Empty(await store.ListAsync("u_alice", expected[^1].NotificationId, 5, None));
    }

    [Fact]
    public async Task Marking_read_by_id_or_all_at_once_lowers_the_unread_count()
    {
        var store = await CreateStoreAsync();
        var list = Enumerable.Range(0, 5).Select(i => NewNotification("alice", At(i), $"n_{i}")).ToList();
        await store.AddAsync([.. list, NewNotification("alice", At(9), "n_read") with { Read = true }], None);

        Assert.Equal(5, await store.CountUnreadAsync("u_alice", None));

        await store.MarkReadAsync("u_alice", ["n_1", "n_3", "n_unknown"], None);
        await store.MarkReadAsync("u_alice", [], None);

        Assert.Equal(3, await store.CountUnreadAsync("u_alice", None));
        Assert.Equal(
            ["n_read", "n_3", "n_1"],
            (await store.ListAsync("u_alice", null, 10, None)).Where(n => n.Read).Select(n => n.NotificationId));

        await store.MarkReadAsync("u_alice", null, None);

        Assert.Equal(0, await store.CountUnreadAsync("u_alice", None));
        Assert.All(await store.ListAsync("u_alice", null, 10, None), n => Assert.True(n.Read));
        Assert.Equal(0, await store.CountUnreadAsync("u_nobody", None));
    }

    [Fact]
    public async Task A_user_never_sees_counts_or_marks_another_users_notifications()
    {
        var store = await CreateStoreAsync();
        var alices = Enumerable.Range(0, 3).Select(i => NewNotification("alice", At(i * 2), $"n_alice_{i}")).ToList();
        var bobs = Enumerable.Range(0, 3).Select(i => NewNotification("bob", At((i * 2) + 1), $"n_bob_{i}")).ToList();
        await store.AddAsync([.. alices, .. bobs], None);

        Assert.All(await store.ListAsync("u_alice", null, 100, None), n => Assert.Equal("u_alice", n.UserId));
        Assert.All(await store.ListAsync("u_alice", bobs[^1].NotificationId, 100, None), n => Assert.Equal("u_alice", n.UserId));
        Assert.Equal(3, (await store.ListAsync("u_alice", null, 100, None)).Count);

        await store.MarkReadAsync("u_alice", [.. bobs.Select(b => b.NotificationId)], None);
        Assert.Equal(3, await store.CountUnreadAsync("u_bob", None));
        Assert.Equal(3, await store.CountUnreadAsync("u_alice", None));

        await store.MarkReadAsync("u_alice", null, None);
        Assert.Equal(0, await store.CountUnreadAsync("u_alice", None));
        Assert.Equal(3, await store.CountUnreadAsync("u_bob", None));
        Assert.Equal([.. bobs.AsEnumerable().Reverse()], await store.ListAsync("u_bob", null, 100, None));
    }

    private static Notification NewNotification(string user, DateTimeOffset time, string id) => new()
    {
        NotificationId = id,
        UserId = "u_" + user,
        Kind = "edited",
        Path = "/Project/plan.txt",
        ActorEmail = "carol@example.com",
        ActorDeviceId = "dev_carol",
        Time = time,
    };
}
