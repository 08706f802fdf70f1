using System.Diagnostics;
using System.Globalization;
using DropSync.Client.Api;
using DropSync.Client.Sync;
using Xunit.Abstractions;

namespace DropSync.AwsHarness.Tests.EndToEnd;

/// <summary>
/// The live change feed over the WebSocket API: device B runs the client library's cursor source connected where GET
/// /config says, and device A's commits reach it (http function → change queue → event source → fanout function →
/// signed @connections POST → the WebSocket API → B). Runs on the harness, or on a real account when
/// DROPSYNC_SMOKE_API_URL is set.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "AwsHarness")]
[Trait("Category", "AwsSmoke")]
public sealed class LiveChangesTests(EndToEndFixture fixture, ITestOutputHelper output)
{
    private const int Commits = 20;
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_commit_on_one_device_reaches_the_other_devices_live_feed_and_its_latency_is_reported()
    {
        var target = await fixture.TargetAsync();
        output.WriteLine($"Target: {target.Description}");
        var email = await EndToEndFixture.RegisterAsync(target.HttpApiUrl);
        using var a = await EndToEndFixture.LoginAsync(target.HttpApiUrl, email, "laptop-a");
        using var b = await EndToEndFixture.LoginAsync(target.HttpApiUrl, email, "desktop-b");

        using var api = new DropSyncApi(target.HttpApiUrl, b.Token);
        var config = await api.GetConfigAsync(CancellationToken.None);
        Assert.Equal("aws", config.Mode);
        Assert.Equal(4 * 1024 * 1024, config.MaxResponseBytes);
        if (target.Harness is { } harness)
        {
            Assert.Equal(harness.WebSocketUrl, new Uri(config.WebsocketUrl));
        }
        else
        {
            Assert.Equal("wss", new Uri(config.WebsocketUrl).Scheme);
        }

        var log = new List<string>();
        await using var source = new CursorChangeSource(api) { Debounce = TimeSpan.Zero, Log = line => { lock (log) { log.Add(line); } } };
        // The first wait starts the live feed; its hello (the answer to {"action":"hello"}) wakes the waiter.
        await source.WaitForChangeAsync(EventTimeout, CancellationToken.None);
        Assert.True(source.Hellos >= 1 && source.Connected, "no hello on the live feed: " + string.Join("; ", log));

        var latencies = new List<double>();
        var fromSent = new List<double>();
        for (var i = 0; i < Commits; i++)
        {
            var seen = source.Events;
            using var arrival = new CancellationTokenSource(EventTimeout);
            var arrived = ArrivalAsync(source, seen, arrival.Token);
            var sent = Stopwatch.GetTimestamp();
            using var commit = await a.Api.PostAsync(
                $"/files/upload?uploadType=media&path=%2Flive%2Fnote-{i}.txt", new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes($"commit {i}")));
            var answered = Stopwatch.GetTimestamp();
            Assert.True(commit.IsSuccessStatusCode, await commit.Content.ReadAsStringAsync());
            long eventAt;
            try
            {
                eventAt = await arrived;
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"commit {i}: no change event within {EventTimeout.TotalSeconds} s. Feed log: {string.Join("; ", log)}{HarnessDiagnostics.Describe(target.Harness)}");
                throw;
            }

            // An event may even beat the HTTP answer back: that is no latency at all.
            latencies.Add(Math.Max(0, Stopwatch.GetElapsedTime(answered, eventAt).TotalMilliseconds));
            fromSent.Add(Stopwatch.GetElapsedTime(sent, eventAt).TotalMilliseconds);
        }

        output.WriteLine("request sent → event, ms: " + string.Join(", ", fromSent.Select(l => l.ToString("0", CultureInfo.InvariantCulture))));
        output.WriteLine("answer → event, ms: " + string.Join(", ", latencies.Select(l => l.ToString("0", CultureInfo.InvariantCulture))));
        latencies.Sort();
        fromSent.Sort();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"commit answer → change event on the other device, {Commits} sequential commits: p50 {Percentile(latencies, 0.50):0} ms, p99 {Percentile(latencies, 0.99):0} ms (0: the event came before the answer)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"commit request sent → change event: p50 {Percentile(fromSent, 0.50):0} ms, p99 {Percentile(fromSent, 0.99):0} ms"));
        output.WriteLine($"change events received: {source.Events}");
        Assert.True(source.Events >= Commits);
        Assert.Equal(1, source.Hellos);
    }

    /// <summary>The moment the source has counted more than <paramref name="seen"/> change events.</summary>
    private static async Task<long> ArrivalAsync(CursorChangeSource source, int seen, CancellationToken ct)
    {
        while (source.Events <= seen)
        {
            await Task.Delay(1, ct);
        }

        return Stopwatch.GetTimestamp();
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
