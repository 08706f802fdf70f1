using System.Net;
using System.Net.Http.Headers;
using System.Text;
using DropSync.Web.Tests.Infrastructure;
using Microsoft.Playwright;

namespace DropSync.Web.Tests;

/// <summary>App passwords in the web app: created (the secret shown once), used by a WebDAV client, revoked.</summary>
public sealed class WebAppPasswordTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    [Fact]
    public async Task Creates_an_app_password_that_opens_webdav_and_revokes_it()
    {
        var email = await app.RegisterAsync("dav");
        var page = await app.SignedInPageAsync(email, "browser", "/app/devices");
        await page.GetByRole(AriaRole.Button, new() { Name = "New app password" }).ClickAsync();
        await page.GetByLabel("What is it for?").FillAsync("Finder");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true }).ClickAsync();
        var secretBox = page.GetByLabel("App password", new() { Exact = true });
        await Assertions.Expect(secretBox).ToBeVisibleAsync();
        var secret = await secretBox.InputValueAsync();
        await Assertions.Expect(page.Locator("dialog")).ToContainTextAsync(app.BaseUrl + "/dav/");
        await WebAppFixture.ScreenshotAsync(page, "20-app-password-created");
        await page.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        await Assertions.Expect(page.Locator("li[data-app-password-id]", new() { HasText = "Finder" })).ToBeVisibleAsync();

        using var dav = new HttpClient { BaseAddress = new Uri(app.BaseUrl + "/dav/") };
        dav.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{email}:{secret}")));
        using (var listing = await dav.SendAsync(new HttpRequestMessage(new HttpMethod("PROPFIND"), "") { Headers = { { "Depth", "1" } } }))
        {
            Assert.Equal(HttpStatusCode.MultiStatus, listing.StatusCode);
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke Finder" }).ClickAsync();
        await page.Locator("dialog").GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Assertions.Expect(page.GetByText("No app passwords yet.")).ToBeVisibleAsync();
        using var refused = await dav.SendAsync(new HttpRequestMessage(new HttpMethod("PROPFIND"), "") { Headers = { { "Depth", "0" } } });
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        await page.Context.CloseAsync();
    }
}
