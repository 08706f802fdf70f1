using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DropSync.Api.Tests.Infrastructure;

/// <summary>The real API with the embedded adapters, in the test host, on a fresh data folder, with a clock the test moves.</summary>
public sealed class DropSyncApiFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string> _settings;

    public DropSyncApiFactory()
        : this([])
    {
    }

    private DropSyncApiFactory((string Key, string Value)[] settings)
    {
        DataDirectory = Directory.CreateTempSubdirectory("dropsync-api-").FullName;
        _settings = new Dictionary<string, string>
        {
            ["data"] = Path.Combine(DataDirectory, "data"),
            ["DropSync:MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["DropSync:KeysDirectory"] = Path.Combine(DataDirectory, "keys"),
            // Fast hashing in tests; production uses the 600,000-iteration default.
            ["DropSync:PasswordIterations"] = "1000",
            // The collector runs only when a test asks.
            ["DropSync:CollectionInterval"] = "1.00:00:00",
        };
        foreach (var (key, value) in settings)
        {
            _settings[key] = value;
        }
    }

    /// <summary>A server of its own with settings added to (or replacing) the test defaults.</summary>
    public static DropSyncApiFactory WithSettings(params (string Key, string Value)[] settings) => new(settings);

    public string DataDirectory { get; }

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(Clock));
    }

    public async Task<ApiClient> SignUpAsync(string? email = null, string deviceName = "laptop")
    {
        var client = new ApiClient(CreateClient());
        email ??= $"user-{Guid.NewGuid():N}@example.com";
        await client.RegisterAsync(email, "correct horse battery");
        await client.LoginAsync(email, "correct horse battery", deviceName);
        return client;
    }

    public async Task<ApiClient> SignInAsync(string email, string deviceName)
    {
        var client = new ApiClient(CreateClient());
        await client.LoginAsync(email, "correct horse battery", deviceName);
        return client;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a finishing request; the temp folder is cleaned by the OS eventually.
        }
    }
}
