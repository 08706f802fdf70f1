using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using DropSync.AwsHarness.Lambda;
using DropSync.AwsHarness.WebSocketApi;

namespace DropSync.AwsHarness.Tests.WebSocketApi;

/// <summary>The client side of the emulated stage: $connect, routing, route responses and $disconnect.</summary>
[Trait("Category", "AwsHarness")]
public sealed class WebSocketClientSideTests
{
    [Fact]
    public async Task Connect_event_carries_the_query_string_token_headers_and_request_context()
    {
        await using var stage = await TestStage.StartAsync();
        using var client = await stage.ConnectAsync("?access_token=tok%2Ben&echo=true", o => o.SetRequestHeader("User-Agent", "dropsync-test/1.0"));

        var connect = await stage.Function.WaitForEventAsync("CONNECT");
        Assert.Equal("tok+en", (string?)connect["queryStringParameters"]?["access_token"]);
        Assert.Equal("true", (string?)connect["queryStringParameters"]?["echo"]);
        Assert.Equal("tok+en", (string?)connect["multiValueQueryStringParameters"]?["access_token"]?[0]);
        Assert.Equal("13", (string?)connect["headers"]?["Sec-WebSocket-Version"]);
        Assert.Equal("127.0.0.1", (string?)connect["headers"]?["X-Forwarded-For"]);
        Assert.Equal(stage.Emulator.ClientUrl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)connect["headers"]?["X-Forwarded-Port"]);
        Assert.Equal("dropsync-test/1.0", (string?)connect["multiValueHeaders"]?["User-Agent"]?[0]);
        Assert.False((bool)connect["isBase64Encoded"]!);

        var context = connect["requestContext"]!.AsObject();
        Assert.Equal("$connect", (string?)context["routeKey"]);
        Assert.Equal("IN", (string?)context["messageDirection"]);
        Assert.Equal("live", (string?)context["stage"]);
        Assert.Equal("wsapi12345", (string?)context["apiId"]);
        Assert.Equal("127.0.0.1", (string?)context["identity"]?["sourceIp"]);
        Assert.Equal("dropsync-test/1.0", (string?)context["identity"]?["userAgent"]);
        Assert.Matches("^[A-Za-z0-9]{15}=$", (string?)context["connectionId"]);
        Assert.Matches("^[A-Za-z0-9]{15}=$", (string?)context["requestId"]);
        Assert.Matches(@"^\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000$", (string?)context["requestTime"]);
        var connectedAt = DateTimeOffset.FromUnixTimeMilliseconds((long)context["connectedAt"]!);
        Assert.InRange(DateTimeOffset.UtcNow - connectedAt, TimeSpan.Zero, TimeSpan.FromMinutes(1));
        Assert.True((long)context["requestTimeEpoch"]! >= (long)context["connectedAt"]!);

        // The connection id is the one the stage then knows (and @connections takes).
        Assert.Equal((string?)context["connectionId"], stage.SingleConnectionId());
        Assert.Equal(1, stage.Emulator.ConnectionCount);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public async Task A_connect_result_that_is_not_2xx_refuses_the_upgrade_with_that_status(int status)
    {
        await using var stage = await TestStage.StartAsync();
        stage.Function.Answer = _ => ScriptedLambdaFunction.Status(status);

        using var client = new ClientWebSocket();
        client.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(stage.Emulator.ClientUrl, CancellationToken.None));

