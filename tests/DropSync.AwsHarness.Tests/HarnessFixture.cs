using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace DropSync.AwsHarness.Tests;

/// <summary>One deployed harness for the whole collection: starting it synthesises the stack and cold-starts four
/// function processes, which is the expensive part.</summary>
public sealed class HarnessFixture : IAsyncLifetime
{
    public AwsHarness Harness { get; private set; } = null!;

    public async Task InitializeAsync() => Harness = await AwsHarness.StartAsync();

    public async Task DisposeAsync()
    {
        if (Harness is not null)
        {
            await Harness.DisposeAsync();
        }
    }

    /// <summary>A client of the HTTP API, as a user's would be.</summary>
    public HttpClient Api() => new() { BaseAddress = Harness.HttpApiUrl, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Registers a fresh account and signs in a device; answers its bearer token.</summary>
    public async Task<string> SignUpAsync(HttpClient api)
    {
        var email = $"user-{Guid.NewGuid():N}@example.com";
        using (var register = await api.PostAsJsonAsync("/auth/register", new { email, password = "correct horse battery" }))
        {
            Assert.True(register.IsSuccessStatusCode, await register.Content.ReadAsStringAsync());
        }

        using var login = await api.PostAsJsonAsync("/auth/login", new { email, password = "correct horse battery", device_name = "laptop" });
        var body = JsonNode.Parse(await login.Content.ReadAsStringAsync())!;
        Assert.True(login.IsSuccessStatusCode, body.ToJsonString());
        var token = body["access_token"]!.GetValue<string>();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return token;
    }
}

[CollectionDefinition(Name)]
public sealed class HarnessCollection : ICollectionFixture<HarnessFixture>
{
    public const string Name = "AwsHarness";
}
