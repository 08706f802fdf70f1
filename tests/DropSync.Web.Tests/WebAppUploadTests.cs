using System.Text;
using DropSync.Web.Tests.Infrastructure;
using Microsoft.Playwright;

namespace DropSync.Web.Tests;

/// <summary>Uploads in the web app: by picker and by drag and drop, resumed after an interruption, over an existing file, a whole folder.</summary>
public sealed partial class WebAppTests
{
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
        await OpenActionsAsync(page, "notes.txt");
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
}
