using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using DropSync.Client.Api;
using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

/// <summary>The transport waits out 429 and 503 as long as Retry-After says, bounded, and sends the same request again.</summary>
public sealed class RetryAfterHandlerTests
{
    private static readonly Uri Server = new("http://127.0.0.1:5999/");

    [Fact]
    public async Task A_refused_request_is_sent_again_with_its_body_after_the_named_wait()
    {
        var calls = 0;
        var stub = new StubHandler(_ =>
        {
            if (Interlocked.Increment(ref calls) > 1)
            {
                return StubHandler.Json(HttpStatusCode.OK, """{"path":"/a.txt","rev":"r1"}""");
            }

            var refused = StubHandler.Json(HttpStatusCode.TooManyRequests, """{"error":"too_many_requests","message":"Wait."}""");
            refused.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(1));
            return refused;
        });
        using var api = new DropSyncApi(Server, "token", stub);

        var clock = Stopwatch.StartNew();
        await api.UploadMediaAsync("/a.txt", "add", null, new byte[] { 1, 2, 3 }, default);

        Assert.Equal(2, stub.Count("/files/upload"));
        Assert.All(stub.Requests, r => Assert.Equal(3, r.Length));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.95), $"waited {clock.Elapsed}");
    }

    [Fact]
    public async Task A_request_refused_every_time_is_sent_again_with_growing_waits_until_the_caller_gives_up()
    {
        var stub = new StubHandler(_ => StubHandler.Json(HttpStatusCode.ServiceUnavailable, """{"error":"server_busy","message":"Busy."}"""));
        using var api = new DropSyncApi(Server, "token", stub);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(2));

        // Without Retry-After the waits double from 250 ms: within 2 s a few tries, then the caller's cancellation ends it.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => api.GetMetadataAsync("/a.txt", cancel.Token));
        Assert.InRange(stub.Count("/files/get_metadata"), 2, 5);
    }

    [Fact]
    public void Waits_follow_retry_after_capped_with_at_most_a_fifth_of_jitter()
    {
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 50; i++)
        {
            Assert.InRange(RetryAfterHandler.WaitBefore(1, new RetryConditionHeaderValue(TimeSpan.FromSeconds(2)), now), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2.4));
            Assert.InRange(RetryAfterHandler.WaitBefore(1, new RetryConditionHeaderValue(TimeSpan.FromHours(1)), now), RetryAfterHandler.MaxWait, RetryAfterHandler.MaxWait * 1.2);
            Assert.InRange(RetryAfterHandler.WaitBefore(1, new RetryConditionHeaderValue(now.AddSeconds(3)), now), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3.6));
            Assert.InRange(RetryAfterHandler.WaitBefore(3, null, now), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.2));
        }
    }
}
