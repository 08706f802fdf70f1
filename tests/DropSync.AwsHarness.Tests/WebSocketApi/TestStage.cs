using System.Net.WebSockets;
using System.Text;
using DropSync.AwsHarness.Recording;
using DropSync.AwsHarness.WebSocketApi;

namespace DropSync.AwsHarness.Tests.WebSocketApi;

/// <summary>
/// A started emulator with one scripted function on $connect, $default (two-way) and $disconnect, and two callers of
/// @connections: the http function with a long-term key, the websocket function with temporary credentials.
/// </summary>
internal sealed class TestStage : IAsyncDisposable
{
    public const string HttpKeyId = "AKIAHTTPFUNCTION0001";
    public const string HttpSecret = "http-function-secret-key";
    public const string WebSocketKeyId = "ASIAWEBSOCKETFUNC001";
    public const string WebSocketSecret = "websocket-function-secret-key";
    public const string WebSocketToken = "websocket-function-session-token";

    private readonly List<ClientWebSocket> _clients = [];

    private TestStage(WebSocketApiEmulator emulator, ScriptedLambdaFunction function, AwsCallLog calls, WebSocketApiOptions options)
    {
        Emulator = emulator;
        Function = function;
        Calls = calls;
        Options = options;
    }

    public WebSocketApiEmulator Emulator { get; }

    public ScriptedLambdaFunction Function { get; }

    public AwsCallLog Calls { get; }

    public WebSocketApiOptions Options { get; }

    public static async Task<TestStage> StartAsync(
        WebSocketApiLimits? limits = null, Func<ScriptedLambdaFunction, IReadOnlyDictionary<string, WebSocketRoute>>? routes = null, Func<AwsCall, bool>? authorize = null)
    {
        var function = new ScriptedLambdaFunction();
        var calls = new AwsCallLog();
        var options = new WebSocketApiOptions
        {
            Stage = "live",
            ApiId = "wsapi12345",
            Region = "eu-west-1",
            Account = "111122223333",
            Routes = routes?.Invoke(function) ?? new Dictionary<string, WebSocketRoute>
            {
                ["$connect"] = new(function),
                ["$default"] = new(function, ReturnsResponse: true),
                ["$disconnect"] = new(function),
            },
            Callers = keyId => keyId switch
            {
                HttpKeyId => new ExecuteApiCaller(HttpSecret, null, "http"),
                WebSocketKeyId => new ExecuteApiCaller(WebSocketSecret, WebSocketToken, "websocket"),
                _ => null,
            },
            Calls = calls,
            Authorize = authorize,
            Limits = limits ?? new WebSocketApiLimits(),
        };
        var emulator = new WebSocketApiEmulator(options);
        await emulator.StartAsync();
        return new TestStage(emulator, function, calls, options);
    }

    /// <summary>A connected client (the query string is appended to the stage URL).</summary>
    public async Task<ClientWebSocket> ConnectAsync(string query = "", Action<ClientWebSocketOptions>? configure = null)
    {
        var client = new ClientWebSocket();
        client.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(client.Options);
        _clients.Add(client);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await client.ConnectAsync(new Uri(Emulator.ClientUrl + query), timeout.Token);
        return client;
    }

    /// <summary>The id of the only open connection.</summary>
    public string SingleConnectionId() => Assert.Single(Emulator.OpenConnections).Key;

    public async ValueTask DisposeAsync()
    {
        await Emulator.DisposeAsync();
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }

    public static Task SendTextAsync(ClientWebSocket client, string text) =>
        client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>The next whole message, or the close the server sent (then the client completes the closing handshake).</summary>
    public static async Task<(string? Text, WebSocketCloseStatus? Close)> ReceiveAsync(ClientWebSocket client, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var received = await client.ReceiveAsync(buffer, cancel.Token);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                return (null, received.CloseStatus);
            }

            message.Write(buffer, 0, received.Count);
            if (received.EndOfMessage)
            {
                return (Encoding.UTF8.GetString(message.ToArray()), null);
            }
        }
    }
}
