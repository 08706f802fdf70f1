using System.Net;
using DropSync.Aws.Tests.Infrastructure;

namespace DropSync.Aws.Tests;

/// <summary>
/// The web app's Content-Security-Policy in AWS mode: besides its own origin it connects to exactly the WebSocket API's
/// (the live feed, as GET /config gives it) and the S3 endpoint its presigned block URLs point at — no wildcard.
/// </summary>
[Collection(AwsModeCollection.Name)]
public sealed class WebAppContentSecurityPolicyTests(DynamoDbServer dynamo, S3Server s3) : IAsyncLifetime
{
    private AwsModeHost? _host;

    public async Task InitializeAsync() => _host = await AwsModeHost.StartAsync(dynamo, s3);

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Fact]
    public async Task Connect_src_is_self_the_websocket_api_and_the_s3_endpoint_of_the_block_urls()
    {
        using var anonymous = _host!.CreateClient();
        using var response = await anonymous.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        var connectSrc = policy.Split(';', StringSplitOptions.TrimEntries).Single(d => d.StartsWith("connect-src ", StringComparison.Ordinal));
        var s3Origin = new Uri(_host.S3Endpoint).GetLeftPart(UriPartial.Authority);
        Assert.Equal($"connect-src 'self' wss://abcd1234.execute-api.us-east-1.amazonaws.com {s3Origin}", connectSrc);
        Assert.DoesNotContain("*", connectSrc, StringComparison.Ordinal);
    }
}
