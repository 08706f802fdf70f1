using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.Push;
using DropSync.AwsHarness.Recording;
using Microsoft.Extensions.Logging.Abstractions;

namespace DropSync.AwsHarness.Tests.WebSocketApi;

/// <summary>The @connections API: the app's own signed POST is accepted, GET and DELETE work, and bad signatures are refused.</summary>
[Trait("Category", "AwsHarness")]
public sealed class ConnectionsManagementTests
{
    private static readonly BasicAWSCredentials HttpCredentials = new(TestStage.HttpKeyId, TestStage.HttpSecret);
    private static readonly SessionAWSCredentials WebSocketCredentials = new(TestStage.WebSocketKeyId, TestStage.WebSocketSecret, TestStage.WebSocketToken);

    [Fact]
    public async Task The_apps_signed_post_reaches_the_client_with_long_term_and_with_temporary_credentials()
    {
        await using var stage = await TestStage.StartAsync();
        using var client = await stage.ConnectAsync();
        var connectionId = stage.SingleConnectionId();

        foreach (var credentials in new AWSCredentials[] { HttpCredentials, WebSocketCredentials })
        {
            using var push = PushGateway(stage, credentials);
            var status = await push.Gateway.PostAsync(connectionId, Encoding.UTF8.GetBytes("""{"type":"change"}"""), CancellationToken.None);

            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("""{"type":"change"}""", (await TestStage.ReceiveAsync(client)).Text);
        }

        var resource = $"arn:aws:execute-api:eu-west-1:111122223333:wsapi12345/live/POST/@connections/{connectionId}";
        Assert.Equal(
            [new AwsCall("http", "execute-api:ManageConnections", resource), new AwsCall("websocket", "execute-api:ManageConnections", resource)],
            stage.Calls.Snapshot());
    }

