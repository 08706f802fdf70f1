using DropSync.Web.Tests.Infrastructure;
using Microsoft.Playwright;

namespace DropSync.Web.Tests;

/// <summary>The API reference at /docs renders in a browser under its own Content-Security-Policy, and the app's pages keep theirs.</summary>
public sealed class ApiReferencePageTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    [Fact]
    public async Task The_api_reference_renders_the_operations_with_no_policy_violation()
    {
        var page = await app.NewPageAsync();
        var refused = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                refused.Add(message.Text);
            }
        };
        var outside = new List<string>();
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(app.BaseUrl, StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal) && !request.Url.StartsWith("blob:", StringComparison.Ordinal))
            {
                outside.Add(request.Url);
            }
        };

        // Scalar's script is 5 MB: wait for the document, not for every resource (a busy machine takes a while).
        var response = await page.GotoAsync(app.BaseUrl + "/docs", new() { WaitUntil = WaitUntilState.DOMContentLoaded, Timeout = 60_000 });

        Assert.NotNull(response);
        Assert.Contains("'nonce-", response!.Headers["content-security-policy"], StringComparison.Ordinal);
        // An operation's summary from the document (GET /config, in the first tag, which Scalar opens), as Scalar renders it.
        await page.GetByText("The server's mode, live-feed URL, size limits and how long history is kept (anonymous).").First.WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = 60_000 });
        await page.GetByText("DropSync API").First.WaitForAsync();
        Assert.Empty(refused);
        Assert.Empty(outside);
    }

    [Fact]
    public async Task The_app_pages_keep_their_strict_policy()
    {
        using var http = app.Server.CreateClient();
        using var index = await http.GetAsync("/app/files");

        var policy = string.Join(' ', index.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self';", policy, StringComparison.Ordinal);
        Assert.Contains("style-src 'self';", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("nonce-", policy, StringComparison.Ordinal);
    }
}
