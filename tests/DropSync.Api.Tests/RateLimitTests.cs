using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Core.Accounts;
using Microsoft.Extensions.DependencyInjection;

namespace DropSync.Api.Tests;

/// <summary>Issue 13 (2): limits on guessing and flooding answer 429 too_many_requests with Retry-After.</summary>
public sealed class RateLimitTests
{
    private const string Password = "correct horse battery";

    [Fact]
    public async Task Wrong_passwords_lock_the_account_for_the_window_whatever_the_address_and_only_failures_count()
    {
        using var factory = DropSyncApiFactory.WithSettings(
            ("DropSync:RateLimits:LoginFailuresPerAccount", "3"), ("DropSync:RateLimits:FailureWindow", "00:15:00"),
            ("DropSync:RateLimits:TrustForwardedFor", "true"));
        var victim = await factory.SignUpAsync();
        var bystander = await factory.SignUpAsync();

        // Right passwords never use up the allowance.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await LoginAsync(factory, victim.Email!, Password, $"198.51.100.{i}")).Status);
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(factory, victim.Email!, "wrong guess " + i, $"203.0.113.{i}")).Status);
        }

        var (status, body, retryAfter) = await LoginAsync(factory, victim.Email!, Password, "192.0.2.77");

        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal("too_many_requests", body["error"]!.GetValue<string>());
        Assert.InRange(retryAfter!.Value, 1, 15 * 60);
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(factory, bystander.Email!, Password, "203.0.113.1")).Status);

        factory.Clock.Advance(TimeSpan.FromMinutes(16));
        Assert.Equal(HttpStatusCode.OK, (await LoginAsync(factory, victim.Email!, Password, "192.0.2.77")).Status);
    }

    [Fact]
    public async Task Sign_ins_are_limited_per_client_address_taken_from_the_last_forwarded_entry()
    {
        using var factory = DropSyncApiFactory.WithSettings(
            ("DropSync:RateLimits:LoginsPerAddressPerMinute", "3"), ("DropSync:RateLimits:TrustForwardedFor", "true"));
        var user = await factory.SignUpAsync();

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            // The client writes its own entries on the left; only the proxy's (the last) counts.
            answers.Add((await LoginAsync(factory, user.Email!, Password, $"10.0.0.{i}, 203.0.113.9")).Status);
        }

        var (otherStatus, _, _) = await LoginAsync(factory, user.Email!, Password, "203.0.113.10");
        var (_, body, retryAfter) = await LoginAsync(factory, user.Email!, Password, "203.0.113.9");

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], answers);
        Assert.Equal("too_many_requests", body["error"]!.GetValue<string>());
        Assert.True(retryAfter >= 1);
        Assert.Equal(HttpStatusCode.OK, otherStatus);
    }

    [Fact]
    public async Task Without_the_setting_a_forwarded_header_does_not_choose_the_address()
    {
        using var factory = DropSyncApiFactory.WithSettings(("DropSync:RateLimits:LoginsPerAddressPerMinute", "1"));
        var user = await factory.SignUpAsync();

        // The in-process test host has no client address, so nothing is limited per address; a forwarded header that
        // were trusted would make one.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await LoginAsync(factory, user.Email!, Password, "203.0.113.50")).Status);
        }
    }

    [Fact]
    public async Task Registrations_are_limited_per_address()
    {
        using var factory = DropSyncApiFactory.WithSettings(
            ("DropSync:RateLimits:RegistrationsPerAddressPerHour", "2"), ("DropSync:RateLimits:TrustForwardedFor", "true"));
        using var http = factory.CreateClient();

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/register") { Content = JsonContent.Create(new { email = $"r{i}-{Guid.NewGuid():N}@example.com", password = Password }) };
            request.Headers.Add("X-Forwarded-For", "203.0.113.20");
            using var response = await http.SendAsync(request);
            answers.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.NotNull(response.Headers.RetryAfter?.Delta);
            }
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], answers);
    }

    [Fact]
    public async Task The_api_has_a_token_bucket_per_device()
    {
        using var factory = DropSyncApiFactory.WithSettings(
            ("DropSync:RateLimits:ApiBurstPerDevice", "3"), ("DropSync:RateLimits:ApiRequestsPerSecondPerDevice", "1"));
        var flooder = await factory.SignUpAsync(deviceName: "flooder");
        var other = await factory.SignInAsync(flooder.Email!, "other");

        var statuses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => flooder.PostAsync("/files/list_folder", new { path = "" })));
        var refused = statuses.First(s => s.Status == HttpStatusCode.TooManyRequests);

        Assert.InRange(statuses.Count(s => s.Status == HttpStatusCode.OK), 3, 10);
        Assert.Equal("too_many_requests", refused.Body["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await other.PostAsync("/files/list_folder", new { path = "" })).Status);
    }

    [Fact]
    public async Task Batches_count_by_their_files_per_device()
    {
        using var factory = DropSyncApiFactory.WithSettings(
            ("DropSync:RateLimits:BatchFilesBurstPerDevice", "5"), ("DropSync:RateLimits:BatchFilesPerSecondPerDevice", "1"));
        var batcher = await factory.SignUpAsync(deviceName: "batcher");
        var other = await factory.SignInAsync(batcher.Email!, "other");
        var four = new { files = Enumerable.Range(0, 4).Select(i => new { path = $"/f{i}.txt" }).ToArray() };

        var first = await batcher.PostAsync("/files/download_batch", four);
        using var second = await batcher.Http.PostAsJsonAsync("/files/download_batch", four);
        var refused = JsonNode.Parse(await second.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal("too_many_requests", refused["error"]!.GetValue<string>());
        Assert.NotNull(second.Headers.RetryAfter?.Delta);
        // One request each: the request bucket (5,000) is nowhere near; another device has its own file budget.
        Assert.Equal(HttpStatusCode.OK, (await other.PostAsync("/files/download_batch", four)).Status);
    }

    [Fact]
    public async Task Wrong_link_passwords_lock_the_link()
    {
        using var factory = DropSyncApiFactory.WithSettings(("DropSync:RateLimits:LinkPasswordFailuresPerLink", "2"));
        var owner = await factory.SignUpAsync();
        await owner.UploadOkAsync("/report.txt", "numbers"u8.ToArray());
        var link = await owner.OkAsync("/sharing/create_link", new { path = "/report.txt", password = "link secret 1" });
        var url = new Uri(link["url"]!.GetValue<string>()).AbsolutePath;
        using var visitor = factory.CreateClient();

        var wrong = new[] { await OpenLinkAsync(visitor, url, "guess 1"), await OpenLinkAsync(visitor, url, "guess 2") };
        var locked = await OpenLinkAsync(visitor, url, "link secret 1");

        Assert.All(wrong, s => Assert.Equal(HttpStatusCode.Unauthorized, s.Status));
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.Status);
        Assert.True(locked.RetryAfter >= 1);
        factory.Clock.Advance(TimeSpan.FromMinutes(16));
        Assert.Equal(HttpStatusCode.OK, (await OpenLinkAsync(visitor, url, "link secret 1")).Status);
    }

    [Fact]
    public async Task Failed_webdav_sign_ins_lock_that_account_and_address()
    {
        using var factory = DropSyncApiFactory.WithSettings(
            ("DropSync:RateLimits:DavFailuresPerAccountAndAddress", "2"), ("DropSync:RateLimits:TrustForwardedFor", "true"));
        var owner = await factory.SignUpAsync();
        var secret = (await owner.OkAsync("/auth/create_app_password", new { name = "Finder" }))["app_password"]!.GetValue<string>();
        using var http = factory.CreateClient();

        var wrong1 = await PropfindAsync(http, owner.Email!, "wrong-one", "203.0.113.30");
        var wrong2 = await PropfindAsync(http, owner.Email!, "wrong-two", "203.0.113.30");
        var lockedOut = await PropfindAsync(http, owner.Email!, secret, "203.0.113.30");
        var elsewhere = await PropfindAsync(http, owner.Email!, secret, "203.0.113.31");

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized], new[] { wrong1.Status, wrong2.Status });
        Assert.Equal(HttpStatusCode.TooManyRequests, lockedOut.Status);
        Assert.True(lockedOut.RetryAfter >= 1);
        Assert.Equal((HttpStatusCode)207, elsewhere.Status);
    }

    [Fact]
    public async Task Password_hashing_past_its_queue_answers_503_server_busy_with_retry_after()
    {
        // One hash at a time, nobody waiting. The test holds the one slot itself (a hash that has not finished), so the
        // sign-in below is past the queue whatever the machine's load; racing eight sign-ins left that to the scheduler.
        using var factory = DropSyncApiFactory.WithSettings(("DropSync:PasswordHashingConcurrency", "1"), ("DropSync:PasswordHashingQueueLength", "0"));
        var user = await factory.SignUpAsync();
        var gate = factory.Services.GetRequiredService<PasswordHashingGate>();
        using var hashing = new ManualResetEventSlim(false);
        using var finish = new ManualResetEventSlim(false);
        var held = Task.Run(() => gate.RunAsync(() => { hashing.Set(); finish.Wait(); return 0; }, CancellationToken.None));
        Assert.True(hashing.Wait(TimeSpan.FromSeconds(30)), "the test's own hash never started");

        (HttpStatusCode Status, JsonNode Body, int? RetryAfter) busy;
        try
        {
            // Bounded: a gate that queued this sign-in instead of refusing it would wait for the held slot.
            busy = await LoginAsync(factory, user.Email!, "wrong", null).WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            finish.Set();
            await held;
        }

        var after = await LoginAsync(factory, user.Email!, "wrong", null);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, busy.Status);
        Assert.Equal("server_busy", busy.Body["error"]!.GetValue<string>());
        Assert.True(busy.RetryAfter >= 1);
        Assert.Equal(HttpStatusCode.Unauthorized, after.Status);
    }

    private static async Task<(HttpStatusCode Status, JsonNode Body, int? RetryAfter)> LoginAsync(DropSyncApiFactory factory, string email, string password, string? forwardedFor)
    {
        using var http = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/login") { Content = JsonContent.Create(new { email, password, device_name = "test" }) };
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        using var response = await http.SendAsync(request);
        return (response.StatusCode, await ApiClient.ReadJsonAsync(response), (int?)response.Headers.RetryAfter?.Delta?.TotalSeconds);
    }

    private static async Task<(HttpStatusCode Status, int? RetryAfter)> OpenLinkAsync(HttpClient http, string url, string password)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("DropSync-Link-Password", password);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, (int?)response.Headers.RetryAfter?.Delta?.TotalSeconds);
    }

    private static async Task<(HttpStatusCode Status, int? RetryAfter)> PropfindAsync(HttpClient http, string email, string secret, string address)
    {
        using var request = new HttpRequestMessage(new HttpMethod("PROPFIND"), "/dav/");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{email}:{secret}")));
        request.Headers.Add("Depth", "0");
        request.Headers.Add("X-Forwarded-For", address);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, (int?)response.Headers.RetryAfter?.Delta?.TotalSeconds);
    }
}
