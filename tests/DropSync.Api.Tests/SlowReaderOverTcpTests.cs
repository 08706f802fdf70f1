using System.Net.Sockets;
using System.Text;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Testing;

namespace DropSync.Api.Tests;

/// <summary>
/// Issue 13 (6) over real TCP: a raw WebSocket client that completes the handshake and then never reads. The server's
/// socket buffers fill, its send queue fills, and it drops that connection, while another user's device gets every
/// one of its events. Asserts delivery and the drop, never timings.
/// </summary>
public sealed class SlowReaderOverTcpTests : IDisposable
{
    private const string Password = "correct horse battery";
    private readonly string _root = Directory.CreateTempSubdirectory("dropsync-slow-").FullName;

    [Fact]
    public async Task A_client_that_never_reads_is_dropped_and_another_user_gets_every_event()
    {
        await using var server = await ServerProcess.StartAsync(Path.Combine(_root, "data"), Path.Combine(_root, "keys"), "--DropSync:LiveSendQueueLength", "8");
        var slowWriter = await SignUpAsync(server, "writer");
        var slowReader = new ApiClient(server.CreateClient());
        await slowReader.LoginAsync(slowWriter.Email!, Password, "never reads");
        var fast = await SignUpAsync(server, "fast");
        using var raw = await ConnectWithoutReadingAsync(server.BaseAddress, slowReader.AccessToken!);
        // With echo: the fast user's changes below come from this same device.
        await using var fastFeed = await LiveFeed.ConnectAsync(server.BaseAddress, fast, echo: true);

        // Long names make each event about 1 KB: a few hundred fill the socket buffers of a reader that does not read.
        var longName = new string('x', 200);
        await slowWriter.OkAsync("/files/create_folder", new { path = "/" + longName });
        await Parallel.ForAsync(0, 600, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            await slowWriter.OkAsync("/files/create_folder", new { path = $"/{longName}/{longName}-{i:0000}" }));
        for (var i = 0; i < 20; i++)
        {
            await fast.OkAsync("/files/create_folder", new { path = $"/fast-{i:00}" });
        }

        // Generous: the changes are fanned out in commit order, so the fast user's come after the 600 others are dispatched.
        foreach (var i in Enumerable.Range(0, 20))
        {
            await fastFeed.WaitForChangeAsync($"/fast-{i:00}", "added", TimeSpan.FromSeconds(120));
        }

        // The dropped connection ends: reading what was buffered reaches the end of the stream (or a reset).
        Assert.True(await ReachesEndAsync(raw, TimeSpan.FromSeconds(60)), "the slow reader's connection was not closed");
        Assert.False(fastFeed.IsClosed);

        // Dropped by its full send queue (not, later, by the keep-alive timeout).
        Assert.Contains($"device {slowReader.DeviceId}: it stopped reading (its send queue is full)", server.Output, StringComparison.Ordinal);
    }

    private static async Task<ApiClient> SignUpAsync(ServerProcess server, string device)
    {
        var client = new ApiClient(server.CreateClient());
        var email = $"{device}-{Guid.NewGuid():N}@example.com";
        await client.RegisterAsync(email, Password);
        await client.LoginAsync(email, Password, device);
        return client;
    }

    /// <summary>A WebSocket handshake by hand on a socket with a tiny receive buffer; after the 101 nothing is read.</summary>
    private static async Task<Socket> ConnectWithoutReadingAsync(Uri server, string token)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 2048 };
        await socket.ConnectAsync(server.Host, server.Port);
        var key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        var request = $"GET /notifications/ws HTTP/1.1\r\nHost: {server.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request));
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            Assert.Equal(1, await socket.ReceiveAsync(one));
            head.Append((char)one[0]);
        }

        Assert.StartsWith("HTTP/1.1 101", head.ToString(), StringComparison.Ordinal);
        return socket;
    }

    private static async Task<bool> ReachesEndAsync(Socket socket, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var buffer = new byte[64 * 1024];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token) > 0)
            {
            }

            return true;
        }
        catch (SocketException)
        {
            return true; // reset: cut off
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // The server may still hold a file; the OS cleans temp folders.
        }
    }
}
