using System.Text;
using DropSync.Web.Tests.Infrastructure;
using Microsoft.Playwright;

namespace DropSync.Web.Tests;

/// <summary>What reaches an open web app while it runs: another device's changes, live, and notifications.</summary>
public sealed partial class WebAppTests
{
    [Fact]
    public async Task A_second_device_sees_changes_live()
    {
        var email = await app.RegisterAsync("sam");
        var laptop = await app.SignedInPageAsync(email, "laptop");
        var phone = await app.SignedInPageAsync(email, "phone", viewport: new ViewportSize { Width = 390, Height = 800 });
        await Assertions.Expect(phone.GetByText("This folder is empty.")).ToBeVisibleAsync();
        await Assertions.Expect(phone.Locator("body[data-live=connected]")).ToHaveCountAsync(1);

        await laptop.Locator("#file-picker").SetInputFilesAsync(new FilePayload { Name = "live.txt", MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes("live!") });
        await Assertions.Expect(Row(laptop, "live.txt")).ToBeVisibleAsync();

        // The phone never reloads: its WebSocket tells it the open folder changed.
        await Assertions.Expect(Row(phone, "live.txt")).ToBeVisibleAsync();
        await WebAppFixture.ScreenshotAsync(phone, "04-phone-live-update");

        // The second device can revoke the first, which is then signed out.
        await phone.GotoAsync(app.BaseUrl + "/app/devices");
        await phone.GetByRole(AriaRole.Button, new() { Name = "Revoke laptop" }).ClickAsync();
        await phone.Locator("dialog").GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Assertions.Expect(phone.GetByRole(AriaRole.Button, new() { Name = "Revoke laptop" })).ToHaveCountAsync(0);
        await laptop.ReloadAsync();
        await Assertions.Expect(laptop.GetByRole(AriaRole.Heading, new() { Name = "Sign in to DropSync" })).ToBeVisibleAsync();
        await laptop.Context.CloseAsync();
        await phone.Context.CloseAsync();
    }

    [Fact]
    public async Task A_live_update_redraws_only_the_rows_that_changed()
    {
        var email = await app.RegisterAsync("steady");
        using var api = await app.ApiAsync(email, "api");
        await api.UploadAsync("/a.txt", Encoding.UTF8.GetBytes("a"));
        await api.UploadAsync("/b.txt", Encoding.UTF8.GetBytes("b"));
        await api.UploadAsync("/d.txt", Encoding.UTF8.GetBytes("d"));
        var page = await app.SignedInPageAsync(email, "browser");
        await Assertions.Expect(Row(page, "d.txt")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("body[data-live=connected]")).ToHaveCountAsync(1);
        await page.EvaluateAsync("() => { window.rowBefore = document.querySelector('tr.entry[data-name=\"a.txt\"]'); }");

        // Another device adds, changes and deletes files: the list is redrawn, a.txt's row is the same element.
        await api.UploadAsync("/c.txt", Encoding.UTF8.GetBytes("c"));
        await api.UploadAsync("/b.txt", Encoding.UTF8.GetBytes("b, edited"), "overwrite");
        await api.PostAsync("/files/delete", new { path = "/d.txt" });
        await Assertions.Expect(Row(page, "c.txt")).ToBeVisibleAsync();
        await Assertions.Expect(Row(page, "b.txt").Locator(".col-size")).ToHaveTextAsync("9 B");
        await Assertions.Expect(Row(page, "d.txt")).ToHaveCountAsync(0);

        Assert.True(await page.EvaluateAsync<bool>("() => window.rowBefore === document.querySelector('tr.entry[data-name=\"a.txt\"]')"));
        Assert.Equal(["a.txt", "b.txt", "c.txt"], await page.Locator("tr.entry").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.name)"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_restore_pressed_while_another_device_deletes_a_file_still_restores()
    {
        var email = await app.RegisterAsync("restorer");
        using var api = await app.ApiAsync(email, "api");
        await api.UploadAsync("/x.txt", Encoding.UTF8.GetBytes("x"));
        await api.UploadAsync("/y.txt", Encoding.UTF8.GetBytes("y"));
        await api.PostAsync("/files/delete", new { path = "/x.txt" });
        var page = await app.SignedInPageAsync(email, "browser", "/app/deleted");
        await Assertions.Expect(Row(page, "x.txt")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("body[data-live=connected]")).ToHaveCountAsync(1);

        // Newest first: y.txt's deletion would come in above x.txt and move it from under the pointer, so the live
        // redraw waits for the release, and the release is x.txt's click.
        await page.GetByRole(AriaRole.Button, new() { Name = "Restore x.txt" }).HoverAsync();
        await page.Mouse.DownAsync();
        await api.PostAsync("/files/delete", new { path = "/y.txt" });
        await page.WaitForTimeoutAsync(1_000);
        Assert.Equal(0, await Row(page, "y.txt").CountAsync());
        await page.Mouse.UpAsync();

        await Assertions.Expect(Row(page, "x.txt")).ToHaveCountAsync(0);
        await Assertions.Expect(Row(page, "y.txt")).ToBeVisibleAsync();
        Assert.Equal(["x.txt"], await api.NamesAsync(""));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Opening_a_notification_lowers_the_unread_count()
    {
        var ada = await app.RegisterAsync("told");
        var bob = await app.RegisterAsync("teller");
        using var adaApi = await app.ApiAsync(ada, "api");
        await adaApi.UploadAsync("/Team/a.txt", Encoding.UTF8.GetBytes("a"));
        await adaApi.UploadAsync("/Team/b.txt", Encoding.UTF8.GetBytes("b"));
        using var bobApi = await app.ApiAsync(bob, "api");
        await ShareAsync(adaApi, "/Team", bobApi, bob, "editor");
        await bobApi.UploadAsync("/Team/a.txt", Encoding.UTF8.GetBytes("a by bob"), "overwrite");
        await bobApi.UploadAsync("/Team/b.txt", Encoding.UTF8.GetBytes("b by bob"), "overwrite");

        // Bob joining, then his two edits.
        var page = await app.SignedInPageAsync(ada, "browser", "/app/notifications");
        await Assertions.Expect(page.Locator("#unread-count")).ToHaveTextAsync("3");
        await page.Locator("li.notification.unread").First.ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Team" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#unread-count")).ToHaveTextAsync("2");
        await Assertions.Expect(page.Locator("#notifications-link")).ToHaveAttributeAsync("aria-label", "Notifications, 2 unread");
        var list = await adaApi.PostAsync("/notifications/list", new { limit = 10 });
        Assert.Equal(2, list["unread"]!.GetValue<int>());
        await page.Context.CloseAsync();
    }
}
