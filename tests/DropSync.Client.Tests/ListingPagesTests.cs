using DropSync.Client.Api;
using DropSync.Client.Sync;

namespace DropSync.Client.Tests;

/// <summary>A listing's pages are applied in order while the next one is already asked for.</summary>
public sealed class ListingPagesTests
{
    private static ChangePage Page(int number, bool hasMore) =>
        new([new RemoteChange("file", $"/p{number}.txt", $"p{number}.txt", "rev", 1, null, null, null, null, null)], $"c{number}", hasMore);

    [Fact]
    public async Task The_next_page_is_asked_for_before_this_one_is_applied_and_pages_apply_in_order()
    {
        var asked = new List<string>();
        var applied = new List<string>();
        var askedWhenApplying = new List<int>();
        var cursor = await CursorChangeSource.FollowPagesAsync(
            Task.FromResult(Page(1, true)),
            c =>
            {
                asked.Add(c);
                var n = int.Parse(c[1..], System.Globalization.CultureInfo.InvariantCulture) + 1;
                return Task.Run(() => Page(n, n < 4));
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
        var follow = CursorChangeSource.FollowPagesAsync(
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
        var follow = CursorChangeSource.FollowPagesAsync(
            Task.FromResult(Page(1, true)),
            _ => Task.FromException<ChangePage>(new DropSyncApiException(System.Net.HttpStatusCode.Conflict, "reset", "list afresh", default)),
            page => applied.Add(page.Cursor));

        var e = await Assert.ThrowsAsync<DropSyncApiException>(() => follow);
        Assert.Equal("reset", e.Code);
        Assert.Equal(["c1"], applied);
    }
}
