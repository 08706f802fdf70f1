using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DropSync.Api.Hosting;
using DropSync.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace DropSync.Api.Tests;

/// <summary>The request timing log (issue 11, save → complete p99): a Debug line per request, only when asked for.</summary>
public sealed class RequestTimingLogTests
{
    [Fact]
    public async Task With_the_log_on_an_upload_batch_is_logged_with_its_stages_in_order_and_the_native_heap_trims_in_it()
    {
        using var factory = DropSyncApiFactory.WithSettings(("Logging:LogLevel:" + RequestTimingLog.Category, "Debug"));
        var lines = new ConcurrentQueue<string>();
        using var timed = factory.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(new LogLines(lines, RequestTimingLog.Category))));
        var client = new ApiClient(timed.CreateClient());
        await client.RegisterAsync("timing@example.com", "correct horse battery");
        await client.LoginAsync("timing@example.com", "correct horse battery", "laptop");

        using var body = new MultipartFormDataContent();
        body.Add(new StringContent(JsonSerializer.Serialize(new { files = new[] { new { path = "/a.txt" } } }), Encoding.UTF8, "application/json"), "manifest");
        var part = new ByteArrayContent("hello"u8.ToArray());
        part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        body.Add(part, "file", "f0");
        using var response = await client.Http.PostAsync("/files/upload_batch", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var line = Assert.Single(lines, l => l.Contains("POST /files/upload_batch 200", StringComparison.Ordinal));
        Assert.StartsWith("request at ", line, StringComparison.Ordinal);
        string[] stages = ["auth", "quota", "manifest read", "view", "files read and stored", "heads read", "planned", "applied (writer queue + commit)", "published", "rest"];
        var at = stages.Select(s => line.IndexOf($" {s} ", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(-1, at);
        Assert.Equal(at.Order(), at);
        Assert.Contains("malloc_trim ", line, StringComparison.Ordinal);
        Assert.Contains("thread pool queue ", line, StringComparison.Ordinal);
        // The login before it was logged too: every request is, not only batches.
        Assert.Contains(lines, l => l.Contains("POST /auth/login 200", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Off_by_default_nothing_is_logged()
    {
        using var factory = new DropSyncApiFactory();
        var lines = new ConcurrentQueue<string>();
        using var host = factory.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(new LogLines(lines, RequestTimingLog.Category))));
        var client = new ApiClient(host.CreateClient());
        await client.RegisterAsync("untimed@example.com", "correct horse battery");

        Assert.Empty(lines);
    }

    [Theory]
    // windows as (start, end) in Stopwatch ticks; the asked window; the ticks expected inside it
    [InlineData(100, 200, 0, 99, 0)]
    [InlineData(100, 200, 201, 300, 0)]
    [InlineData(100, 200, 150, 300, 50)]
    [InlineData(100, 200, 0, 150, 50)]
    [InlineData(100, 200, 120, 130, 10)]
    [InlineData(100, 200, 0, 1000, 100)]
    [InlineData(100, long.MaxValue, 150, 180, 30)]
    [InlineData(0, 0, 0, 1000, 0)]
    public void Native_heap_trim_time_is_counted_only_where_it_overlaps_the_window(long start, long end, long from, long to, long expectedTicks)
    {
        (long, long)[] windows = [(start, end), (0, 0)];

        var milliseconds = NativeHeapTrim.OverlapMilliseconds(windows, from, to);

        Assert.Equal(expectedTicks * 1000.0 / System.Diagnostics.Stopwatch.Frequency, milliseconds, 9);
    }

    [Fact]
    public void A_trim_is_recorded_in_the_window_it_ran_in()
    {
        var from = System.Diagnostics.Stopwatch.GetTimestamp();
        NativeHeapTrim.TrimNow();
        var to = System.Diagnostics.Stopwatch.GetTimestamp();

        // Other test servers in this process trim on their own timers and may add to the window, never take from it.
        Assert.Equal(NativeHeapTrim.Available, NativeHeapTrim.MillisecondsWithin(from, to) > 0);
    }
}
