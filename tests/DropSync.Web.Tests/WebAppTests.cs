using System.Text;
using System.Text.RegularExpressions;
using DropSync.Web.Tests.Infrastructure;
using Microsoft.Playwright;

namespace DropSync.Web.Tests;

/// <summary>The web app end to end: headless Chromium against the real server process.</summary>
public sealed partial class WebAppTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    private static ILocator Row(IPage page, string name) => page.Locator($"tr.entry[data-name=\"{name}\"]");

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
    public async Task Signs_up_and_uploads_by_picker_and_by_drag_and_drop()
    {
        var page = await app.NewPageAsync();
        await page.GotoAsync(app.BaseUrl + "/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Create an account" }).ClickAsync();
        var email = app.NewEmail("ada");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("short");
        await page.GetByLabel("Password again").FillAsync("short");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        // The server's own message is shown.
        await Assertions.Expect(page.Locator("#auth-error")).ToContainTextAsync("at least 8 characters");
        await WebAppFixture.ScreenshotAsync(page, "01-signup-error");

        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("correct horse battery");
        await page.GetByLabel("Password again").FillAsync("correct horse battery");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "All files" })).ToBeVisibleAsync();

        // By the picker.
        await page.Locator("#file-picker").SetInputFilesAsync(new FilePayload { Name = "notes.txt", MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes("hello from the picker") });
        await Assertions.Expect(Row(page, "notes.txt")).ToBeVisibleAsync();

        // By drag and drop: a drop event carrying a file, as the browser sends when files are dropped on the page.
        var transfer = await page.EvaluateHandleAsync(
            "() => { const t = new DataTransfer(); t.items.add(new File(['dropped bytes'], 'dropped.md', { type: 'text/markdown' })); return t; }");
        await page.DispatchEventAsync("main", "dragenter", new { dataTransfer = transfer });
        await page.DispatchEventAsync("main", "drop", new { dataTransfer = transfer });
        await Assertions.Expect(Row(page, "dropped.md")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#uploads-summary")).ToContainTextAsync("2 of 2 uploaded");

        // Keyboard: a row opens its preview with Enter.
        await Row(page, "notes.txt").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("dialog .preview-text")).ToHaveTextAsync("hello from the picker");
        await WebAppFixture.ScreenshotAsync(page, "03-preview-text");
        await page.Keyboard.PressAsync("Escape");

        await page.GetByRole(AriaRole.Button, new() { Name = "New folder" }).ClickAsync();
        await page.GetByLabel("Folder name").FillAsync("Photos");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true }).ClickAsync();
        await Assertions.Expect(Row(page, "Photos")).ToBeVisibleAsync();
        await WebAppFixture.ScreenshotAsync(page, "02-files");

        using var api = await app.ApiAsync(email, "checker");
        Assert.Equal("hello from the picker", Encoding.UTF8.GetString(await api.DownloadAsync("/notes.txt")));
        Assert.Equal("dropped bytes", Encoding.UTF8.GetString(await api.DownloadAsync("/dropped.md")));

        // Devices: this browser is listed; signing out ends the session.
        await page.GetByRole(AriaRole.Link, new() { Name = "Devices" }).ClickAsync();
        await Assertions.Expect(page.Locator("li.device", new() { HasText = "This browser" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).First.ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to DropSync" })).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

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
    public async Task Restores_an_old_revision_and_resolves_a_conflicted_copy()
    {
        var email = await app.RegisterAsync("rev");
        using var api = await app.ApiAsync(email, "desktop");
        var first = await api.UploadAsync("/Docs/plan.txt", Encoding.UTF8.GetBytes("version one"));
        var second = await api.UploadAsync("/Docs/plan.txt", Encoding.UTF8.GetBytes("version two"), "update", first["rev"]!.GetValue<string>());
        // An edit based on the old revision conflicts: it is kept beside the file as a conflicted copy.
        await api.UploadAsync("/Docs/plan.txt", Encoding.UTF8.GetBytes("a stale edit"), "update", first["rev"]!.GetValue<string>());

        var page = await app.SignedInPageAsync(email, "browser", "/app/files/Docs");
        var copy = page.Locator("tr.entry.conflicted");
        await Assertions.Expect(copy).ToHaveCountAsync(1);
        await Assertions.Expect(copy.Locator(".badge")).ToHaveTextAsync("Conflict");

        await page.GetByRole(AriaRole.Button, new() { Name = "Actions for plan.txt" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Revisions" }).ClickAsync();
        var revisions = page.Locator("tr.revision");
        await Assertions.Expect(revisions).ToHaveCountAsync(2);
        await Assertions.Expect(revisions.First).ToContainTextAsync("desktop");
        await WebAppFixture.ScreenshotAsync(page, "05-revisions");
        await revisions.Nth(1).GetByRole(AriaRole.Button, new() { NameRegex = RestoreRevision() }).ClickAsync();
        await Assertions.Expect(page.Locator(".toast", new() { HasText = "Restored plan.txt" })).ToBeVisibleAsync();
        Assert.Equal("version one", Encoding.UTF8.GetString(await api.DownloadAsync("/Docs/plan.txt")));
        Assert.NotEqual(second["rev"]!.GetValue<string>(), (await api.PostAsync("/files/get_metadata", new { path = "/Docs/plan.txt" }))["rev"]!.GetValue<string>());

        // Resolve: keep the original, so the conflicted copy goes.
        await copy.GetByRole(AriaRole.Button, new() { Name = "Resolve" }).ClickAsync();
        await WebAppFixture.ScreenshotAsync(page, "06-resolve-conflict");
        await page.GetByRole(AriaRole.Button, new() { NameRegex = KeepOriginal() }).ClickAsync();
        await Assertions.Expect(page.Locator("tr.entry.conflicted")).ToHaveCountAsync(0);
        Assert.Equal(["plan.txt"], await api.NamesAsync("/Docs"));

        // Deleted files can be brought back.
        await api.PostAsync("/files/delete", new { path = "/Docs/plan.txt" });
        await page.GetByRole(AriaRole.Link, new() { Name = "Deleted files" }).ClickAsync();
        await Assertions.Expect(page.Locator("tr.entry[data-path='/Docs/plan.txt']")).ToHaveCountAsync(1);
        await WebAppFixture.ScreenshotAsync(page, "06b-deleted-files");
        await page.GetByRole(AriaRole.Button, new() { Name = "Restore plan.txt" }).ClickAsync();
        await Assertions.Expect(page.Locator("tr.entry[data-path='/Docs/plan.txt']")).ToHaveCountAsync(0);
        Assert.Equal("version one", Encoding.UTF8.GetString(await api.DownloadAsync("/Docs/plan.txt")));
        await page.Context.CloseAsync();
    }

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

        var bobPage = await app.SignedInPageAsync(bob, "bob-browser", "/app/shared");
        var shared = bobPage.Locator("tr.entry[data-name='Team']");
        await Assertions.Expect(shared).ToContainTextAsync(ada);
        await WebAppFixture.ScreenshotAsync(bobPage, "08-shared-with-me");
        await shared.FocusAsync();
        await bobPage.Keyboard.PressAsync("Enter");
        await Assertions.Expect(Row(bobPage, "brief.txt")).ToBeVisibleAsync();

        // Bob edits in the shared folder: Ada's open folder updates and she gets a notification.
        await bobPage.Locator("#file-picker").SetInputFilesAsync(new FilePayload { Name = "reply.txt", MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes("from bob") });
        await Assertions.Expect(Row(adaPage, "reply.txt")).ToBeVisibleAsync();
        using var bobApi = await app.ApiAsync(bob, "bob-api");
        await bobApi.UploadAsync("/Team/brief.txt", Encoding.UTF8.GetBytes("the brief, edited by bob"), "overwrite");
        await Assertions.Expect(adaPage.Locator("#unread-count")).ToHaveTextAsync("1");
        await adaPage.Locator("#notifications-link").ClickAsync();
        await Assertions.Expect(adaPage.Locator("li.notification")).ToContainTextAsync(bob);
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
    public async Task Resumes_an_interrupted_large_upload_sending_only_the_missing_blocks()
    {
        var email = await app.RegisterAsync("big");
        // Five blocks: four of 4 MiB and a short last one.
        var content = new byte[(4 * 4 * 1024 * 1024) + 123_457];
        new Random(7).NextBytes(content);
        var file = Path.Combine(app.WorkDirectory, $"video-{Guid.NewGuid():N}.bin");
        await File.WriteAllBytesAsync(file, content);

        var page = await app.SignedInPageAsync(email, "browser");
        var sent = 0;
        await page.RouteAsync("**/blocks/**", async route =>
        {
            if (route.Request.Method == "PUT" && Interlocked.Increment(ref sent) > 2)
            {
                // The connection drops after two blocks.
                await route.AbortAsync("connectionreset");
                return;
            }

            await route.ContinueAsync();
        });
        await page.Locator("#file-picker").SetInputFilesAsync(file);
        var upload = page.Locator($"li.upload[data-name=\"{Path.GetFileName(file)}\"]");
        await Assertions.Expect(upload.GetByRole(AriaRole.Button, new() { NameRegex = RetryButton() })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await WebAppFixture.ScreenshotAsync(page, "11-upload-interrupted");
        await page.UnrouteAllAsync(new() { Behavior = UnrouteBehavior.IgnoreErrors });

        // Reload: the app remembers the unfinished upload and asks for the file again.
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("li.upload-interrupted")).ToContainTextAsync("Choose or drop the same file again to resume");
        var puts = 0;
        await page.RouteAsync("**/blocks/**", async route =>
        {
            if (route.Request.Method == "PUT")
            {
                Interlocked.Increment(ref puts);
            }

            await route.ContinueAsync();
        });
        var resumed = page.WaitForRequestAsync(r => r.Url.Contains("upload_id=", StringComparison.Ordinal));
        await page.GetByLabel($"Choose {Path.GetFileName(file)} again to resume").SetInputFilesAsync(file);
        await resumed;
        await Assertions.Expect(upload.Locator(".upload-status")).ToHaveTextAsync("Uploaded", new() { Timeout = 30_000 });
        await WebAppFixture.ScreenshotAsync(page, "12-upload-resumed");
        Assert.Equal(3, puts);

        using var api = await app.ApiAsync(email, "checker");
        var metadata = await api.PostAsync("/files/get_metadata", new { path = "/" + Path.GetFileName(file) });
        Assert.Equal(content.Length, metadata["size"]!.GetValue<long>());
        Assert.Equal(WebAppFixture.ContentHash(content), metadata["content_hash"]!.GetValue<string>());
        Assert.Equal("{}", await page.EvaluateAsync<string>("() => localStorage.getItem('dropsync.pending-uploads')"));
        await page.Context.CloseAsync();
    }

    [GeneratedRegex("^Restore revision")]
    private static partial Regex RestoreRevision();

    [GeneratedRegex("^Keep “plan.txt”")]
    private static partial Regex KeepOriginal();

    [GeneratedRegex("/link/[A-Za-z0-9_-]+$")]
    private static partial Regex LinkPage();

    [GeneratedRegex("^Retry ")]
    private static partial Regex RetryButton();
}
