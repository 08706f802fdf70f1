using System.Net;
using System.Net.Http.Headers;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Testing;

namespace DropSync.Api.Tests;

/// <summary>
/// Block transfers through signed URLs carry no device token, so they are bounded per client address
/// (<c>DropSync:RateLimits:BlockTransfersPerAddress</c> in progress, <c>BlockTransfersQueuedPerAddress</c> waiting):
/// one address cannot make the server hold a block buffer for every request it opens.
/// </summary>
public sealed class BlockTransferLimitTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dropsync-block-limit-").FullName;

    private const string Address = "203.0.113.40";
    private const string OtherAddress = "203.0.113.41";

    [Fact]
    public async Task Block_transfers_past_the_addresss_limit_and_queue_are_answered_429_and_others_go_on()
    {
        // A real server (Kestrel): a request's body arrives as the client sends it, so a PUT can hold its transfer.
        await using var server = await ServerProcess.StartAsync(
            Path.Combine(_root, "data"), Path.Combine(_root, "keys"),
            "--DropSync:RateLimits:BlockTransfersPerAddress", "2", "--DropSync:RateLimits:BlockTransfersQueuedPerAddress", "0",
            "--DropSync:RateLimits:TrustForwardedFor", "true");
        var owner = new ApiClient(server.CreateClient());
        await owner.RegisterAsync("held@example.com", "correct horse battery");
        await owner.LoginAsync("held@example.com", "correct horse battery", "laptop");
        using var http = server.CreateClient();

        // Two PUTs whose bodies stop half-way hold the address's two transfers. A probe that reaches the server while a
        // held PUT is still on its way takes that PUT's place (the PUT is answered 429; its task ends only once its body
        // is released), so probing starts once both bodies are half sent, and a round whose PUT lost that race is set
        // up again with new blocks: only a round where both PUTs were admitted says anything about the limit.
        for (var round = 1; ; round++)
        {
            var content = Dropbox.RandomBytes(2 * 64 * 1024, seed: 40 + round);
            var blocks = ResumableUpload.Split(content, 64 * 1024, 64 * 1024);
            var missing = (await ResumableUpload.BeginAsync(owner, ResumableUpload.Declare($"/held-{round}.bin", blocks)))["missing"]!.AsArray();
            var bodies = new[] { new HeldBody(blocks[0].Bytes), new HeldBody(blocks[1].Bytes) };
            var held = bodies.Select((body, i) => PutAsync(http, missing[i]!["url"]!.GetValue<string>(), body, Address)).ToList();
            (HttpStatusCode Status, string? Code, int? RetryAfter) refused;
            HttpStatusCode? otherAddress = null;
            try
            {
                await Task.WhenAll(bodies.Select(b => b.HalfSent)).WaitAsync(TimeSpan.FromSeconds(30));
                await Task.Delay(100); // the server reads what was sent: makes the race rare; the retry below makes it harmless

                // Once both hold their transfers, a third from the same address is refused at once...
                refused = await Eventually.ProbeUntilAsync(async () => await ProbeAsync(http, Address), r => r.Status == HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(10));

                // ...and another address is not held back (its probe reaches the endpoint: a bad signature).
                if (refused.Status == HttpStatusCode.TooManyRequests)
                {
                    otherAddress = (await ProbeAsync(http, OtherAddress)).Status;
                }
            }
            finally
            {
                foreach (var body in bodies)
                {
                    body.Release();
                }
            }

            var statuses = await Task.WhenAll(held);
            if (refused.Status != HttpStatusCode.TooManyRequests && statuses.Any(status => status != HttpStatusCode.OK) && round < 5)
            {
                continue;
            }

            Assert.True(refused.Status == HttpStatusCode.TooManyRequests, $"a third transfer from the address was {refused.Status} {refused.Code}; the two held PUTs: {string.Join(", ", statuses.Select(status => status?.ToString() ?? "cut off"))}");
            Assert.Equal("too_many_requests", refused.Code);
            Assert.True(refused.RetryAfter >= 1);
            Assert.Equal(HttpStatusCode.Forbidden, otherAddress);
            Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
            break;
        }

        // With the transfers done, the address is not held back either.
        Assert.Equal(HttpStatusCode.Forbidden, (await ProbeAsync(http, Address)).Status);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>The PUT's status; null when the server answered early and closed the connection while the body was still being sent.</summary>
    private static async Task<HttpStatusCode?> PutAsync(HttpClient http, string url, HeldBody body, string address)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = new StreamContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Content.Headers.ContentLength = body.Length;
        request.Headers.Add("X-Forwarded-For", address);
        try
        {
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>A block GET with a wrong signature: 403 once it reaches the endpoint, 429 if the limiter turns it away first.</summary>
    private static async Task<(HttpStatusCode Status, string? Code, int? RetryAfter)> ProbeAsync(HttpClient http, string address)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/blocks/" + new string('a', 64) + "?user=u&size=1&exp=1&sig=x");
        request.Headers.Add("X-Forwarded-For", address);
        using var response = await http.SendAsync(request);
        var body = await ApiClient.ReadJsonAsync(response);
        return (response.StatusCode, body["error"]?.GetValue<string>(), (int?)response.Headers.RetryAfter?.Delta?.TotalSeconds);
    }

    /// <summary>A request body that gives its first half, then waits for <see cref="Release"/> before the rest.</summary>
    private sealed class HeldBody(byte[] bytes) : MemoryStream(bytes)
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _halfSent = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes when the sender has asked for more than the first half: it has all of that half.</summary>
        public Task HalfSent => _halfSent.Task;

        public void Release() => _released.TrySetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Position >= Length / 2)
            {
                _halfSent.TrySetResult();
                await _released.Task.WaitAsync(cancellationToken);
            }

            var limit = Position < Length / 2 ? (int)Math.Min(buffer.Length, (Length / 2) - Position) : buffer.Length;
            return await base.ReadAsync(buffer[..limit], cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