    [Fact]
    public async Task A_post_over_32_KB_arrives_as_one_message_and_one_over_128_KB_is_refused_with_413()
    {
        await using var stage = await TestStage.StartAsync();
        using var client = await stage.ConnectAsync();
        var connectionId = stage.SingleConnectionId();
        using var push = PushGateway(stage, HttpCredentials);

        var large = new string('p', 100 * 1024);
        Assert.Equal(HttpStatusCode.OK, await push.Gateway.PostAsync(connectionId, Encoding.UTF8.GetBytes(large), CancellationToken.None));
        Assert.Equal(large, (await TestStage.ReceiveAsync(client)).Text);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await push.Gateway.PostAsync(connectionId, new byte[(128 * 1024) + 1], CancellationToken.None));
        Assert.Equal(WebSocketState.Open, client.State);
    }

    [Fact]
    public async Task A_post_to_a_closed_or_unknown_connection_is_410_gone()
    {
        await using var stage = await TestStage.StartAsync();
        using var client = await stage.ConnectAsync();
        var connectionId = stage.SingleConnectionId();
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await stage.Function.WaitForEventAsync("DISCONNECT");
        using var push = PushGateway(stage, HttpCredentials);

        Assert.Equal(HttpStatusCode.Gone, await push.Gateway.PostAsync(connectionId, [1], CancellationToken.None));
        Assert.Equal(HttpStatusCode.Gone, await push.Gateway.PostAsync("NeverConnected0=", [1], CancellationToken.None));

        using var http = new HttpClient();
        using var get = await Request(stage, HttpMethod.Get, connectionId).SendAsync(http);
        Assert.Equal(HttpStatusCode.Gone, get.StatusCode);
        Assert.Equal("GoneException", get.Headers.GetValues("x-amzn-ErrorType").Single());
    }

    [Fact]
    public async Task A_post_while_connect_runs_is_410_because_the_connection_is_not_made_yet()
    {
        await using var stage = await TestStage.StartAsync();
        using var push = PushGateway(stage, HttpCredentials);
        HttpStatusCode? duringConnect = null;
        stage.Function.Work = async e =>
        {
            if (ScriptedLambdaFunction.EventType(e) == "CONNECT")
            {
                duringConnect = await push.Gateway.PostAsync((string)e["requestContext"]!["connectionId"]!, [1], CancellationToken.None);
            }
        };

        using var client = await stage.ConnectAsync();

        Assert.Equal(HttpStatusCode.Gone, duringConnect);
        Assert.Equal(HttpStatusCode.OK, await push.Gateway.PostAsync(stage.SingleConnectionId(), [1], CancellationToken.None));
    }

    [Fact]
    public async Task Get_describes_the_connection()
    {
        await using var stage = await TestStage.StartAsync();
        using var client = await stage.ConnectAsync(configure: o => o.SetRequestHeader("User-Agent", "dropsync-cli/2"));
        var connectionId = stage.SingleConnectionId();
        await TestStage.SendTextAsync(client, "{}");
        await TestStage.ReceiveAsync(client);

        using var http = new HttpClient();
        using var response = await Request(stage, HttpMethod.Get, connectionId).SendAsync(http);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("127.0.0.1", (string?)body["identity"]?["sourceIp"]);
        Assert.Equal("dropsync-cli/2", (string?)body["identity"]?["userAgent"]);
        var connectedAt = DateTimeOffset.Parse((string)body["connectedAt"]!, System.Globalization.CultureInfo.InvariantCulture);
        var lastActiveAt = DateTimeOffset.Parse((string)body["lastActiveAt"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(lastActiveAt > connectedAt);
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", (string?)body["connectedAt"]);
        Assert.Equal($"arn:aws:execute-api:eu-west-1:111122223333:wsapi12345/live/GET/@connections/{connectionId}", Assert.Single(stage.Calls.Snapshot()).Resource);
    }

    [Fact]
    public async Task Delete_closes_the_connection_and_runs_disconnect()
    {
        await using var stage = await TestStage.StartAsync();
        using var client = await stage.ConnectAsync();
        var connectionId = stage.SingleConnectionId();

        using var http = new HttpClient();
        using var response = await Request(stage, HttpMethod.Delete, connectionId, new ImmutableCredentials(TestStage.WebSocketKeyId, TestStage.WebSocketSecret, TestStage.WebSocketToken)).SendAsync(http);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, (await TestStage.ReceiveAsync(client)).Close);
        var context = (await stage.Function.WaitForEventAsync("DISCONNECT"))["requestContext"]!;
        Assert.Equal(connectionId, (string?)context["connectionId"]);
        Assert.Equal(1000, (int)context["disconnectStatusCode"]!);
        Assert.Equal(0, stage.Emulator.ConnectionCount);
        Assert.Equal(
            new AwsCall("websocket", "execute-api:ManageConnections", $"arn:aws:execute-api:eu-west-1:111122223333:wsapi12345/live/DELETE/@connections/{connectionId}"),
            Assert.Single(stage.Calls.Snapshot()));
    }

    [Fact]
    public async Task A_signed_call_iam_denies_is_refused_with_403_recorded_and_has_no_effect()
    {
        await using var stage = await TestStage.StartAsync(authorize: call => call.Function == "http");
        using var client = await stage.ConnectAsync();
        var connectionId = stage.SingleConnectionId();

        using var http = new HttpClient();
        using var response = await Request(stage, HttpMethod.Delete, connectionId, new ImmutableCredentials(TestStage.WebSocketKeyId, TestStage.WebSocketSecret, TestStage.WebSocketToken)).SendAsync(http);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("AccessDeniedException", response.Headers.GetValues("x-amzn-ErrorType").Single());
        Assert.Equal("websocket", Assert.Single(stage.Calls.Snapshot()).Function);
        Assert.Equal(1, stage.Emulator.ConnectionCount);
        Assert.Equal(WebSocketState.Open, client.State);
    }

    public static TheoryData<string, string> SpoiltRequests => new()
    {
        { "wrong secret", "The request signature we calculated does not match" },
        { "unknown key", "The security token included in the request is invalid." },
        { "stale date", "Signature expired" },
        { "future date", "Signature not yet current" },
        { "wrong region", "Credential should be scoped to a valid region." },
        { "wrong service", "Credential should be scoped to correct service: 'execute-api'." },
        { "missing token", "The security token included in the request is invalid." },
        { "tampered body", "The request signature we calculated does not match" },
    };

    [Theory]
    [MemberData(nameof(SpoiltRequests))]
    public async Task A_spoilt_signature_is_refused_with_403_and_nothing_is_sent_or_recorded(string spoilt, string message)
    {
        await using var stage = await TestStage.StartAsync();
        using var client = await stage.ConnectAsync();
        var connectionId = stage.SingleConnectionId();
        var request = Request(stage, HttpMethod.Post, connectionId) with { Body = "hi"u8.ToArray() };
        request = spoilt switch
        {
            "wrong secret" => request with { Credentials = new ImmutableCredentials(TestStage.HttpKeyId, "not-the-secret", null) },
            "unknown key" => request with { Credentials = new ImmutableCredentials("AKIAUNKNOWNKEY000000", TestStage.HttpSecret, null) },
            "stale date" => request with { SignedAt = DateTime.UtcNow.AddMinutes(-6) },
            "future date" => request with { SignedAt = DateTime.UtcNow.AddMinutes(6) },
            "wrong region" => request with { Region = "us-east-1" },
            "wrong service" => request with { Service = "execute-apis" },
            "missing token" => request with { Credentials = new ImmutableCredentials(TestStage.WebSocketKeyId, TestStage.WebSocketSecret, TestStage.WebSocketToken), SendToken = false },
            _ => request,
        };

        using var http = new HttpClient();
        using var response = spoilt == "tampered body" ? await SendTamperedAsync(request) : await request.SendAsync(http);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains(message, (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["message"], StringComparison.Ordinal);
        Assert.Empty(stage.Calls.Snapshot());
        Assert.Equal(1, stage.Emulator.ConnectionCount);
    }

    [Fact]
    public async Task The_apps_post_signed_six_minutes_ago_is_refused()
    {
        await using var stage = await TestStage.StartAsync();
        using var client = await stage.ConnectAsync();
        using var push = PushGateway(stage, HttpCredentials, new ShiftedTime(TimeSpan.FromMinutes(-6)));

        Assert.Equal(HttpStatusCode.Forbidden, await push.Gateway.PostAsync(stage.SingleConnectionId(), [1], CancellationToken.None));
        Assert.Empty(stage.Calls.Snapshot());
    }

    [Fact]
    public async Task An_unsigned_call_is_refused_as_missing_authentication_token()
    {
        await using var stage = await TestStage.StartAsync();
        using var client = await stage.ConnectAsync();
        using var http = new HttpClient();

        using var response = await http.PostAsync(new Uri(stage.Emulator.ManagementEndpoint + "/%40connections/" + Uri.EscapeDataString(stage.SingleConnectionId())), new StringContent("hi"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("Missing Authentication Token", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["message"]);
    }

    private static SignedManagementRequest Request(TestStage stage, HttpMethod method, string connectionId, ImmutableCredentials? credentials = null) => new()
    {
        Method = method,
        Endpoint = stage.Emulator.ManagementEndpoint,
        ConnectionId = connectionId,
        Credentials = credentials ?? new ImmutableCredentials(TestStage.HttpKeyId, TestStage.HttpSecret, null),
    };

    /// <summary>Signs "hi" but sends "ho".</summary>
    private static async Task<HttpResponseMessage> SendTamperedAsync(SignedManagementRequest request)
    {
        using var tampering = new HttpClient(new BodySwap("ho"u8.ToArray()));
        return await request.SendAsync(tampering);
    }

    private static PushClient PushGateway(TestStage stage, AWSCredentials credentials, TimeProvider? time = null)
    {
        // The gateway's connection store is never used by PostAsync; its DynamoDB client points nowhere.
        var dynamoDb = new AmazonDynamoDBClient(new BasicAWSCredentials("unused", "unused"), new AmazonDynamoDBConfig { ServiceURL = "http://127.0.0.1:9" });
        var http = new HttpClient();
        var gateway = new ApiGatewayPushGateway(
            http,
            new DynamoDbConnectionStore(new DynamoDbContext(dynamoDb, new DynamoDbTableNames())),
            new ApiGatewayPushOptions { Endpoint = stage.Emulator.ManagementEndpoint, Region = stage.Options.Region },
            credentials,
            time ?? TimeProvider.System,
            NullLogger<ApiGatewayPushGateway>.Instance);
        return new PushClient(gateway, http, dynamoDb);
    }

    private sealed record PushClient(ApiGatewayPushGateway Gateway, HttpClient Http, AmazonDynamoDBClient DynamoDb) : IDisposable
    {
        public void Dispose()
        {
            Http.Dispose();
            DynamoDb.Dispose();
        }
    }

    private sealed class ShiftedTime(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }

    private sealed class BodySwap(byte[] body) : DelegatingHandler(new HttpClientHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Content = new ByteArrayContent(body);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
