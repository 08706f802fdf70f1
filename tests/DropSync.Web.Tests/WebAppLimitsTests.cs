using System.Collections.Concurrent;
using DropSync.Web.Tests.Infrastructure;
using Microsoft.Playwright;

namespace DropSync.Web.Tests;

/// <summary>
/// The web app within the limits a server advertises at /config (AWS: 4 MiB each way). The embedded server has no
/// download limit, so the browser is given an AWS-like /config with small limits (a routed answer).
/// </summary>
public sealed partial class WebAppTests
{
    private const int SmallLimit = 64 * 1024;

    /// <summary>A page whose GET /config answers small limits (the live feed stays the embedded server's).</summary>
    private async Task<IPage> PageWithSmallLimitsAsync()
    {
        var page = await app.NewPageAsync();
        var port = app.Server.BaseAddress.Port;
        await page.Context.RouteAsync("**/config", route => route.FulfillAsync(new RouteFulfillOptions
        {
            ContentType = "application/json",
            Body = $$"""
                {"mode":"aws","websocket_url":"ws://127.0.0.1:{{port}}/notifications/ws","max_request_bytes":{{SmallLimit}},
                 "max_response_bytes":{{SmallLimit}},"max_batch_bytes":{{SmallLimit}},"max_batch_files":1000,"max_block_bytes":4194304}
                """,
        }));
        return page;
    }

    private async Task SignInAsync(IPage page, string email, string device)
    {
        var login = await app.LoginAsync(email, device);
        await page.GotoAsync(app.BaseUrl + "/app/signin");
        await page.EvaluateAsync("s => localStorage.setItem('dropsync.session', s)", login.ToJsonString());
        await page.GotoAsync(app.BaseUrl + "/app/files");
    }

    [Fact]
    public async Task The_live_socket_says_hello_and_files_over_the_limits_go_by_blocks()
    {
        var email = await app.RegisterAsync("limits");
        using var api = await app.ApiAsync(email, "api");
        var big = new byte[300_000];
        new Random(5).NextBytes(big);
        await api.UploadAsync("/big.bin", big);

        var page = await PageWithSmallLimitsAsync();
        var requests = new ConcurrentQueue<string>();
        page.Request += (_, request) => requests.Enqueue(request.Method + " " + request.Url);
        var sockets = new ConcurrentQueue<string>();
        var sent = new ConcurrentQueue<string>();
        page.WebSocket += (_, socket) =>
        {
            sockets.Enqueue(socket.Url);
            socket.FrameSent += (_, frame) => sent.Enqueue(frame.Text ?? "");
        };
        await SignInAsync(page, email, "browser");
        await Assertions.Expect(page.Locator("body[data-live=connected]")).ToHaveCountAsync(1);
        Assert.Contains(sockets, url => url.Contains("/notifications/ws?access_token=", StringComparison.Ordinal));
        Assert.Equal("""{"action":"hello"}""", sent.First());

        // Over max_response_bytes: by blocks, each checked, and saved whole.
        await page.GetByRole(AriaRole.Button, new() { Name = "Actions for big.bin" }).ClickAsync();
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download", Exact = true }).ClickAsync());
        Assert.Equal(big, await File.ReadAllBytesAsync((await download.PathAsync())!));
        Assert.Contains(requests, r => r.StartsWith("POST ", StringComparison.Ordinal) && r.EndsWith("/files/get_blocks", StringComparison.Ordinal));
        Assert.DoesNotContain(requests, r => r.Contains("/files/download", StringComparison.Ordinal));

        // A block that arrives damaged is refused: an error, no file.
        await page.RouteAsync("**/blocks/**", async route =>
        {
            var response = await route.FetchAsync();
            var body = await response.BodyAsync();
            body[0] ^= 1;
            await route.FulfillAsync(new RouteFulfillOptions { Response = response, BodyBytes = body });
        });
        await page.GetByRole(AriaRole.Button, new() { Name = "Actions for big.bin" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Download", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator(".toast-error")).ToContainTextAsync("arrived damaged");
        await page.UnrouteAsync("**/blocks/**");

        // Over max_request_bytes: up by blocks (resumable), never as one body.
        var upload = new byte[150_000];
        new Random(6).NextBytes(upload);
        await page.Locator("#file-picker").SetInputFilesAsync(new FilePayload { Name = "up.bin", MimeType = "application/octet-stream", Buffer = upload });
        await Assertions.Expect(Row(page, "up.bin")).ToBeVisibleAsync();
        Assert.Contains(requests, r => r.Contains("uploadType=resumable", StringComparison.Ordinal));
        Assert.DoesNotContain(requests, r => r.Contains("uploadType=media", StringComparison.Ordinal));
        Assert.Equal(upload, await api.DownloadAsync("/up.bin"));
        await page.Context.CloseAsync();
    }

    /// <summary>Needs the server side of the contract (POST /s/{token}/get_blocks).</summary>
    [Fact]
    public async Task A_shared_link_file_over_the_limit_comes_by_blocks()
    {
        var email = await app.RegisterAsync("linkblocks");
        using var api = await app.ApiAsync(email, "api");
        var big = new byte[200_000];
        new Random(9).NextBytes(big);
        await api.UploadAsync("/Share/big.bin", big);
        var link = await api.PostAsync("/sharing/create_link", new { path = "/Share/big.bin" });

        var visitor = await PageWithSmallLimitsAsync();
        var requests = new ConcurrentQueue<string>();
        visitor.Request += (_, request) => requests.Enqueue(request.Method + " " + request.Url);
        await visitor.GotoAsync(link["web_url"]!.GetValue<string>());
        var download = await visitor.RunAndWaitForDownloadAsync(() => visitor.GetByRole(AriaRole.Button, new() { Name = "Download big.bin" }).ClickAsync());

        Assert.Equal(big, await File.ReadAllBytesAsync((await download.PathAsync())!));
        Assert.Contains(requests, r => r.StartsWith("POST ", StringComparison.Ordinal) && r.EndsWith("/get_blocks", StringComparison.Ordinal));
        Assert.DoesNotContain(requests, r => r.Contains("/download?", StringComparison.Ordinal));
        await visitor.Context.CloseAsync();
    }
}
