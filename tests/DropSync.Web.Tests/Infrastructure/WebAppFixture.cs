using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using DropSync.Testing;
using Microsoft.Playwright;

namespace DropSync.Web.Tests.Infrastructure;

/// <summary>
/// One real DropSync server process and one headless Debian Chromium (driven by Playwright) shared by the web tests;
/// each test opens its own browser contexts (one per device) against that server.
/// </summary>
public sealed class WebAppFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    private const string Password = "correct horse battery";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "dropsync-web-tests-" + Guid.NewGuid().ToString("N"));
    private IPlaywright? _playwright;
    private int _users;

    public ServerProcess Server { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public string BaseUrl => Server.BaseAddress.ToString().TrimEnd('/');

    /// <summary>Screenshots of the main views, kept as test artefacts beside the test assembly.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public string WorkDirectory => Path.Combine(_root, "work");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing; run scripts/install-browser.sh first.");
        }

        Directory.CreateDirectory(WorkDirectory);
        Directory.CreateDirectory(ScreenshotDirectory);
        Server = await ServerProcess.StartAsync(Path.Combine(_root, "data"), Path.Combine(_root, "keys"));
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            ChromiumSandbox = false,
            // Playwright adds --headless, --no-sandbox and a fresh --user-data-dir itself.
            Args =
            [
                "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
            ],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    /// <summary>A fresh unique email (the data folder is shared by every test).</summary>
    public string NewEmail(string name) => $"{name}{Interlocked.Increment(ref _users)}@example.com";

    public async Task<string> RegisterAsync(string name)
    {
        var email = NewEmail(name);
        using var http = Server.CreateClient();
        using var response = await http.PostAsJsonAsync("/auth/register", new { email, password = Password });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return email;
    }

    /// <summary>Signs a device in through the API; answers the login reply (access_token, device_id, …).</summary>
    public async Task<JsonObject> LoginAsync(string email, string device)
    {
        using var http = Server.CreateClient();
        using var response = await http.PostAsJsonAsync("/auth/login", new { email, password = Password, device_name = device });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var login = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        login["email"] = email;
        return login;
    }

    /// <summary>A new browser context (a device of its own) already signed in as the user, showing the given app page.</summary>
    public async Task<IPage> SignedInPageAsync(string email, string device, string path = "/app/files", ViewportSize? viewport = null)
    {
        var login = await LoginAsync(email, device);
        var page = await NewPageAsync(viewport);
        await page.GotoAsync(BaseUrl + "/app/signin");
        await page.EvaluateAsync("s => localStorage.setItem('dropsync.session', s)", login.ToJsonString());
        await page.GotoAsync(BaseUrl + path);
        return page;
    }

    public async Task<IPage> NewPageAsync(ViewportSize? viewport = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = viewport ?? new ViewportSize { Width = 1280, Height = 800 },
            AcceptDownloads = true,
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                Console.WriteLine($"[browser] {message.Text}");
            }
        };
        return page;
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = false });

    /// <summary>An API client for a user's device, for arranging state and checking results.</summary>
    public async Task<ApiClient> ApiAsync(string email, string device)
    {
        var login = await LoginAsync(email, device);
        return new ApiClient(Server.CreateClient(), login["access_token"]!.GetValue<string>());
    }

    public static string ContentHash(byte[] content)
    {
        using var all = new MemoryStream();
        for (var offset = 0; offset < content.Length; offset += 4 * 1024 * 1024)
        {
            all.Write(SHA256.HashData(content.AsSpan(offset, Math.Min(4 * 1024 * 1024, content.Length - offset))));
        }

        return Convert.ToHexStringLower(SHA256.HashData(all.ToArray()));
    }
}

/// <summary>A bearer-token JSON client for the API.</summary>
public sealed class ApiClient(HttpClient http, string token) : IDisposable
{
    public string Token { get; } = token;

    public async Task<JsonNode> PostAsync(string path, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new("Bearer", Token);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    public async Task<JsonNode> UploadAsync(string path, byte[] content, string mode = "add", string? rev = null)
    {
        var query = $"/files/upload?uploadType=media&path={Uri.EscapeDataString(path)}&mode={mode}" + (rev is null ? "" : $"&rev={rev}");
        using var request = new HttpRequestMessage(HttpMethod.Post, query) { Content = new ByteArrayContent(content) };
        request.Headers.Authorization = new("Bearer", Token);
        using var response = await http.SendAsync(request);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    public async Task<byte[]> DownloadAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/files/download")
        {
            Content = JsonContent.Create(new { path }),
        };
        request.Headers.Authorization = new("Bearer", Token);
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadAsByteArrayAsync();
    }

    public async Task<List<string>> NamesAsync(string folder)
    {
        var list = await PostAsync("/files/list_folder", new { path = folder });
        return [.. list["entries"]!.AsArray().Select(e => e!["name"]!.GetValue<string>())];
    }

    public void Dispose() => http.Dispose();
}
