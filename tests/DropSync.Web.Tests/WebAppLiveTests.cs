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
