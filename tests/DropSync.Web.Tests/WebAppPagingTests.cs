using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace DropSync.Web.Tests;

/// <summary>A download by blocks follows get_blocks' pages (has_more, next_start) to the whole file.</summary>
public sealed partial class WebAppTests
{
    [Fact]
    public async Task A_download_by_blocks_follows_the_pages_of_get_blocks()
    {
        var email = await app.RegisterAsync("paged");
        using var api = await app.ApiAsync(email, "api");
        // Three 4 MiB-or-less blocks; get_blocks is asked (by the route below) for one block a page.
        var big = new byte[(8 * 1024 * 1024) + 5_000];
        new Random(12).NextBytes(big);
        await api.UploadAsync("/paged.bin", big);

        var page = await PageWithSmallLimitsAsync();
        var starts = new ConcurrentQueue<int>();
        await page.RouteAsync("**/files/get_blocks", async route =>
        {
            var body = JsonNode.Parse(route.Request.PostData ?? "{}")!.AsObject();
            starts.Enqueue(body["start"]?.GetValue<int>() ?? -1);
            body["limit"] = 1;
            await route.ContinueAsync(new RouteContinueOptions { PostData = System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()) });
        });
        await SignInAsync(page, email, "browser");
        await page.GetByRole(AriaRole.Button, new() { Name = "Actions for paged.bin" }).ClickAsync();
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download", Exact = true }).ClickAsync());

        Assert.Equal(big, await File.ReadAllBytesAsync((await download.PathAsync())!));
        Assert.Equal([0, 1, 2], starts.ToArray());
        await page.Context.CloseAsync();
    }
}
