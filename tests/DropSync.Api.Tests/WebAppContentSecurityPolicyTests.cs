using System.Net;
using DropSync.Api.Tests.Infrastructure;

namespace DropSync.Api.Tests;

/// <summary>The web app's Content-Security-Policy in embedded mode: it connects to this server only (API, live feed, blocks).</summary>
public sealed class WebAppContentSecurityPolicyTests(DropSyncApiFactory factory) : IClassFixture<DropSyncApiFactory>
{
    private static string ConnectSrc(HttpResponseMessage response)
    {
        var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        return policy.Split(';', StringSplitOptions.TrimEntries).Single(d => d.StartsWith("connect-src ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connect_src_is_self_and_the_live_feed_and_block_url_origins_of_this_server()
    {
        using var anonymous = factory.CreateClient();
        using var response = await anonymous.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("connect-src 'self' ws://localhost http://localhost", ConnectSrc(response));
    }

    [Fact]
    public async Task Connect_src_follows_the_public_base_url()
    {
        await using var server = DropSyncApiFactory.WithSettings(("DropSync:PublicBaseUrl", "https://drop.example.com/"));
        using var anonymous = server.CreateClient();
        using var response = await anonymous.GetAsync("/app/files");
        Assert.Equal("connect-src 'self' wss://drop.example.com https://drop.example.com", ConnectSrc(response));
    }
}
