using DropSync.Client.Api;
using DropSync.Client.Sync;
using DropSync.Client.Tests.Infrastructure;
using static DropSync.Testing.Eventually;

namespace DropSync.Client.Tests;

/// <summary>The live feed protocol of the contract, against a server that answers only what it is asked (as API Gateway does).</summary>
public sealed class LiveFeedProtocolTests
{
    [Fact]
    public async Task The_feed_opens_at_the_configured_url_says_hello_pings_and_reconnects_when_cut()
    {
        await using var server = new FakeFeedServer();
        using var api = new DropSyncApi(server.BaseAddress, "secret-token");
        await using var source = new CursorChangeSource(api) { PingInterval = TimeSpan.FromMilliseconds(200), Debounce = TimeSpan.FromMilliseconds(1) };

        // The first wait starts the feed; the server's answer to our hello wakes it (a catch-up).
        var woke = System.Diagnostics.Stopwatch.StartNew();
        await source.WaitForChangeAsync(TimeSpan.FromSeconds(20), default);
        Assert.True(woke.Elapsed < TimeSpan.FromSeconds(15), "the hello answer did not wake the waiter");
        Assert.Equal(1, source.Hellos);

        var (query, authorization) = Assert.Single(server.Handshakes);
        Assert.Equal("?access_token=secret-token", query);
        Assert.Equal("Bearer secret-token", authorization);
        Assert.Equal((1, """{"action":"hello"}"""), server.Received.First());

        // Pings every interval; the pongs are taken quietly (the feed stays up, nothing wakes).
        await WaitUntilAsync(() => server.Received.Count(m => m.Message == """{"action":"ping"}""") >= 3, TimeSpan.FromSeconds(10));
        Assert.True(source.Pings >= 3);
        Assert.True(source.Connected);
        Assert.Equal(1, source.Hellos);
        var quiet = System.Diagnostics.Stopwatch.StartNew();
        await source.WaitForChangeAsync(TimeSpan.FromMilliseconds(600), default);
        Assert.True(quiet.Elapsed >= TimeSpan.FromMilliseconds(550), "a pong woke the waiter");

        // Cut as API Gateway does after 2 hours: a new connection, a new hello, and a catch-up.
        await server.CloseAllAsync();
        await WaitUntilAsync(() => source.Hellos == 2, TimeSpan.FromSeconds(10));
        Assert.Equal(2, server.Handshakes.Count);
        Assert.Contains((2, """{"action":"hello"}"""), server.Received);
        var caughtUp = System.Diagnostics.Stopwatch.StartNew();
        await source.WaitForChangeAsync(TimeSpan.FromSeconds(20), default);
        Assert.True(caughtUp.Elapsed < TimeSpan.FromSeconds(15), "the reconnect did not wake the waiter");
    }
}
