using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.Runtime.Internal.Auth;
using DropSync.Aws.Push;
using DropSync.Aws.Tests.Infrastructure;
using DropSync.Core.Ports;
using Microsoft.Extensions.DependencyInjection;

namespace DropSync.Aws.Tests;

/// <summary>
/// A revoked or signed-out device's WebSocket connections are closed at once in AWS mode: a SigV4-signed
/// DELETE @connections/{id} per connection (the loopback listener stands in for API Gateway), its connection records
/// deleted, so no later push goes to it even where the close failed, and its hello is refused.
/// </summary>
[Collection(AwsModeCollection.Name)]
public sealed class DeviceConnectionClosingTests(DynamoDbServer dynamo, S3Server s3) : IAsyncLifetime
{
    private const string AccessKey = "AKIDHTTPFUNCTION";
    private const string SecretKey = "http-function-secret";
    private AwsModeHost? _host;

    private AwsModeHost Host => _host!;

    // The function's own credentials, as Lambda puts them in its environment: they sign, not the "local" fallback.
    public async Task InitializeAsync() => _host = await AwsModeHost.StartAsync(dynamo, s3, new Dictionary<string, string>
    {
        ["AWS_ACCESS_KEY_ID"] = AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = SecretKey,
    });

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Fact]
    public async Task Revoking_a_device_deletes_its_connections_with_a_signed_call_and_it_gets_no_more_pushes()
    {
        var (laptop, email, _, _) = await Host.SignUpAsync("laptop");
        var (phoneToken, phoneId) = await Host.LoginAsync(Host.CreateClient(), email, "phone");
        var (tabletToken, _) = await Host.LoginAsync(Host.CreateClient(), email, "tablet");
        await Host.ConnectAsync("phoneA=", phoneToken);
        await Host.ConnectAsync("phoneB=", phoneToken);
        await Host.ConnectAsync("tablet=", tabletToken);
        Host.Listener.Gone.Add(AwsModeHost.ConnectionPath("phoneB="));

        using (var revoke = await laptop.PostAsJsonAsync("/auth/revoke_device", new { device_id = phoneId }))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }

        var deletes = Host.Listener.Received.Where(r => r.Method == "DELETE").ToList();
        Assert.Equal(
            [AwsModeHost.ConnectionPath("phoneA="), AwsModeHost.ConnectionPath("phoneB=")],
            deletes.Select(d => d.Path).Order(StringComparer.Ordinal));
        foreach (var delete in deletes)
        {
            Assert.Equal(ExpectedAuthorization("DELETE", delete.Path, delete.AmzDate!), delete.Authorization);
        }

        var store = new DynamoDbConnectionStore(Host.Db);
        Assert.Null(await store.GetAsync("phoneA=", CancellationToken.None));
        Assert.Null(await store.GetAsync("phoneB=", CancellationToken.None));
        var tablet = await store.GetAsync("tablet=", CancellationToken.None);
        Assert.NotNull(tablet);
        Assert.Equal(["tablet="], (await store.ListByUserAsync(tablet.UserId, DateTimeOffset.UtcNow, CancellationToken.None)).Select(c => c.ConnectionId));

        // The next push goes to the tablet only.
        var push = Host.Factory.Services.GetRequiredService<IPushGateway>();
        await push.PushAsync(tablet.UserId, new PushMessage("notification", new Dictionary<string, object?> { ["text"] = "after revoke" }, null), CancellationToken.None);
        var posts = Host.Listener.Received.Where(r => r.Method == "POST").Select(r => r.Path).ToList();
        Assert.Equal([AwsModeHost.ConnectionPath("tablet=")], posts);

        // Even had API Gateway kept the socket open, the fan-out no longer finds it; a hello on it is refused and closes it.
        var hello = await Host.MessageAsync("phoneA=", """{"action":"hello"}""");
        Assert.Equal(410, hello["statusCode"]!.GetValue<int>());
        Assert.Equal("connection_gone", JsonNode.Parse(hello["body"]!.GetValue<string>())!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Logging_out_closes_the_devices_own_connections_only()
    {
        var (laptop, email, laptopToken, _) = await Host.SignUpAsync("laptop");
        var (phoneToken, _) = await Host.LoginAsync(Host.CreateClient(), email, "phone");
        await Host.ConnectAsync("laptop1=", laptopToken);
        await Host.ConnectAsync("phone1=", phoneToken);

        using (var logout = await laptop.PostAsJsonAsync("/auth/logout", new { }))
        {
            Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        }

        var delete = Assert.Single(Host.Listener.Received, r => r.Method == "DELETE");
        Assert.Equal(AwsModeHost.ConnectionPath("laptop1="), delete.Path);
        Assert.StartsWith($"AWS4-HMAC-SHA256 Credential={AccessKey}/", delete.Authorization, StringComparison.Ordinal);
        var store = new DynamoDbConnectionStore(Host.Db);
        Assert.Null(await store.GetAsync("laptop1=", CancellationToken.None));
        Assert.NotNull(await store.GetAsync("phone1=", CancellationToken.None));
    }

    /// <summary>The Authorization header SigV4 gives this request with the function's keys (execute-api, us-east-1, no body).</summary>
    private string ExpectedAuthorization(string method, string rawPath, string amzDate)
    {
        var signedAt = DateTime.ParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);
        var host = new Uri(Host.Listener.BaseUrl).Authority;
        var canonicalUri = string.Join('/', rawPath.Split('/').Select(Uri.EscapeDataString));
        var canonicalRequest = new StringBuilder()
            .Append(method).Append('\n').Append(canonicalUri).Append("\n\n")
            .Append("host:").Append(host).Append('\n')
            .Append("x-amz-date:").Append(amzDate).Append("\n\n")
            .Append("host;x-amz-date\n")
            .Append(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([])))
            .ToString();
        var credentials = new BasicAWSCredentials(AccessKey, SecretKey).GetCredentials();
        return AWS4Signer.ComputeSignature(credentials, "us-east-1", signedAt, "execute-api", "host;x-amz-date", canonicalRequest).ForAuthorizationHeader;
    }
}
