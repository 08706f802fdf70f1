using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace DropSync.AwsHarness.Tests.WebApp;

/// <summary>
/// The web app in Chromium, served by the http function through the HTTP API emulation, as a deployed DropSync serves
/// it: signing up and in through the UI, a 20 MB file up by the resumable upload with presigned PUTs to S3 (it is over
/// max_request_bytes) and down by blocks from presigned GETs (over max_response_bytes), byte for byte, and another
/// device's change appearing in the open folder live, over the WebSocket API.
/// </summary>
[Collection(HarnessCollection.Name)]
[Trait("Category", "AwsHarness")]
public sealed class WebAppInAwsModeTests(HarnessFixture fixture, BrowserFixture chromium) : IClassFixture<BrowserFixture>
{
    private const string Password = "correct horse battery";
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(120);

    // The harness shares two cores with four function processes and Chromium: Playwright's 5 s default is too short.
    private static readonly LocatorAssertionsToBeVisibleOptions Visible = new() { Timeout = 30_000 };

    private static ILocator Row(IPage page, string name) => page.Locator($"tr.entry[data-name=\"{name}\"]");

    [Fact]
    public async Task Signs_up_and_in_moves_a_20_MB_file_through_s3_both_ways_and_sees_another_devices_change_live()
    {
        var harness = fixture.Harness;
        await using var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions { AcceptDownloads = true });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        var requests = new ConcurrentQueue<string>();
        var failures = new ConcurrentQueue<string>();
        var frames = new ConcurrentQueue<string>();
        page.Request += (_, request) => requests.Enqueue(request.Method + " " + request.Url);
        page.WebSocket += (_, socket) => socket.FrameReceived += (_, frame) => frames.Enqueue(frame.Text ?? "");
        page.RequestFailed += (_, request) => failures.Enqueue(request.Method + " " + request.Url + " " + request.Failure);
        var appUrl = harness.HttpApiUrl.ToString();
        var s3Proxy = harness.Functions["http"].Environment["DROPSYNC_S3_ENDPOINT"];

        // Sign up, sign out, sign in: all through the UI.
        await page.GotoAsync(appUrl);
        await page.GetByRole(AriaRole.Link, new() { Name = "Create an account" }).ClickAsync();
        var email = $"web-{Guid.NewGuid():N}@example.com";
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
        await page.GetByLabel("Password again").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "All files" })).ToBeVisibleAsync(Visible);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).First.ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to DropSync" })).ToBeVisibleAsync(Visible);
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "All files" })).ToBeVisibleAsync(Visible);
        await Assertions.Expect(page.Locator("body[data-live=connected]")).ToHaveCountAsync(1, new() { Timeout = 30_000 });

        // Up: over max_request_bytes, so a resumable upload whose blocks go to presigned S3 PUTs.
        var original = RandomNumberGenerator.GetBytes(20 * 1024 * 1024);
        // From a file on disk: Chromium reads it itself, instead of 27 MB of base64 through Playwright's protocol.
        var folder = Directory.CreateTempSubdirectory("dropsync-webapp-");
        var bigFile = Path.Combine(folder.FullName, "big.bin");
        await File.WriteAllBytesAsync(bigFile, original);
        await page.Locator("#file-picker").SetInputFilesAsync(bigFile, new() { Timeout = (float)Slow.TotalMilliseconds });
        await Assertions.Expect(Row(page, "big.bin")).ToBeVisibleAsync(new() { Timeout = (float)Slow.TotalMilliseconds });
        folder.Delete(recursive: true); // only now: the page reads the file as it uploads
        Assert.Contains(requests, r => r.Contains("uploadType=resumable", StringComparison.Ordinal));
        Assert.DoesNotContain(requests, r => r.Contains("uploadType=media", StringComparison.Ordinal));
        Assert.Contains(requests, r => r.StartsWith("PUT " + s3Proxy + "/", StringComparison.Ordinal));

        // Down: over max_response_bytes, so by blocks from presigned S3 GETs; the saved file is the original.
        await page.GetByRole(AriaRole.Button, new() { Name = "Actions for big.bin" }).ClickAsync();
        var download = await page.RunAndWaitForDownloadAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Download", Exact = true }).ClickAsync(),
            new() { Timeout = (float)Slow.TotalMilliseconds });
        var saved = await File.ReadAllBytesAsync((await download.PathAsync())!);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(original)), Convert.ToHexString(SHA256.HashData(saved)));
        Assert.Contains(requests, r => r.StartsWith("POST ", StringComparison.Ordinal) && r.EndsWith("/files/get_blocks", StringComparison.Ordinal));
        Assert.Contains(requests, r => r.StartsWith("GET " + s3Proxy + "/", StringComparison.Ordinal));
        Assert.DoesNotContain(requests, r => r.Contains("/files/download", StringComparison.Ordinal));

        // Another device of the same account uploads through the HTTP API: the open folder shows it without a reload.
        using var phone = fixture.Api();
        using (var login = await phone.PostAsJsonAsync("/auth/login", new { email, password = Password, device_name = "phone" }))
        {
            var body = JsonNode.Parse(await login.Content.ReadAsStringAsync())!;
            Assert.True(login.IsSuccessStatusCode, body.ToJsonString());
            phone.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body["access_token"]!.GetValue<string>());
        }

        var navigations = 0;
        page.FrameNavigated += (_, frame) => navigations += frame == page.MainFrame ? 1 : 0;
        using (var upload = await phone.PostAsync(
            "/files/upload?uploadType=media&path=%2Ffrom-phone.txt&mode=add", new ByteArrayContent(Encoding.UTF8.GetBytes("sent from the phone"))))
        {
            Assert.True(upload.IsSuccessStatusCode, await upload.Content.ReadAsStringAsync());
        }

        try
        {
            await Assertions.Expect(Row(page, "from-phone.txt")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        }
        catch (PlaywrightException e)
        {
            var denied = DropSync.AwsHarness.Iam.IamCheck.Check(harness.Template.Template, harness.Template.Resolve, harness.Calls.Snapshot()).Denied;
            Assert.Fail($"The other device's file did not appear live: {e.Message.Split('\n')[0]}\nFrames received: {string.Join(" | ", frames)}\n" +
                $"Calls IAM denies: {string.Join(", ", denied.Select(d => d.Call))}\nFailures: {string.Join("\n", failures)}\n" +
                $"Fanout invocations: {harness.ChangeQueueEvents.Invocations}; fanout calls: {string.Join(", ", harness.Calls.Snapshot().Where(c => c.Function == "fanout").Select(c => c.Action).Distinct())}" +
                DropSync.AwsHarness.Tests.EndToEnd.HarnessDiagnostics.Describe(harness, 40));
        }

        Assert.Equal(0, navigations);
        Assert.True(failures.IsEmpty, string.Join("\n", failures));
    }
}
