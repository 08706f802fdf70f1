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
        await Assertions.Expect(page.Locator(".history-note")).ToHaveTextAsync("Old revisions and deleted files are kept 180 days, up to 100 revisions a file.");
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
        await Assertions.Expect(page.Locator(".view .history-note")).ToContainTextAsync("180 days");
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
        // Once everything is up the panel folds to its summary; unfolded, it lists the file as uploaded.
        await Assertions.Expect(page.Locator("#uploads-summary")).ToContainTextAsync("1 of 1 uploaded", new() { Timeout = 30_000 });
        await page.GetByRole(AriaRole.Button, new() { Name = "Expand uploads" }).ClickAsync();
        await Assertions.Expect(upload.Locator(".upload-status")).ToHaveTextAsync("Uploaded");
        await WebAppFixture.ScreenshotAsync(page, "12-upload-resumed");
        Assert.Equal(3, puts);

        using var api = await app.ApiAsync(email, "checker");
        var metadata = await api.PostAsync("/files/get_metadata", new { path = "/" + Path.GetFileName(file) });
        Assert.Equal(content.Length, metadata["size"]!.GetValue<long>());
        Assert.Equal(WebAppFixture.ContentHash(content), metadata["content_hash"]!.GetValue<string>());
        Assert.Equal("{}", await page.EvaluateAsync<string>("() => localStorage.getItem('dropsync.pending-uploads')"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Uploading_a_file_that_exists_asks_to_replace_it_or_keep_both()
    {
        var email = await app.RegisterAsync("again");
        using var api = await app.ApiAsync(email, "desktop");
        await api.UploadAsync("/notes.txt", Encoding.UTF8.GetBytes("version one"));
        await api.UploadAsync("/todo.txt", Encoding.UTF8.GetBytes("todo one"));
        var page = await app.SignedInPageAsync(email, "browser");
        await Assertions.Expect(Row(page, "todo.txt")).ToBeVisibleAsync();
        var dialog = page.Locator("dialog");

        // A batch of two existing files: one question, answered for both.
        await page.Locator("#file-picker").SetInputFilesAsync(
        [
            new FilePayload { Name = "notes.txt", MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes("version two") },
            new FilePayload { Name = "todo.txt", MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes("todo two") },
        ]);
        await Assertions.Expect(dialog).ToContainTextAsync("already exists");
        await WebAppFixture.ScreenshotAsync(page, "13-replace-or-keep-both");
        await dialog.GetByLabel("Do the same for the other file").CheckAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Replace", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#uploads-summary")).ToContainTextAsync("2 of 2 uploaded");
        Assert.Equal(0, await dialog.CountAsync());
        Assert.Equal("version two", Encoding.UTF8.GetString(await api.DownloadAsync("/notes.txt")));
        Assert.Equal("todo two", Encoding.UTF8.GetString(await api.DownloadAsync("/todo.txt")));
        Assert.Equal(["notes.txt", "todo.txt"], (await api.NamesAsync("")).Order().ToArray());

        // Replacing made a new revision of the same file: the old one is in its revisions.
        await page.GetByRole(AriaRole.Button, new() { Name = "Actions for notes.txt" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Revisions" }).ClickAsync();
        await Assertions.Expect(page.Locator("tr.revision")).ToHaveCountAsync(2);
        await page.Keyboard.PressAsync("Escape");

        // Keep both: the upload gets a free name of its own and the file stays as it was.
        await page.Locator("#file-picker").SetInputFilesAsync(new FilePayload { Name = "notes.txt", MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes("version three") });
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Keep both" }).ClickAsync();
        await Assertions.Expect(Row(page, "notes (2).txt")).ToBeVisibleAsync();
        Assert.Equal("version two", Encoding.UTF8.GetString(await api.DownloadAsync("/notes.txt")));
        Assert.Equal("version three", Encoding.UTF8.GetString(await api.DownloadAsync("/notes (2).txt")));

        // Replace is based on the revision the page saw: a change made elsewhere meanwhile is still a conflict,
        // kept as a conflicted copy, and a retry could never succeed, so none is offered.
        await page.Locator("#file-picker").SetInputFilesAsync(new FilePayload { Name = "notes.txt", MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes("version four") });
        await Assertions.Expect(dialog).ToContainTextAsync("already exists");
        await api.UploadAsync("/notes.txt", Encoding.UTF8.GetBytes("changed elsewhere"), "overwrite");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Replace", Exact = true }).ClickAsync();
        var conflict = page.Locator("li.upload[data-name='notes.txt'][data-state=error]");
        await Assertions.Expect(conflict).ToContainTextAsync("Conflict");
        Assert.Equal(0, await conflict.GetByRole(AriaRole.Button, new() { NameRegex = RetryButton() }).CountAsync());
        Assert.Equal("changed elsewhere", Encoding.UTF8.GetString(await api.DownloadAsync("/notes.txt")));
        await Assertions.Expect(page.Locator("tr.entry.conflicted")).ToHaveCountAsync(1);
        await WebAppFixture.ScreenshotAsync(page, "14-upload-conflict");

        // A large file (the resumable path) asks the same question.
        var big = new byte[(4 * 1024 * 1024) + 1000];
        new Random(3).NextBytes(big);
        await api.UploadAsync("/big.bin", [1, 2, 3]);
        var file = Path.Combine(app.WorkDirectory, $"big-{Guid.NewGuid():N}", "big.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllBytesAsync(file, big);
        await page.Locator("#file-picker").SetInputFilesAsync(file);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Replace", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("li.upload[data-name='big.bin'] .upload-status")).ToHaveTextAsync("Uploaded", new() { Timeout = 30_000 });
        var metadata = await api.PostAsync("/files/get_metadata", new { path = "/big.bin" });
        Assert.Equal(WebAppFixture.ContentHash(big), metadata["content_hash"]!.GetValue<string>());
        var revisions = await api.PostAsync("/files/list_revisions", new { path = "/big.bin" });
        Assert.Equal(2, revisions["entries"]!.AsArray().Count);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_uploaded_folder_appears_at_once_and_the_uploads_panel_never_covers_the_list()
    {
        var email = await app.RegisterAsync("album");
        using var api = await app.ApiAsync(email, "desktop");
        for (var i = 0; i < 14; i++)
        {
            await api.UploadAsync($"/file-{i:D2}.txt", Encoding.UTF8.GetBytes($"file {i}"));
        }

        var folder = Path.Combine(app.WorkDirectory, $"upload-{Guid.NewGuid():N}", "Album");
        Directory.CreateDirectory(Path.Combine(folder, "Day 1"));
        await File.WriteAllTextAsync(Path.Combine(folder, "cover.txt"), "cover");
        await File.WriteAllTextAsync(Path.Combine(folder, "Day 1", "beach.txt"), "beach");

        foreach (var (viewport, name) in new[] { (new ViewportSize { Width = 1280, Height = 800 }, "laptop"), (new ViewportSize { Width = 390, Height = 844 }, "phone") })
        {
            var page = await app.SignedInPageAsync(email, name, viewport: viewport);
            await Assertions.Expect(Row(page, "file-13.txt")).ToBeVisibleAsync();
            if (name == "laptop")
            {
                // This page's own uploads do not come back over the live socket: the page refreshes by itself.
                await page.Locator("#folder-picker").SetInputFilesAsync(folder);
                await Assertions.Expect(Row(page, "Album")).ToBeVisibleAsync();
                Assert.Equal("beach", Encoding.UTF8.GetString(await api.DownloadAsync("/Album/Day 1/beach.txt")));
            }
            else
            {
                await page.Locator("#file-picker").SetInputFilesAsync(
                [
                    new FilePayload { Name = "a.txt", MimeType = "text/plain", Buffer = [1] },
                    new FilePayload { Name = "b.txt", MimeType = "text/plain", Buffer = [2] },
                    new FilePayload { Name = "c.txt", MimeType = "text/plain", Buffer = [3] },
                ]);
                await Assertions.Expect(Row(page, "c.txt")).ToBeVisibleAsync();
            }

            // Everything went up: the panel folds itself away to its summary line.
            var panel = page.Locator("#uploads");
            await Assertions.Expect(panel.Locator("#uploads-summary")).ToContainTextAsync("uploaded");
            await Assertions.Expect(panel.Locator(".upload-list")).ToHaveCountAsync(0);
            await WebAppFixture.ScreenshotAsync(page, $"15-uploads-collapsed-{name}");

            // Folded or open, the list scrolls past the panel: the last row's actions can be reached.
            foreach (var expanded in new[] { false, true })
            {
                if (expanded)
                {
                    await panel.GetByRole(AriaRole.Button, new() { Name = "Expand uploads" }).ClickAsync();
                    await Assertions.Expect(panel.Locator(".upload-list")).ToBeVisibleAsync();
                }

                var covered = await page.EvaluateAsync<bool>(
                    """
                    () => {
                      window.scrollTo(0, document.documentElement.scrollHeight);
                      const buttons = [...document.querySelectorAll('tr.entry .col-actions .icon-button')];
                      const last = buttons[buttons.length - 1];
                      const box = last.getBoundingClientRect();
                      return document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2) !== last;
                    }
                    """);
                Assert.False(covered, $"the uploads panel covers the last row's actions ({name}, expanded: {expanded})");
            }

            await WebAppFixture.ScreenshotAsync(page, $"16-uploads-scrolled-{name}");
            await panel.GetByRole(AriaRole.Button, new() { Name = "Close uploads" }).ClickAsync();
            await Assertions.Expect(panel).ToBeHiddenAsync();
            await page.Context.CloseAsync();
        }
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

    [GeneratedRegex("^Restore revision")]
    private static partial Regex RestoreRevision();

    [GeneratedRegex("^Keep “plan.txt”")]
    private static partial Regex KeepOriginal();

    [GeneratedRegex("/link/[A-Za-z0-9_-]+$")]
    private static partial Regex LinkPage();

    [GeneratedRegex("^Retry ")]
    private static partial Regex RetryButton();

    /// <summary>Shares a folder as people do: the owner invites, the member accepts.</summary>
    private static async Task ShareAsync(ApiClient owner, string path, ApiClient member, string memberEmail, string role)
    {
        await owner.PostAsync("/sharing/add_member", new { path, email = memberEmail, role });
        var invitation = (await member.PostAsync("/sharing/list_invitations", new { }))["entries"]!.AsArray().Single(e => e!["path"]!.GetValue<string>() == path)!;
        await member.PostAsync("/sharing/accept_invitation", new { invitation_id = invitation["invitation_id"]!.GetValue<string>() });
    }
}
