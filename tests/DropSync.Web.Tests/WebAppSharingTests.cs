using System.Text;
using System.Text.RegularExpressions;
using DropSync.Web.Tests.Infrastructure;
using Microsoft.Playwright;

namespace DropSync.Web.Tests;

/// <summary>Sharing in the web app: a shared folder and what a viewer may do in it, shared links with a password and expired.</summary>
public sealed partial class WebAppTests
{
    [Fact]
    public async Task Shares_a_folder_with_a_second_user_who_sees_it()
    {
        var ada = await app.RegisterAsync("owner");
        var bob = await app.RegisterAsync("member");
        using var adaApi = await app.ApiAsync(ada, "api");
        await adaApi.UploadAsync("/Team/brief.txt", Encoding.UTF8.GetBytes("the brief"));

        var adaPage = await app.SignedInPageAsync(ada, "ada-browser", "/app/files/Team");
        await adaPage.GetByRole(AriaRole.Toolbar).GetByRole(AriaRole.Button, new() { Name = "Share", Exact = true }).ClickAsync();
        await adaPage.GetByLabel("Email").FillAsync(bob);
        await adaPage.GetByLabel("Role").SelectOptionAsync("editor");
        await adaPage.Locator("dialog form[aria-label='Invite someone'] button[type=submit]").ClickAsync();
        await Assertions.Expect(adaPage.Locator("li.member", new() { HasText = bob })).ToBeVisibleAsync();
        await WebAppFixture.ScreenshotAsync(adaPage, "07-share-dialog");
        await adaPage.Keyboard.PressAsync("Escape");

        // Bob is invited: nothing is shared until he accepts in "Shared with me", which opens the folder.
        var bobPage = await app.SignedInPageAsync(bob, "bob-browser", "/app/shared");
        var invitation = bobPage.Locator("li.invitation", new() { HasText = ada });
        await Assertions.Expect(invitation).ToContainTextAsync("Team");
        await Assertions.Expect(bobPage.Locator("tr.entry[data-name='Team']")).ToHaveCountAsync(0);
        await WebAppFixture.ScreenshotAsync(bobPage, "08a-invitation");
        await invitation.GetByRole(AriaRole.Button, new() { Name = $"Accept Team from {ada}" }).ClickAsync();
        await Assertions.Expect(Row(bobPage, "brief.txt")).ToBeVisibleAsync();
        await bobPage.GotoAsync(app.BaseUrl + "/app/shared");
        var shared = bobPage.Locator("tr.entry[data-name='Team']");
        await Assertions.Expect(shared).ToContainTextAsync(ada);
        await Assertions.Expect(bobPage.Locator("li.invitation")).ToHaveCountAsync(0);
        await WebAppFixture.ScreenshotAsync(bobPage, "08-shared-with-me");
        await shared.FocusAsync();
        await bobPage.Keyboard.PressAsync("Enter");
        await Assertions.Expect(Row(bobPage, "brief.txt")).ToBeVisibleAsync();

        // Bob edits in the shared folder: Ada's open folder updates and she gets a notification.
        await bobPage.Locator("#file-picker").SetInputFilesAsync(new FilePayload { Name = "reply.txt", MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes("from bob") });
        await Assertions.Expect(Row(adaPage, "reply.txt")).ToBeVisibleAsync();
        using var bobApi = await app.ApiAsync(bob, "bob-api");
        await bobApi.UploadAsync("/Team/brief.txt", Encoding.UTF8.GetBytes("the brief, edited by bob"), "overwrite");
        // Two notifications: Bob joined, then Bob edited.
        await Assertions.Expect(adaPage.Locator("#unread-count")).ToHaveTextAsync("2");
        await adaPage.Locator("#notifications-link").ClickAsync();
        await Assertions.Expect(adaPage.Locator("li.notification", new() { HasText = "edited" })).ToContainTextAsync(bob);
        await Assertions.Expect(adaPage.Locator("li.notification", new() { HasText = "joined" })).ToContainTextAsync(bob);
        await WebAppFixture.ScreenshotAsync(adaPage, "09-notifications");
        await adaPage.GetByRole(AriaRole.Button, new() { Name = "Mark all read" }).ClickAsync();
        await Assertions.Expect(adaPage.Locator("#unread-count")).ToBeHiddenAsync();
        await adaPage.Context.CloseAsync();
        await bobPage.Context.CloseAsync();
    }

