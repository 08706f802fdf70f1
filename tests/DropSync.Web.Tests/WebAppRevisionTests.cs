using System.Text;
using System.Text.RegularExpressions;
using DropSync.Web.Tests.Infrastructure;
using Microsoft.Playwright;

namespace DropSync.Web.Tests;

/// <summary>Revisions in the web app: an old one restored, a conflicted copy resolved.</summary>
public sealed partial class WebAppTests
{
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

    [GeneratedRegex("^Restore revision")]
    private static partial Regex RestoreRevision();

    [GeneratedRegex("^Keep “plan.txt”")]
    private static partial Regex KeepOriginal();
}
