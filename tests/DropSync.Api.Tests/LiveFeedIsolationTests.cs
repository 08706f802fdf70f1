using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using DropSync.Api.Live;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Core.Accounts;
using DropSync.Core.Feed;
using DropSync.Core.Files;
using DropSync.Core.Ports;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DropSync.Api.Tests;

/// <summary>Issue 13 (6): one user's slow socket delays no one else; connections per user are capped.</summary>
public sealed class LiveFeedIsolationTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_reader_that_never_reads_is_dropped_while_another_user_gets_every_event_in_order()
    {
        var hub = new WebSocketHub(Options.Create(new Microsoft.AspNetCore.Http.Json.JsonOptions()), NullLogger<WebSocketHub>.Instance, new DropSyncOptions { LiveSendQueueLength = 64 });
        var slow = new ScriptedSocket(sendsComplete: false);
        var fast = new ScriptedSocket(sendsComplete: true);
        using var stop = new CancellationTokenSource();
        var slowRun = hub.RunAsync(slow, CallerOf("u_slow"), Start("u_slow"), echo: false, CancellationToken.None, stop.Token);
        var fastRun = hub.RunAsync(fast, CallerOf("u_fast"), Start("u_fast"), echo: false, CancellationToken.None, stop.Token);
        await fast.NextAsync(); // hello
        await slow.SendStarted.Task.WaitAsync(Bound); // the slow device's hello is stuck in its socket

        // The fast user's burst fits its queue; the slow user gets more than its queue holds while its socket is stuck.
        const int Events = 50;
        for (var i = 0; i < 2 * 64; i++)
        {
            // Every push returns at once, whatever the slow device does.
            Assert.True(hub.PushAsync("u_slow", Note(i), CancellationToken.None).IsCompletedSuccessfully);
            if (i < Events)
            {
                Assert.True(hub.PushAsync("u_fast", Note(i), CancellationToken.None).IsCompletedSuccessfully);
            }
        }

        var received = new List<int>();
        for (var i = 0; i < Events; i++)
        {
            received.Add((await fast.NextAsync())["n"]!.GetValue<int>());
        }

        await slowRun.WaitAsync(Bound);
        Assert.Equal(Enumerable.Range(0, Events), received);
        Assert.True(slow.Aborted || slow.ClosedWith == WebSocketCloseStatus.PolicyViolation, "the slow reader was neither closed nor cut off");
        Assert.False(fastRun.IsCompleted);
        Assert.Equal(1, hub.ConnectionCount);

        fast.EndFromClient();
        await fastRun.WaitAsync(Bound);
    }

    [Fact]
    public async Task A_slow_reader_whose_socket_takes_the_close_gets_1008_too_slow()
    {
        var hub = new WebSocketHub(Options.Create(new Microsoft.AspNetCore.Http.Json.JsonOptions()), NullLogger<WebSocketHub>.Instance, new DropSyncOptions { LiveSendQueueLength = 2 });

        // Sends of messages hang; a close goes through: the device gets a close it can tell apart.
        var slow = new ScriptedSocket(sendsComplete: false);
        var run = hub.RunAsync(slow, CallerOf("u_slow"), Start("u_slow"), echo: false, CancellationToken.None, CancellationToken.None);
        await slow.SendStarted.Task.WaitAsync(Bound);
        for (var i = 0; i < 10; i++)
        {
            await hub.PushAsync("u_slow", Note(i), CancellationToken.None);
        }

        await run.WaitAsync(Bound);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, slow.ClosedWith);
        Assert.Equal(DeviceConnection.TooSlowReason, slow.CloseDescription);
    }

    [Fact]
    public async Task Past_the_cap_a_new_connection_closes_the_users_oldest()
    {
        using var factory = DropSyncApiFactory.WithSettings(("DropSync:MaxLiveConnectionsPerUser", "2"));
        var user = await factory.SignUpAsync();
        var other = await factory.SignUpAsync();
        await using var first = await LiveFeed.ConnectAsync(factory, user);
        await using var second = await LiveFeed.ConnectAsync(factory, user);
        await using var others = await LiveFeed.ConnectAsync(factory, other);
        await using var third = await LiveFeed.ConnectAsync(factory, user);

        var deadline = DateTime.UtcNow + Bound;
        while (!first.IsClosed && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(first.IsClosed);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, first.CloseStatus);
        Assert.False(second.IsClosed);
        Assert.False(third.IsClosed);
        Assert.False(others.IsClosed);
    }

    private static Caller CallerOf(string userId) => new(userId, userId + "@example.com", "dev_" + userId, "device", "ns_" + userId);

    private static FeedCursor Start(string userId) => new(userId, "", true, new Dictionary<string, long>()) { Signer = new CursorSigner(new byte[32]) };

    private static PushMessage Note(int n) => new("notification", new Dictionary<string, object?> { ["n"] = n }, null);

    /// <summary>
    /// A server-side socket under the test's control: its sends either complete (recorded in order) or hang until
    /// cancelled, as a device that stopped reading makes them; its receive waits until the client or the server ends it.
    /// </summary>
    private sealed class ScriptedSocket(bool sendsComplete) : WebSocket
    {
        private readonly Channel<byte[]> _sent = Channel.CreateUnbounded<byte[]>();
        private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private WebSocketState _state = WebSocketState.Open;

        public TaskCompletionSource SendStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Aborted { get; private set; }

        public WebSocketCloseStatus? ClosedWith { get; private set; }

        public string? CloseDescription { get; private set; }

        public override WebSocketCloseStatus? CloseStatus => ClosedWith;

        public override string? CloseStatusDescription => CloseDescription;

        public override WebSocketState State => _state;

        public override string? SubProtocol => null;

        public async Task<JsonNode> NextAsync() => JsonNode.Parse(Encoding.UTF8.GetString(await _sent.Reader.ReadAsync().AsTask().WaitAsync(Bound)))!;

        public void EndFromClient()
        {
            _state = WebSocketState.CloseReceived;
            _ended.TrySetResult();
        }

        public override void Abort()
        {
            Aborted = true;
            _state = WebSocketState.Aborted;
            _ended.TrySetResult();
        }

        public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
            CloseOutputAsync(closeStatus, statusDescription, cancellationToken);

        public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
        {
            ClosedWith = closeStatus;
            CloseDescription = statusDescription;
            _state = _state == WebSocketState.CloseReceived ? WebSocketState.Closed : WebSocketState.CloseSent;
            _ended.TrySetResult();
            return Task.CompletedTask;
        }

        public override void Dispose()
        {
        }

        public override async Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken)
        {
            await _ended.Task.WaitAsync(cancellationToken);
            if (Aborted)
            {
                throw new WebSocketException(WebSocketError.ConnectionClosedPrematurely);
            }

            return new WebSocketReceiveResult(0, WebSocketMessageType.Close, true, WebSocketCloseStatus.NormalClosure, "bye");
        }

        public override async Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
        {
            SendStarted.TrySetResult();
            if (!sendsComplete)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            await _sent.Writer.WriteAsync(buffer.ToArray(), cancellationToken);
        }
    }
}
