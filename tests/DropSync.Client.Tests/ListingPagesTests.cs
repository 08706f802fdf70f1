using DropSync.Client.Api;
using DropSync.Client.Sync;

namespace DropSync.Client.Tests;

/// <summary>A listing's pages are applied in order while the next one is already asked for, and stored page by page.</summary>
public sealed class ListingPagesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dropsync-listing-pages-").FullName;

    private static ChangePage Page(int number, bool hasMore) =>
        new([new RemoteChange("file", $"/p{number}.txt", $"p{number}.txt", "rev", 1, null, null, null, null, null)], $"c{number}", hasMore);

    /// <summary>The page after cursor <c>c{n}</c> (page n + 1), of a listing whose last page is <paramref name="last"/>.</summary>
    private static ChangePage PageAfter(string cursor, int last)
    {
        var number = int.Parse(cursor[1..], System.Globalization.CultureInfo.InvariantCulture) + 1;
        return Page(number, number < last);
    }

    [Fact]
    public async Task The_next_page_is_asked_for_before_this_one_is_applied_and_pages_apply_in_order()
    {
        var asked = new List<string>();
        var applied = new List<string>();
        var askedWhenApplying = new List<int>();
        var cursor = await ListingPages.FollowAsync(
            Task.FromResult(Page(1, true)),
            c =>
            {
                asked.Add(c);
                return Task.Run(() => PageAfter(c, last: 4));
            },
            page =>
            {
                askedWhenApplying.Add(asked.Count);
                applied.Add(page.Cursor);
            });

        Assert.Equal("c4", cursor);
        Assert.Equal(["c1", "c2", "c3", "c4"], applied);
        // While page n (of 4) was applied, the request for page n + 1 had gone; none after the last.
        Assert.Equal([1, 2, 3, 3], askedWhenApplying);
        Assert.Equal(["c1", "c2", "c3"], asked);
    }

    [Fact]
    public async Task A_page_that_fails_to_apply_waits_for_the_request_in_flight_then_fails()
    {
        var next = new TaskCompletionSource<ChangePage>();
        var follow = ListingPages.FollowAsync(
            Task.FromResult(Page(1, true)),
            _ => next.Task,
            _ => throw new InvalidDataException("bad entry"));

        await Task.Delay(50);
        Assert.False(follow.IsCompleted);
        next.SetException(new HttpRequestException("gone"));
        await Assert.ThrowsAsync<InvalidDataException>(() => follow);
    }

    [Fact]
    public async Task A_failed_next_page_fails_the_listing_after_the_page_in_hand_is_applied()
    {
        var applied = new List<string>();
        var follow = ListingPages.FollowAsync(
            Task.FromResult(Page(1, true)),
            _ => Task.FromException<ChangePage>(new DropSyncApiException(System.Net.HttpStatusCode.Conflict, "reset", "list afresh", default)),
            page => applied.Add(page.Cursor));

        var e = await Assert.ThrowsAsync<DropSyncApiException>(() => follow);
        Assert.Equal("reset", e.Code);
        Assert.Equal(["c1"], applied);
    }

    [Fact]
    public async Task Each_page_is_stored_with_its_cursor_in_order_while_the_listing_goes_on()
    {
        var stores = new List<(string Cursor, bool Replace, string[] Keys)>();
        var firstStore = new TaskCompletionSource();
        var tree = new RemoteTree();
        var follow = ListingPages.FollowAndStoreAsync(
            Task.FromResult(Page(1, true)),
            c => Task.FromResult(PageAfter(c, last: 3)),
            tree,
            null,
            replace: true,
            (changes, cursor, replace) =>
            {
                if (cursor == "c1")
                {
                    // The first page's store is slow: the listing must not wait for it.
                    firstStore.Task.Wait(TimeSpan.FromSeconds(10));
                }

                lock (stores)
                {
                    stores.Add((cursor, replace, changes.Keys.ToArray()));
                }
            },
            storeEvery: 1);

        // Every page was applied while the first page's store still ran; nothing after it was stored before it.
        await WaitUntilAsync(() => tree.Count == 3);
        Assert.False(follow.IsCompleted);
        lock (stores)
        {
            Assert.Empty(stores);
        }

        firstStore.SetResult();
        Assert.Equal("c3", await follow);
        Assert.Equal(["c1", "c2", "c3"], stores.Select(s => s.Cursor));
        Assert.Equal([true, false, false], stores.Select(s => s.Replace));
        Assert.Equal(["/p1.txt", "/p2.txt", "/p3.txt"], stores.SelectMany(s => s.Keys));
    }

    [Fact]
    public async Task A_listing_cut_off_part_way_goes_on_next_time_from_its_last_stored_page()
    {
        using (var index = LocalIndex.Open(_root))
        {
            var cutOff = ListingPages.FollowAndStoreAsync(
                Task.FromResult(Page(1, true)),
                c => c == "c1" ? Task.FromResult(Page(2, true)) : Task.FromException<ChangePage>(new HttpRequestException("connection lost")),
                new RemoteTree(),
                null,
                replace: true,
                index.SaveRemote,
                storeEvery: 1);
            await Assert.ThrowsAsync<HttpRequestException>(() => cutOff);
            Assert.Equal("c2", index.GetSetting(LocalIndex.RemoteCursorSetting));
        }

        using var reopened = LocalIndex.Open(_root);
        var tree = reopened.LoadRemote();
        Assert.Equal(["/p1.txt", "/p2.txt"], tree.Keys.Order(StringComparer.Ordinal));
        var asked = new List<string>();
        var changed = new Dictionary<string, RemoteEntry?>(StringComparer.Ordinal);
        var cursor = await ListingPages.FollowAndStoreAsync(
            Task.FromResult(Page(3, true)),
            c =>
            {
                asked.Add(c);
                return Task.FromResult(Page(4, false));
            },
            tree,
            changed,
            replace: false,
            reopened.SaveRemote,
            storeEvery: 1);

        Assert.Equal("c4", cursor);
        Assert.Equal(["c3"], asked);
        Assert.Equal(["/p3.txt", "/p4.txt"], changed.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("c4", reopened.GetSetting(LocalIndex.RemoteCursorSetting));
        Assert.Equal(["/p1.txt", "/p2.txt", "/p3.txt", "/p4.txt"], reopened.LoadRemote().Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_failed_store_fails_the_listing_and_no_later_page_is_stored()
    {
        var stored = new List<string>();
        var follow = ListingPages.FollowAndStoreAsync(
            Task.FromResult(Page(1, true)),
            c => Task.FromResult(PageAfter(c, last: 4)),
            new RemoteTree(),
            null,
            replace: true,
            (_, cursor, _) =>
            {
                if (cursor == "c2")
                {
                    throw new IOException("disk full");
                }

                lock (stored)
                {
                    stored.Add(cursor);
                }
            },
            storeEvery: 1);

        await Assert.ThrowsAsync<IOException>(() => follow);
        Assert.Equal(["c1"], stored);
    }

    [Fact]
    public async Task Changes_are_stored_together_every_so_many_and_the_last_page_whatever_its_count()
    {
        var stores = new List<(string Cursor, int Count)>();
        var cursor = await ListingPages.FollowAndStoreAsync(
            Task.FromResult(Page(1, true)),
            c => Task.FromResult(PageAfter(c, last: 5)),
            new RemoteTree(),
            null,
            replace: true,
            (changes, c, _) => stores.Add((c, changes.Count)),
            storeEvery: 2);

        Assert.Equal("c5", cursor);
        Assert.Equal([("c2", 2), ("c4", 2), ("c5", 1)], stores);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}