    [Fact]
    public async Task Opens_a_password_protected_shared_link_signed_out()
    {
        var email = await app.RegisterAsync("linker");
        using var api = await app.ApiAsync(email, "api");
        await api.UploadAsync("/Trip/itinerary.txt", Encoding.UTF8.GetBytes("day one: museum"));
        await api.UploadAsync("/Trip/photos/beach.svg", Encoding.UTF8.GetBytes("<svg xmlns='http://www.w3.org/2000/svg'/>"));

        var page = await app.SignedInPageAsync(email, "browser");
        await page.GetByRole(AriaRole.Button, new() { Name = "Actions for Trip" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Shared link" }).ClickAsync();
        await page.GetByLabel("Password (optional)").FillAsync("s3cret-pass");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create link" }).ClickAsync();
        var url = page.Locator("dialog input.link-url");
        await Assertions.Expect(url).ToHaveValueAsync(LinkPage());
        var link = await url.InputValueAsync();
        await page.Context.CloseAsync();

        var visitor = await app.NewPageAsync(new ViewportSize { Width = 390, Height = 760 });
        await visitor.GotoAsync(link);
        await Assertions.Expect(visitor.GetByRole(AriaRole.Heading, new() { Name = "This link is protected" })).ToBeVisibleAsync();
        await visitor.GetByLabel("Password").FillAsync("wrong password");
        await visitor.GetByRole(AriaRole.Button, new() { Name = "Open" }).ClickAsync();
        await Assertions.Expect(visitor.Locator(".form-error")).Not.ToBeEmptyAsync();
        await visitor.GetByLabel("Password").FillAsync("s3cret-pass");
        await visitor.GetByRole(AriaRole.Button, new() { Name = "Open" }).ClickAsync();
        await Assertions.Expect(visitor.GetByRole(AriaRole.Heading, new() { Name = "Trip" })).ToBeVisibleAsync();
        await Assertions.Expect(visitor.Locator("tr.entry")).ToHaveCountAsync(2);
        await WebAppFixture.ScreenshotAsync(visitor, "10-public-link");

        var download = await visitor.RunAndWaitForDownloadAsync(() =>
            visitor.GetByRole(AriaRole.Button, new() { Name = "Download itinerary.txt" }).ClickAsync());
        Assert.Equal("itinerary.txt", download.SuggestedFilename);
        Assert.Equal("day one: museum", await File.ReadAllTextAsync((await download.PathAsync())!));

        var zip = await visitor.RunAndWaitForDownloadAsync(() => visitor.GetByRole(AriaRole.Button, new() { Name = "Download all as zip" }).ClickAsync());
        Assert.Equal("Trip.zip", zip.SuggestedFilename);
        using (var archive = System.IO.Compression.ZipFile.OpenRead((await zip.PathAsync())!))
        {
            Assert.Equal(["itinerary.txt", "photos/beach.svg"], archive.Entries.Select(e => e.FullName).Order().ToArray());
            using var reader = new StreamReader(archive.GetEntry("itinerary.txt")!.Open());
            Assert.Equal("day one: museum", await reader.ReadToEndAsync());
        }

        await visitor.Context.CloseAsync();
    }

    [Fact]
    public async Task A_viewer_gets_no_write_actions_and_no_retry_that_cannot_succeed()
    {
        var ada = await app.RegisterAsync("lender");
        var bob = await app.RegisterAsync("looker");
        using var adaApi = await app.ApiAsync(ada, "api");
        await adaApi.UploadAsync("/Gallery/one.txt", Encoding.UTF8.GetBytes("one"));
        await adaApi.UploadAsync("/Desk/two.txt", Encoding.UTF8.GetBytes("two"));
        using var bobApi = await app.ApiAsync(bob, "api");
        await ShareAsync(adaApi, "/Gallery", bobApi, bob, "viewer");
        await ShareAsync(adaApi, "/Desk", bobApi, bob, "editor");

        var page = await app.SignedInPageAsync(bob, "browser", "/app/files/Gallery");
        await Assertions.Expect(Row(page, "one.txt")).ToBeVisibleAsync();
        var toolbar = page.GetByRole(AriaRole.Toolbar);
        await Assertions.Expect(toolbar.GetByText("Download as zip")).ToBeVisibleAsync();
        foreach (var label in new[] { "Upload files", "Upload folder", "New folder", "Share" })
        {
            await Assertions.Expect(toolbar.GetByText(label, new() { Exact = true })).ToBeHiddenAsync();
        }

        await WebAppFixture.ScreenshotAsync(page, "18-viewer-folder");

        // An editor whose role drops to viewer while the page is open: the refused upload offers no retry.
        await page.GotoAsync(app.BaseUrl + "/app/files/Desk");
        await Assertions.Expect(toolbar.GetByText("Upload files", new() { Exact = true })).ToBeVisibleAsync();
        await adaApi.PostAsync("/sharing/add_member", new { path = "/Desk", email = bob, role = "viewer" });
        await page.Locator("#file-picker").SetInputFilesAsync(new FilePayload { Name = "late.txt", MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes("late") });
        var refused = page.Locator("li.upload[data-name='late.txt'][data-state=error]");
        await Assertions.Expect(refused).ToBeVisibleAsync();
        Assert.Equal(0, await refused.GetByRole(AriaRole.Button, new() { NameRegex = RetryButton() }).CountAsync());
        await WebAppFixture.ScreenshotAsync(page, "19-viewer-upload-refused");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_expired_link_says_so_once()
    {
        var email = await app.RegisterAsync("expirer");
        using var api = await app.ApiAsync(email, "api");
        await api.UploadAsync("/old.txt", Encoding.UTF8.GetBytes("old"));
        var link = await api.PostAsync("/sharing/create_link", new { path = "/old.txt", expires = DateTimeOffset.UtcNow.AddSeconds(1) });
        await Task.Delay(1500);

        var visitor = await app.NewPageAsync();
        await visitor.GotoAsync(link["web_url"]!.GetValue<string>());
        await Assertions.Expect(visitor.GetByRole(AriaRole.Heading, new() { Name = "This link does not work" })).ToBeVisibleAsync();
        await Assertions.Expect(visitor.Locator(".error-box")).ToHaveTextAsync("This link has expired; ask its owner for a new one.");
        await WebAppFixture.ScreenshotAsync(visitor, "21-expired-link");
        await visitor.Context.CloseAsync();
    }

    [GeneratedRegex("/link/[A-Za-z0-9_-]+$")]
    private static partial Regex LinkPage();

    /// <summary>Shares a folder as people do: the owner invites, the member accepts.</summary>
    private static async Task ShareAsync(ApiClient owner, string path, ApiClient member, string memberEmail, string role)
    {
        await owner.PostAsync("/sharing/add_member", new { path, email = memberEmail, role });
        var invitation = (await member.PostAsync("/sharing/list_invitations", new { }))["entries"]!.AsArray().Single(e => e!["path"]!.GetValue<string>() == path)!;
        await member.PostAsync("/sharing/accept_invitation", new { invitation_id = invitation["invitation_id"]!.GetValue<string>() });
    }
}
