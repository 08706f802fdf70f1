using System.Diagnostics;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static DropSync.Api.Tests.Infrastructure.Sharing;

namespace DropSync.Api.Tests;

/// <summary>
/// The live change feed: each change reaches exactly the devices it concerns. Absence is checked after a later change
/// the device does get: the fan-out is one ordered queue, so anything earlier would have arrived first.
/// </summary>
public sealed class LiveFeedTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    [Fact]
    public async Task A_change_reaches_the_users_other_devices_and_share_members_but_not_its_origin_or_strangers()
    {
        var alice = await factory.SignUpAsync(deviceName: "laptop");
        var alicePhone = await factory.SignInAsync(alice.Email!, "phone");
        var bob = await factory.SignUpAsync();
        var stranger = await factory.SignUpAsync();
        await alice.OkAsync("/files/create_folder", new { path = "/Shared" });
        await ShareAsync(alice, "/Shared", bob, "viewer");
        await using var laptopFeed = await LiveFeed.ConnectAsync(factory, alice);
        await using var laptopEcho = await LiveFeed.ConnectAsync(factory, alice, echo: true, tokenInQuery: true);
        await using var phoneFeed = await LiveFeed.ConnectAsync(factory, alicePhone, tokenInQuery: true);
        await using var bobFeed = await LiveFeed.ConnectAsync(factory, bob);
        await using var strangerFeed = await LiveFeed.ConnectAsync(factory, stranger);

        var clock = Stopwatch.StartNew();
        var committed = await alice.UploadOkAsync("/Shared/report.txt", Bytes("report"));
        var onPhone = await phoneFeed.WaitForChangeAsync("/Shared/report.txt", "added");
        var latency = clock.Elapsed;
        var onBob = await bobFeed.WaitForChangeAsync("/Shared/report.txt", "added");
        var echoed = await laptopEcho.WaitForChangeAsync("/Shared/report.txt", "added");
        await alice.UploadOkAsync("/private.txt", Bytes("mine"));
        await phoneFeed.WaitForChangeAsync("/private.txt");
        using var strangerTablet = await factory.SignInAsync(stranger.Email!, "tablet");
        await strangerTablet.UploadOkAsync("/stranger-sentinel.txt", Bytes("s"));
        await strangerFeed.WaitForChangeAsync("/stranger-sentinel.txt");
        using var bobTablet = await factory.SignInAsync(bob.Email!, "tablet");
        await bobTablet.UploadOkAsync("/bob-sentinel.txt", Bytes("b"));
        await bobFeed.WaitForChangeAsync("/bob-sentinel.txt");
        await laptopEcho.WaitForChangeAsync("/private.txt");

        Assert.Equal(committed["rev"]!.GetValue<string>(), onPhone["rev"]!.GetValue<string>());
        Assert.Equal(alice.DeviceId, onPhone["device_id"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(onPhone["cursor"]?.GetValue<string>()));
        Assert.Equal(committed["rev"]!.GetValue<string>(), onBob["rev"]!.GetValue<string>());
        Assert.Equal(alice.DeviceId, echoed["device_id"]!.GetValue<string>());
        Assert.True(latency < TimeSpan.FromSeconds(2), $"the change took {latency.TotalMilliseconds} ms");
        Assert.False(laptopFeed.HasChangeAt("/Shared/report.txt"), "the originating device got its own change without echo=true");
        Assert.False(laptopFeed.HasChangeAt("/private.txt"));
        Assert.False(bobFeed.HasChangeAt("/private.txt"), "Bob got a change outside the folder shared with him");
        Assert.DoesNotContain(strangerFeed.Changes, c => LiveFeed.PathOf(c)!.Contains("Shared", StringComparison.Ordinal) || LiveFeed.PathOf(c) == "/private.txt");
    }

    [Fact]
    public async Task An_event_cursor_continues_exactly_after_that_event()
    {
        var alice = await factory.SignUpAsync(deviceName: "laptop");
        var phone = await factory.SignInAsync(alice.Email!, "phone");
        await using var feed = await LiveFeed.ConnectAsync(factory, phone);
        await alice.UploadOkAsync("/one.txt", Bytes("1"));
        var first = await feed.WaitForChangeAsync("/one.txt");
        await alice.UploadOkAsync("/two.txt", Bytes("2"));
        await feed.WaitForChangeAsync("/two.txt");

        var rest = await phone.OkAsync("/files/list_folder/continue", new { cursor = first["cursor"]!.GetValue<string>() });
        Assert.Equal(["/two.txt"], Paths(rest));
    }

    [Fact]
    public async Task An_editors_change_reaches_the_owners_devices_and_a_removed_member_hears_nothing_more()
    {
        var alice = await factory.SignUpAsync();
        var bob = await factory.SignUpAsync();
        var carol = await factory.SignUpAsync();
        await alice.OkAsync("/files/create_folder", new { path = "/Project" });
        await ShareAsync(alice, "/Project", bob, "editor");
        await ShareAsync(alice, "/Project", carol, "viewer");
        await using var aliceFeed = await LiveFeed.ConnectAsync(factory, alice);
        await using var carolFeed = await LiveFeed.ConnectAsync(factory, carol);
        await using var bobFeed = await LiveFeed.ConnectAsync(factory, bob);

        await bob.UploadOkAsync("/Project/by-bob.txt", Bytes("bob"));
        var onAlice = await aliceFeed.WaitForChangeAsync("/Project/by-bob.txt", "added");
        await carolFeed.WaitForChangeAsync("/Project/by-bob.txt", "added");

        await alice.OkAsync("/sharing/remove_member", new { path = "/Project", email = carol.Email });
        var unshared = await carolFeed.WaitForChangeAsync("/Project", "unshared");
        await bob.UploadOkAsync("/Project/after.txt", Bytes("after"));
        await aliceFeed.WaitForChangeAsync("/Project/after.txt");
        using var carolTablet = await factory.SignInAsync(carol.Email!, "tablet");
        await carolTablet.UploadOkAsync("/carol-sentinel.txt", Bytes("c"));
        await carolFeed.WaitForChangeAsync("/carol-sentinel.txt");

        Assert.Equal(bob.DeviceId, onAlice["device_id"]!.GetValue<string>());
        Assert.Equal("deleted", unshared["tag"]!.GetValue<string>());
        Assert.False(carolFeed.HasChangeAt("/Project/after.txt"), "a removed member still got the folder's changes");
        Assert.Equal(404, HttpStatusCodeOf(await carol.PostAsync("/files/list_folder", new { path = "/Project" })));
    }

    [Fact]
    public async Task When_the_server_stops_connected_devices_are_told_it_is_going_away_at_once()
    {
        // Its own server, since the test stops it. Without this, shutdown waited out its 30 s timeout for each socket.
        using var server = DropSyncApiFactory.WithSettings();
        var alice = await server.SignUpAsync();
        await using var laptop = await LiveFeed.ConnectAsync(server, alice);
        await using var phone = await LiveFeed.ConnectAsync(server, await server.SignInAsync(alice.Email!, "phone"));

        server.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        foreach (var feed in new[] { laptop, phone })
        {
            await feed.WaitClosedAsync();
            Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable, feed.CloseStatus);
        }
    }

    [Fact]
    public async Task Signing_a_device_out_closes_its_socket_and_a_revoked_token_cannot_connect()
    {
        var alice = await factory.SignUpAsync(deviceName: "laptop");
        var phone = await factory.SignInAsync(alice.Email!, "phone");
        var feed = await LiveFeed.ConnectAsync(factory, phone);
        await alice.OkAsync("/auth/revoke_device", new { device_id = phone.DeviceId });
        await feed.WaitClosedAsync();
        await feed.DisposeAsync();

        await Assert.ThrowsAnyAsync<Exception>(() => LiveFeed.ConnectAsync(factory, phone));
        var anonymous = factory.Server.CreateWebSocketClient();
        await Assert.ThrowsAnyAsync<Exception>(() => anonymous.ConnectAsync(new Uri(factory.Server.BaseAddress, "/notifications/ws"), CancellationToken.None));
    }

    [Fact]
    public async Task Over_real_tcp_every_device_of_every_member_gets_each_change_once_and_in_order()
    {
        var root = Directory.CreateTempSubdirectory("dropsync-live-").FullName;
        try
        {
            await using var server = await ServerProcess.StartAsync(Path.Combine(root, "data"), Path.Combine(root, "keys"));
            async Task<ApiClient> NewUserAsync(string name)
            {
                var c = new ApiClient(server.CreateClient());
                await c.RegisterAsync($"{name}-{Guid.NewGuid():N}@example.com", "correct horse battery");
                await c.LoginAsync(c.Email!, "correct horse battery", name);
                return c;
            }

            var alice = await NewUserAsync("alice");
            var bob = await NewUserAsync("bob");
            var stranger = await NewUserAsync("stranger");
            var bobTablet = new ApiClient(server.CreateClient());
            await bobTablet.LoginAsync(bob.Email!, "correct horse battery", "tablet");
            await alice.OkAsync("/files/create_folder", new { path = "/Live" });
            await ShareAsync(alice, "/Live", bob, "editor");
            await using var bobFeed = await LiveFeed.ConnectAsync(server.BaseAddress, bob);
            await using var tabletFeed = await LiveFeed.ConnectAsync(server.BaseAddress, bobTablet);
            await using var aliceFeed = await LiveFeed.ConnectAsync(server.BaseAddress, alice);
            await using var strangerFeed = await LiveFeed.ConnectAsync(server.BaseAddress, stranger);

            var revs = new List<string>();
            for (var i = 0; i < 20; i++)
            {
                revs.Add((await alice.UploadOkAsync("/Live/counter.txt", Bytes($"v{i}"), "overwrite"))["rev"]!.GetValue<string>());
            }

            await bob.UploadOkAsync("/Live/from-bob.txt", Bytes("bob"));
            await bobFeed.WaitForChangeAsync("/Live/counter.txt");
            await tabletFeed.WaitForChangeAsync("/Live/from-bob.txt");
            await aliceFeed.WaitForChangeAsync("/Live/from-bob.txt");
            var strangerTablet = new ApiClient(server.CreateClient());
            await strangerTablet.LoginAsync(stranger.Email!, "correct horse battery", "tablet");
            await strangerTablet.UploadOkAsync("/sentinel.txt", Bytes("s"));
            await strangerFeed.WaitForChangeAsync("/sentinel.txt");

            foreach (var feed in new[] { bobFeed, tabletFeed })
            {
                var seen = feed.Changes.Where(c => LiveFeed.PathOf(c) == "/Live/counter.txt").Select(c => c["rev"]!.GetValue<string>()).ToList();
                Assert.Equal(revs, seen);
            }

            Assert.False(bobFeed.HasChangeAt("/Live/from-bob.txt"), "Bob's own device got its own change");
            Assert.DoesNotContain(strangerFeed.Changes, c => LiveFeed.PathOf(c)!.StartsWith("/Live", StringComparison.Ordinal));
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // Cleaned by the OS eventually.
            }
        }
    }

    private static int HttpStatusCodeOf((System.Net.HttpStatusCode Status, System.Text.Json.Nodes.JsonNode Body) answer) => (int)answer.Status;
}
