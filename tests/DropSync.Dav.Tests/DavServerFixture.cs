using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DropSync.Testing;

namespace DropSync.Dav.Tests;

/// <summary>One real server process on a free port for the WebDAV tests, with helpers to make accounts and app passwords.</summary>
public sealed class DavServerFixture : IAsyncLifetime
{
    public const string Password = "correct horse battery";

    private readonly string _root = Directory.CreateTempSubdirectory("dropsync-dav-").FullName;

    public ServerProcess Server { get; private set; } = null!;

    public Uri DavUrl => new(Server.BaseAddress, "/dav/");

    public async Task InitializeAsync() =>
        Server = await ServerProcess.StartAsync(Path.Combine(_root, "data"), Path.Combine(_root, "keys"));

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>A new account, signed in: its e-mail and an API client holding its bearer token.</summary>
    public async Task<DavAccount> NewAccountAsync()
    {
        var email = $"dav-{Guid.NewGuid():N}@example.com";
        var api = Server.CreateClient();
        (await api.PostAsJsonAsync("/auth/register", new { email, password = Password })).EnsureSuccessStatusCode();
        var login = await (await api.PostAsJsonAsync("/auth/login", new { email, password = Password, device_name = "test" })).Content.ReadFromJsonAsync<JsonElement>();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login.GetProperty("access_token").GetString());
        var account = new DavAccount(email, api, this);
        account.AppPassword = (await account.CreateAppPasswordAsync("tests")).GetProperty("app_password").GetString()!;
        return account;
    }
}

/// <summary>An account of the test server: its API client (bearer) and WebDAV clients (Basic with an app password).</summary>
public sealed class DavAccount(string email, HttpClient api, DavServerFixture fixture)
{
    public string Email { get; } = email;

    public HttpClient Api { get; } = api;

    public string AppPassword { get; set; } = "";

    public async Task<JsonElement> CreateAppPasswordAsync(string name)
    {
        var response = await Api.PostAsJsonAsync("/auth/create_app_password", new { name });
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>A client for /dav/ signing in with Basic (the app password unless another secret is given).</summary>
    public HttpClient Dav(string? secret = null)
    {
        var client = new HttpClient { BaseAddress = fixture.DavUrl };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Email}:{secret ?? AppPassword}")));
        return client;
    }
}

[CollectionDefinition("dav server")]
public sealed class DavServerCollection : ICollectionFixture<DavServerFixture>;