        Assert.Equal((HttpStatusCode)status, client.HttpStatusCode);
        Assert.Equal(0, stage.Emulator.ConnectionCount);
        await stage.Function.WaitForEventAsync("CONNECT");
        Assert.DoesNotContain(stage.Function.Events, e => ScriptedLambdaFunction.EventType(e) == "DISCONNECT");
    }

    [Fact]
    public async Task A_connect_function_error_refuses_the_upgrade_with_502()
    {
        await using var stage = await TestStage.StartAsync();
        stage.Function.Answer = _ => LambdaInvocationResult.Error("Unhandled");

        using var client = new ClientWebSocket();
        client.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(stage.Emulator.ClientUrl, CancellationToken.None));

        Assert.Equal(HttpStatusCode.BadGateway, client.HttpStatusCode);
        Assert.Equal(0, stage.Emulator.ConnectionCount);
    }

    [Fact]
    public async Task A_connect_function_past_the_integration_timeout_refuses_the_upgrade_with_504()
    {
        await using var stage = await TestStage.StartAsync(new WebSocketApiLimits { IntegrationTimeout = TimeSpan.FromMilliseconds(300) });
        stage.Function.Duration = TimeSpan.FromSeconds(30);

        using var client = new ClientWebSocket();
        client.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(stage.Emulator.ClientUrl, CancellationToken.None));

        Assert.Equal(HttpStatusCode.GatewayTimeout, client.HttpStatusCode);
    }

    [Fact]
    public async Task A_message_function_past_the_integration_timeout_tells_the_client_endpoint_request_timed_out()
    {
        await using var stage = await TestStage.StartAsync(new WebSocketApiLimits { IntegrationTimeout = TimeSpan.FromMilliseconds(300) });
        using var client = await stage.ConnectAsync();
        stage.Function.Duration = TimeSpan.FromSeconds(30);

        await TestStage.SendTextAsync(client, "{}");

        Assert.Equal("Endpoint request timed out", (string?)JsonNode.Parse((await TestStage.ReceiveAsync(client)).Text!)!["message"]);
    }

    [Fact]
    public async Task Default_route_with_a_route_response_answers_the_result_body()
    {
        await using var stage = await TestStage.StartAsync();
        using var client = await stage.ConnectAsync();

        await TestStage.SendTextAsync(client, """{"action":"hello"}""");

        var (text, close) = await TestStage.ReceiveAsync(client);
        Assert.Null(close);
        Assert.Equal("""echo:{"action":"hello"}""", text);
        var message = await stage.Function.WaitForEventAsync("MESSAGE");
        Assert.Equal("""{"action":"hello"}""", (string?)message["body"]);
        Assert.False((bool)message["isBase64Encoded"]!);
        Assert.Equal("$default", (string?)message["requestContext"]?["routeKey"]);
        Assert.Equal(stage.SingleConnectionId(), (string?)message["requestContext"]?["connectionId"]);
        Assert.Matches("^[A-Za-z0-9]{15}=$", (string?)message["requestContext"]?["messageId"]);
    }

    [Fact]
    public async Task Route_selection_picks_the_route_named_by_the_action_and_a_one_way_route_answers_nothing()
    {
        var pings = new ScriptedLambdaFunction("pings");
        await using var stage = await TestStage.StartAsync(routes: function => new Dictionary<string, WebSocketRoute>
        {
            ["$default"] = new(function, ReturnsResponse: true),
            ["ping"] = new(pings),
        });
        using var client = await stage.ConnectAsync();

        await TestStage.SendTextAsync(client, """{"action":"ping"}""");
        await TestStage.SendTextAsync(client, "not json");

        var routed = await pings.WaitForEventAsync("MESSAGE");
        Assert.Equal("ping", (string?)routed["requestContext"]?["routeKey"]);
        // Only the $default message is answered: the ping route has no route response.
        Assert.Equal("echo:not json", (await TestStage.ReceiveAsync(client)).Text);
        Assert.Single(pings.Events);
    }

    [Fact]
    public async Task A_failing_message_integration_tells_the_client_internal_server_error_and_keeps_the_connection()
    {
        await using var stage = await TestStage.StartAsync();
        using var client = await stage.ConnectAsync();
        stage.Function.Answer = _ => LambdaInvocationResult.Error("Unhandled");

        await TestStage.SendTextAsync(client, """{"action":"hello"}""");

        var error = JsonNode.Parse((await TestStage.ReceiveAsync(client)).Text!)!;
        Assert.Equal("Internal server error", (string?)error["message"]);
        Assert.Equal(stage.SingleConnectionId(), (string?)error["connectionId"]);
        Assert.Equal(WebSocketState.Open, client.State);
    }

    [Fact]
    public async Task Client_close_runs_disconnect_with_the_close_code_and_reason()
    {
        await using var stage = await TestStage.StartAsync();
        using var client = await stage.ConnectAsync();
        var connectionId = stage.SingleConnectionId();

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);

        var disconnect = await stage.Function.WaitForEventAsync("DISCONNECT");
        var context = disconnect["requestContext"]!;
        Assert.Equal("$disconnect", (string?)context["routeKey"]);
        Assert.Equal(connectionId, (string?)context["connectionId"]);
        Assert.Equal(1000, (int)context["disconnectStatusCode"]!);
        Assert.Equal("bye", (string?)context["disconnectReason"]);
        Assert.Equal(WebSocketState.Closed, client.State);
        Assert.Equal(0, stage.Emulator.ConnectionCount);
    }

    [Fact]
    public async Task A_close_frame_without_a_code_is_reported_as_1005()
    {
        await using var stage = await TestStage.StartAsync();
        // ClientWebSocket cannot send a close frame without a status code, so this client speaks RFC 6455 by hand.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, stage.Emulator.ClientUrl.Port);
        var stream = tcp.GetStream();
        var handshake = $"GET /live HTTP/1.1\r\nHost: 127.0.0.1:{stage.Emulator.ClientUrl.Port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(handshake));
        var response = new StringBuilder();
        var buffer = new byte[1];
        while (!response.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(buffer) == 1)
        {
            response.Append((char)buffer[0]);
        }

        Assert.StartsWith("HTTP/1.1 101", response.ToString(), StringComparison.Ordinal);
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", response.ToString(), StringComparison.Ordinal);

        // FIN + close opcode, masked, no payload.
        await stream.WriteAsync(new byte[] { 0x88, 0x80, 1, 2, 3, 4 });

        var context = (await stage.Function.WaitForEventAsync("DISCONNECT"))["requestContext"]!;
        Assert.Equal(1005, (int)context["disconnectStatusCode"]!);
        Assert.Equal("Client-side close frame status not set", (string?)context["disconnectReason"]);
    }

    [Fact]
    public async Task A_failing_disconnect_function_is_not_retried()
    {
        await using var stage = await TestStage.StartAsync();
        using var client = await stage.ConnectAsync();
        stage.Function.Answer = _ => LambdaInvocationResult.Error("Unhandled");

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await stage.Function.WaitForEventAsync("DISCONNECT");
        await Task.Delay(300);

        Assert.Single(stage.Function.Events, e => ScriptedLambdaFunction.EventType(e) == "DISCONNECT");
    }
}
