using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DropSync.Cli;
using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

/// <summary><c>dropsync app-password create|list|revoke</c> against the real server, checked by signing in to /dav/.</summary>
[Collection("server")]
public sealed class AppPasswordCliTests(ServerFixture fixture)
{
    private static async Task<(int Code, JsonElement Json)> RunJsonAsync(params string[] args)
    {
        using var output = new StringWriter();
        var code = await CliApp.RunAsync([.. args, "--json"], output);
        return (code, JsonDocument.Parse(output.ToString()).RootElement.Clone());
    }

    [Fact]
    public async Task Creates_lists_and_revokes_app_passwords_that_sign_in_to_webdav()
    {
        var email = await fixture.NewAccountAsync();
        var config = Directory.CreateTempSubdirectory("dropsync-cli-config-").FullName;
        try
        {
            var (login, _) = await RunJsonAsync("login", fixture.Server.BaseAddress.ToString(), "--email", email, "--password", ServerFixture.Password, "--config", config);
            Assert.Equal(ExitCodes.Ok, login);

            var (created, answer) = await RunJsonAsync("app-password", "create", "rclone on the NAS", "--config", config);
            Assert.Equal(ExitCodes.Ok, created);
            var secret = answer.GetProperty("app_password").GetString()!;
            var id = answer.GetProperty("id").GetString()!;

            var (listed, list) = await RunJsonAsync("app-password", "list", "--config", config);
            Assert.Equal(ExitCodes.Ok, listed);
            var only = Assert.Single(list.GetProperty("app_passwords").EnumerateArray());
            Assert.Equal("rclone on the NAS", only.GetProperty("name").GetString());
            Assert.DoesNotContain(secret, list.ToString(), StringComparison.Ordinal);

            using var dav = new HttpClient { BaseAddress = new Uri(fixture.Server.BaseAddress, "/dav/") };
            dav.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{email}:{secret}")));
            using (var ok = await dav.SendAsync(new HttpRequestMessage(HttpMethod.Options, "")))
            {
                Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            }

            var (revoked, _) = await RunJsonAsync("app-password", "revoke", id, "--config", config);
            Assert.Equal(ExitCodes.Ok, revoked);
            using var refused = await dav.SendAsync(new HttpRequestMessage(HttpMethod.Options, ""));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

            // Revoking is idempotent, as for devices; an id the account never had is an error.
            var (again, _) = await RunJsonAsync("app-password", "revoke", id, "--config", config);
            Assert.Equal(ExitCodes.Ok, again);
            var (unknown, error) = await RunJsonAsync("app-password", "revoke", "ap_unknown", "--config", config);
            Assert.NotEqual(ExitCodes.Ok, unknown);
            Assert.Equal("app_password_not_found", error.GetProperty("error").GetString());
        }
        finally
        {
            Directory.Delete(config, recursive: true);
        }
    }
}
