using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace DropSync.AwsHarness.Tests.EndToEnd;

/// <summary>
/// The end-to-end collection's target: the real deployment named by <c>DROPSYNC_SMOKE_API_URL</c> when it is set, else
/// one local harness for the whole collection. The harness starts on first use only, so a smoke run against a real
/// account starts none; the tests that need the harness itself (IAM, revocation) start it in any case.
/// </summary>
public sealed class EndToEndFixture : IAsyncLifetime
{
    public const string Password = "correct horse battery staple";

    private readonly Lazy<Task<AwsHarness>> _harness = new(() => AwsHarness.StartAsync());
    private readonly RealDeployment? _real = RealDeployment.FromEnvironment();

    /// <summary>What scenarios runnable on a real account run against.</summary>
    public async Task<IDeployedDropSync> TargetAsync() => _real is not null ? _real : new HarnessDeployment(await HarnessAsync());

    /// <summary>The local harness (started on first use).</summary>
    public Task<AwsHarness> HarnessAsync() => _harness.Value;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_harness.IsValueCreated)
        {
            await (await _harness.Value).DisposeAsync();
        }
    }

    /// <summary>Registers a fresh account on <paramref name="target"/> through POST /auth/register; answers its email.</summary>
    public static async Task<string> RegisterAsync(Uri target)
    {
        var email = $"e2e-{Guid.NewGuid():N}@example.com";
        using var api = Anonymous(target);
        using var register = await api.PostAsJsonAsync("/auth/register", new { email, password = Password });
        Assert.True(register.IsSuccessStatusCode, $"register: {(int)register.StatusCode} {await register.Content.ReadAsStringAsync()}");
        return email;
    }

    /// <summary>Signs a device in (POST /auth/login) and answers a client of the HTTP API carrying its token.</summary>
    public static async Task<SignedInDevice> LoginAsync(Uri target, string email, string deviceName)
    {
        var api = Anonymous(target);
        using var login = await api.PostAsJsonAsync("/auth/login", new { email, password = Password, device_name = deviceName });
        var body = JsonNode.Parse(await login.Content.ReadAsStringAsync())!;
        Assert.True(login.IsSuccessStatusCode, body.ToJsonString());
        var token = body["access_token"]!.GetValue<string>();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new SignedInDevice(api, email, token, body["device_id"]!.GetValue<string>());
    }

    public static HttpClient Anonymous(Uri target) => new() { BaseAddress = target, Timeout = TimeSpan.FromSeconds(60) };
}

/// <summary>A device signed in through the HTTP API: its client (bearer token set), token and device id.</summary>
public sealed record SignedInDevice(HttpClient Api, string Email, string Token, string DeviceId) : IDisposable
{
    public void Dispose() => Api.Dispose();
}

[CollectionDefinition(Name)]
public sealed class EndToEndCollection : ICollectionFixture<EndToEndFixture>
{
    public const string Name = "AwsEndToEnd";
}
