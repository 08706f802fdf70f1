using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using DropSync.Testing;

namespace DropSync.Aws.Benchmarks;

/// <summary>
/// <c>live</c>: how long a change takes to reach another device's live feed, in embedded mode (the real server process)
/// and in AWS mode through the local serverless harness (http function → SQS → event source → fanout function → signed
/// @connections POST → the emulated WebSocket API), in the same run. One device commits small files one at a time; the
/// other holds the feed open (the URL from GET /config, hello first); each sample is the time from sending the commit
/// to the event's arrival on the other device (the event often arrives before the commit's own answer, so timing from
/// the answer would read zero). The harness's figure is an upper bound of the code's part (its emulations and four
/// processes share this machine) and a lower bound of a real region's (no network, no Lambda scaling).
/// </summary>
internal static class LiveLatencyBenchmark
{
    private const string Password = "benchmark-password-live";

    public static async Task RunAsync(int commits, CancellationToken ct)
    {
        var temp = Directory.CreateTempSubdirectory("dropsync-bench-live-").FullName;
        try
        {
            double[] embedded;
            await using (var server = await ServerProcess.StartAsync(Path.Combine(temp, "data"), Path.Combine(temp, "keys")))
            {
                Console.Error.WriteLine($"embedded server at {server.BaseAddress}: {commits} commits ...");
                embedded = await MeasureAsync(server.BaseAddress, commits, ct);
            }

            double[] aws;
            Console.Error.WriteLine("starting the AWS harness (synthesis, four function processes, emulated APIs) ...");
            await using (var harness = await AwsHarness.AwsHarness.StartAsync())
            {
                Console.Error.WriteLine($"AWS harness HTTP API at {harness.HttpApiUrl}: {commits} commits ...");
                aws = await MeasureAsync(harness.HttpApiUrl, commits, ct);
            }

            Console.WriteLine($"live change latency, commit sent → event on the other device ({commits} sequential commits of 1 KiB)");
            Console.WriteLine($"{"mode",-28} {"p50 ms",8} {"p99 ms",8} {"max ms",8}");
            Print("embedded (one process)", embedded);
            Print("AWS mode (local harness)", aws);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio AWS/embedded: p50 {Percentile(aws, 50) / Percentile(embedded, 50):0.0}x, p99 {Percentile(aws, 99) / Percentile(embedded, 99):0.0}x"));
        }
        finally
        {
            try
            {
                Directory.Delete(temp, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<double[]> MeasureAsync(Uri server, int commits, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(60) };
        var email = $"live-{Guid.NewGuid():N}@example.com";
        (await http.PostAsJsonAsync("/auth/register", new { email, password = Password }, ct)).EnsureSuccessStatusCode();
        var writer = await LoginAsync(http, email, "writer", ct);
        var reader = await LoginAsync(http, email, "reader", ct);
        var config = await http.GetFromJsonAsync<JsonObject>("/config", ct) ?? throw new BenchmarkException("GET /config answered nothing");
        var feed = new Uri((string)config["websocket_url"]! + "?access_token=" + Uri.EscapeDataString(reader));

        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(feed, ct);
        await SendAsync(socket, """{"action":"hello"}""", ct);
        while (await ReceiveTypeAsync(socket, ct) != "hello")
        {
        }

        using var upload = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(60) };
        upload.DefaultRequestHeaders.Authorization = new("Bearer", writer);
        var content = new byte[1024];
        var samples = new double[commits];
        for (var i = 0; i < commits; i++)
        {
            Random.Shared.NextBytes(content);
            var sent = Stopwatch.GetTimestamp();
            await CommitAsync(upload, content, $"/live/f{i}.bin", ct);

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            while (await ReceiveTypeAsync(socket, timeout.Token) != "change")
            {
            }

            samples[i] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        return samples;
    }

    /// <summary>Uploads one small file.</summary>
    private static async Task CommitAsync(HttpClient upload, byte[] content, string path, CancellationToken ct)
    {
        using var body = new ByteArrayContent(content);
        using var response = await upload.PostAsync($"/files/upload?uploadType=media&path={Uri.EscapeDataString(path)}&mode=add", body, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new BenchmarkException($"uploading {path} answered {(int)response.StatusCode}");
        }
    }

    private static async Task<string> LoginAsync(HttpClient http, string email, string device, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("/auth/login", new { email, password = Password, device_name = device }, ct);
        response.EnsureSuccessStatusCode();
        return (string)(await response.Content.ReadFromJsonAsync<JsonObject>(ct))!["access_token"]!;
    }

    private static Task SendAsync(ClientWebSocket socket, string text, CancellationToken ct) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, ct);

    /// <summary>The next message's "type" (every message of the feed is one JSON object).</summary>
    private static async Task<string?> ReceiveTypeAsync(ClientWebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        WebSocketReceiveResult received;
        do
        {
            received = await socket.ReceiveAsync(buffer, ct);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                throw new BenchmarkException($"the live feed closed ({received.CloseStatus} {received.CloseStatusDescription})");
            }

            message.Write(buffer, 0, received.Count);
        }
        while (!received.EndOfMessage);

        return (string?)JsonNode.Parse(message.ToArray())?["type"];
    }

    private static void Print(string mode, double[] samples) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{mode,-28} {Percentile(samples, 50),8:0.0} {Percentile(samples, 99),8:0.0} {samples.Max(),8:0.0}"));

    private static double Percentile(double[] samples, int percentile)
    {
        var sorted = samples.Order().ToArray();
        var index = (int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }
}
