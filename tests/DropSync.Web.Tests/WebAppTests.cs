using System.Text;
using System.Text.RegularExpressions;
using DropSync.Web.Tests.Infrastructure;
using Microsoft.Playwright;

namespace DropSync.Web.Tests;

/// <summary>
/// The web app end to end: headless Chromium against the real server process, one server and browser for the class.
/// This part: the app's shell, keyboard and phone layout; uploads, revisions, live updates, sharing, limits and paging
/// are the WebApp*Tests.cs parts beside it.
/// </summary>
public sealed partial class WebAppTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    private static ILocator Row(IPage page, string name) => page.Locator($"tr.entry[data-name=\"{name}\"]");

    /// <summary>
    /// Opens a row's actions menu, as a person would: clicked again if no menu came. A redraw keeps unchanged rows
    /// (A_live_update_redraws_only_the_rows_that_changed) and a live one waits while a button is held, but right after
    /// an upload the page refreshes by itself and the row of the file just uploaded is redrawn (its rev changed); a
    /// redraw between the press and the release of its button loses the click: one CI run's menu never came, most
    /// likely so.
    /// </summary>
    private static async Task OpenActionsAsync(IPage page, string name)
    {
        var menu = page.GetByRole(AriaRole.List, new() { Name = $"Actions for {name}" });
        for (var attempt = 1; ; attempt++)
        {
            await page.GetByRole(AriaRole.Button, new() { Name = $"Actions for {name}" }).ClickAsync();
            try
            {
                await menu.WaitForAsync(new() { Timeout = 3_000 });
                return;
            }
            catch (TimeoutException) when (attempt < 3)
            {
            }
        }
    }

    [Fact]
    public async Task Serves_the_app_without_shadowing_the_api()
    {
        using var http = app.Server.CreateClient();
        using var index = await http.GetAsync("/");
        Assert.Equal("text/html", index.Content.Headers.ContentType?.MediaType);
        using var route = await http.GetAsync("/app/files/Some/Folder");
        Assert.Equal("text/html", route.Content.Headers.ContentType?.MediaType);
        using var script = await http.GetAsync("/assets/js/main.js");
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);

        // Unknown API calls still answer the API's JSON errors, never the app's HTML.
        using var unknown = await http.PostAsync("/files/no_such_endpoint", null);
        Assert.Equal("application/json", unknown.Content.Headers.ContentType?.MediaType);
        using var link = await http.GetAsync("/s/not-a-token");
        Assert.Equal("application/json", link.Content.Headers.ContentType?.MediaType);
        using var missingAsset = await http.GetAsync("/assets/missing.js");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missingAsset.StatusCode);
        Assert.Contains("\"error\"", await missingAsset.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Keyboard_focus_stays_on_the_list_after_rename_move_and_delete_and_dialogs_trap_it()
    {
        var email = await app.RegisterAsync("keys");
        using var api = await app.ApiAsync(email, "api");
        await api.PostAsync("/files/create_folder", new { path = "/Archive" });
        foreach (var name in new[] { "a.txt", "b.txt", "c.txt", "d.txt" })
        {
            await api.UploadAsync("/" + name, Encoding.UTF8.GetBytes(name));
        }

        var page = await app.SignedInPageAsync(email, "browser");
        await Assertions.Expect(Row(page, "d.txt")).ToBeVisibleAsync();
        // The hidden file inputs are opened by their buttons; they are no tab stops of their own.
        Assert.Equal("-1", await page.Locator("#file-picker").GetAttributeAsync("tabindex"));
        Assert.Equal("-1", await page.Locator("#folder-picker").GetAttributeAsync("tabindex"));

        Task<string?> Focused() => page.EvaluateAsync<string?>("() => document.activeElement?.dataset?.name ?? document.activeElement?.tagName");

        // Rename with F2 and Enter: focus follows the renamed row.
        await Row(page, "b.txt").FocusAsync();
        await page.Keyboard.PressAsync("F2");
        await page.Keyboard.TypeAsync("bee");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(Row(page, "bee.txt")).ToBeVisibleAsync();
        Assert.Equal("bee.txt", await Focused());
        await WebAppFixture.ScreenshotAsync(page, "17-focus-after-rename");

        // Delete with the Delete key: focus goes to the row after it.
        await page.Keyboard.PressAsync("Delete");
        await Assertions.Expect(page.Locator("dialog")).ToContainTextAsync("Delete bee.txt?");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(Row(page, "bee.txt")).ToHaveCountAsync(0);
        Assert.Equal("c.txt", await Focused());

        // Move (from the keyboard's context menu) into another folder: focus stays in the list, on the next row.
        await page.Keyboard.PressAsync("Shift+F10");
        await page.Locator("dialog").GetByRole(AriaRole.Button, new() { Name = "Move" }).ClickAsync();
        await page.GetByLabel("To folder").FillAsync("/Archive");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(Row(page, "c.txt")).ToHaveCountAsync(0);
        Assert.Equal("d.txt", await Focused());

        // A dialog keeps Tab and Shift+Tab inside itself.
        await page.Keyboard.PressAsync("Shift+F10");
        var dialog = page.Locator("dialog");
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        var stops = await dialog.Locator("button").CountAsync();
        for (var i = 0; i < stops + 2; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            Assert.True(await page.EvaluateAsync<bool>("() => !!document.activeElement?.closest('dialog')"), $"Tab {i + 1} left the dialog");
        }

        await dialog.GetByRole(AriaRole.Button, new() { Name = "Close" }).FocusAsync();
        await page.Keyboard.PressAsync("Shift+Tab");
        Assert.Equal("Delete", await page.EvaluateAsync<string>("() => document.activeElement.textContent"));
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("Close", await page.EvaluateAsync<string>("() => document.activeElement.getAttribute('aria-label')"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task On_a_phone_the_sections_fit_and_files_sort_by_date()
    {
        var email = await app.RegisterAsync("phone");
        using var api = await app.ApiAsync(email, "api");
        await api.UploadAsync("/zeta.txt", Encoding.UTF8.GetBytes("older"));
        await Task.Delay(20);
        await api.UploadAsync("/alpha.txt", Encoding.UTF8.GetBytes("newer"));

        var page = await app.SignedInPageAsync(email, "phone", viewport: new ViewportSize { Width = 390, Height = 844 });
        await Assertions.Expect(Row(page, "zeta.txt")).ToBeVisibleAsync();
        foreach (var section in new[] { "All files", "Shared with me", "Shared links", "Deleted files", "Devices" })
        {
            var box = await page.Locator("#sidebar").GetByRole(AriaRole.Link, new() { Name = section }).BoundingBoxAsync();
            Assert.True(box is not null && box.X >= 0 && box.X + box.Width <= 390, $"{section} is cut off or off-screen");
        }

        var rows = page.Locator("tr.entry");
        await page.GetByLabel("Sort by", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Oldest first" });
        await Assertions.Expect(rows.First).ToHaveAttributeAsync("data-name", "zeta.txt");
        await page.GetByLabel("Sort by", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Newest first" });
        await Assertions.Expect(rows.First).ToHaveAttributeAsync("data-name", "alpha.txt");
        await WebAppFixture.ScreenshotAsync(page, "20-phone-files");
        await page.Context.CloseAsync();
    }

    [GeneratedRegex("^Retry ")]
    private static partial Regex RetryButton();
}
