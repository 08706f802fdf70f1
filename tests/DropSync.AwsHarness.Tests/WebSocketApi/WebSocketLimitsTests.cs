using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using DropSync.AwsHarness.WebSocketApi;

namespace DropSync.AwsHarness.Tests.WebSocketApi;

/// <summary>The stage's documented limits: 32 KB frames, 128 KB messages, 10 minutes idle, 2 hours per connection.</summary>
[Trait("Category", "AwsHarness")]
public sealed class WebSocketLimitsTests
{
    private const int Kb = 1024;

    [Fact]
    public void The_limits_default_to_API_Gateways()
    {
        var limits = new WebSocketApiLimits();

        Assert.Equal(32 * Kb, limits.MaxFrameBytes);
        Assert.Equal(128 * Kb, limits.MaxMessageBytes);
        Assert.Equal(TimeSpan.FromMinutes(10), limits.IdleTimeout);
        Assert.Equal(TimeSpan.FromHours(2), limits.MaxConnectionDuration);
        Assert.Equal(TimeSpan.FromSeconds(29), limits.IntegrationTimeout);
    }

    [Fact]
    public async Task A_128_KB_message_in_32_KB_frames_reaches_the_integration_whole()
    {
        await using var stage = await TestStage.StartAsync();
        stage.Function.Answer = e => ScriptedLambdaFunction.EventType(e) == "MESSAGE"
            ? ScriptedLambdaFunction.Response(Encoding.UTF8.GetByteCount((string)e["body"]!).ToString(CultureInfo.InvariantCulture))
            : ScriptedLambdaFunction.Status(200);
        using var client = await stage.ConnectAsync();

        await SendInFramesAsync(client, 128 * Kb, 32 * Kb);

        Assert.Equal((128 * Kb).ToString(CultureInfo.InvariantCulture), (await TestStage.ReceiveAsync(client)).Text);
    }

    [Fact]
    public async Task A_message_over_128_KB_closes_the_connection_with_1009()
    {
        await using var stage = await TestStage.StartAsync();
        using var client = await stage.ConnectAsync();

        await SendInFramesAsync(client, 128 * Kb + 1, 32 * Kb);

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, (await TestStage.ReceiveAsync(client)).Close);
        var context = (await stage.Function.WaitForEventAsync("DISCONNECT"))["requestContext"]!;
        Assert.Equal(1009, (int)context["disconnectStatusCode"]!);
        Assert.DoesNotContain(stage.Function.Events, e => ScriptedLambdaFunction.EventType(e) == "MESSAGE");
    }

    [Fact]
    public async Task A_frame_over_32_KB_closes_the_connection_with_1009()
    {
        await using var stage = await TestStage.StartAsync();
        using var client = await stage.ConnectAsync();

        // ClientWebSocket sends one SendAsync as one frame: 40 KB in a single frame, a message well under 128 KB.
        await client.SendAsync(Encoding.UTF8.GetBytes(new string('x', 40 * Kb)), WebSocketMessageType.Text, true, CancellationToken.None);

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, (await TestStage.ReceiveAsync(client)).Close);
        Assert.DoesNotContain(stage.Function.Events, e => ScriptedLambdaFunction.EventType(e) == "MESSAGE");
    }

    [Fact]
    public async Task A_binary_message_closes_the_connection_with_1003()
    {
        await using var stage = await TestStage.StartAsync();
        using var client = await stage.ConnectAsync();

        await client.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);

        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, (await TestStage.ReceiveAsync(client)).Close);
    }

    [Fact]
    public async Task An_idle_connection_is_cut_with_1001_even_while_the_client_sends_keep_alive_frames()
    {
        await using var stage = await TestStage.StartAsync(new WebSocketApiLimits { IdleTimeout = TimeSpan.FromSeconds(1) });
        // The idle timer starts when the connection is made, during ConnectAsync (which can take a while on a loaded
        // machine): measure from before it. Control frames every 100 ms do not count as activity.
        var clock = Stopwatch.StartNew();
        using var client = await stage.ConnectAsync(configure: o => o.KeepAliveInterval = TimeSpan.FromMilliseconds(100));

        var (_, close) = await TestStage.ReceiveAsync(client);

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(10));
        var context = (await stage.Function.WaitForEventAsync("DISCONNECT"))["requestContext"]!;
        Assert.Equal(1001, (int)context["disconnectStatusCode"]!);
        Assert.Equal("Going away", (string?)context["disconnectReason"]);
    }

    [Fact]
    public async Task Data_messages_keep_a_connection_alive_past_the_idle_timeout()
    {
        // 3 s of idle timeout, messages every 0.5 s for longer than that: the slack keeps a loaded machine's slow
        // connect or echo from idling the connection out before the first message (a 1 s timeout did, under load).
        var idle = TimeSpan.FromSeconds(3);
        await using var stage = await TestStage.StartAsync(new WebSocketApiLimits { IdleTimeout = idle });
        using var client = await stage.ConnectAsync();
        var clock = Stopwatch.StartNew();

        while (clock.Elapsed < idle * 1.5)
        {
            await TestStage.SendTextAsync(client, """{"action":"ping"}""");
            Assert.Equal("""echo:{"action":"ping"}""", (await TestStage.ReceiveAsync(client)).Text);
            await Task.Delay(500);
        }

        Assert.Equal(WebSocketState.Open, client.State);
        Assert.Equal(1, stage.Emulator.ConnectionCount);
    }

    [Fact]
    public async Task A_connection_is_cut_with_1001_at_the_maximum_duration_however_busy()
    {
        await using var stage = await TestStage.StartAsync(new WebSocketApiLimits { MaxConnectionDuration = TimeSpan.FromSeconds(1.5) });
        var clock = Stopwatch.StartNew(); // the duration counts from when the connection is made, during ConnectAsync
        using var client = await stage.ConnectAsync();

        WebSocketCloseStatus? close = null;
        while (close is null && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await TestStage.SendTextAsync(client, "{}");
            close = (await TestStage.ReceiveAsync(client)).Close;
            await Task.Delay(100);
        }

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.3), TimeSpan.FromSeconds(10));
        Assert.Equal(1001, (int)(await stage.Function.WaitForEventAsync("DISCONNECT"))["requestContext"]!["disconnectStatusCode"]!);
    }

    private static async Task SendInFramesAsync(ClientWebSocket client, int totalBytes, int frameBytes)
    {
        var message = Encoding.UTF8.GetBytes(new string('m', totalBytes));
        for (var offset = 0; offset < message.Length; offset += frameBytes)
        {
            var length = Math.Min(frameBytes, message.Length - offset);
            await client.SendAsync(message.AsMemory(offset, length), WebSocketMessageType.Text, offset + length == message.Length, CancellationToken.None);
        }
    }
}
