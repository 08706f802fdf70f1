using System.Text.Json;
using DropSync.Cli;
using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

[Collection("server")]
public sealed class CliTests(ServerFixture fixture)
{
    private static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        var code = await CliApp.RunAsync(args, output);
        return (code, output.ToString());
    }

    [Fact]
    public async Task Login_sync_ls_and_logout_through_the_command_line_with_json_and_exit_codes()
    {
        var email = await fixture.NewAccountAsync();
        var config = Directory.CreateTempSubdirectory("dropsync-cli-config-").FullName;
        var folder = Directory.CreateTempSubdirectory("dropsync-cli-folder-").FullName;
        try
        {
            var (notSignedIn, _) = await RunAsync("sync", folder, "--config", config, "--json");
            Assert.Equal(ExitCodes.NotSignedIn, notSignedIn);

            var (login, _) = await RunAsync("login", fixture.Server.BaseAddress.ToString(), "--email", email, "--password", ServerFixture.Password, "--config", config, "--json");
            Assert.Equal(ExitCodes.Ok, login);
            var accountFile = Assert.Single(Directory.GetFiles(Path.Combine(config, "accounts")));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(accountFile));
            }

            for (var i = 0; i < 6; i++)
            {
                await File.WriteAllTextAsync(Path.Combine(folder, $"f{i}.txt"), $"hello {i}");
            }

            var (synced, json) = await RunAsync("sync", folder, "--config", config, "--json");
            Assert.Equal(ExitCodes.Ok, synced);
            var report = JsonDocument.Parse(json).RootElement;
            Assert.Equal(6, report.GetProperty("files_uploaded").GetInt32());
            Assert.Equal(6 * 7, report.GetProperty("bytes_uploaded").GetInt64());

            var (listed, listing) = await RunAsync("ls", "/", "--config", config, "--json");
            Assert.Equal(ExitCodes.Ok, listed);
            Assert.Equal(6, JsonDocument.Parse(listing).RootElement.GetProperty("entries").GetArrayLength());

            foreach (var f in Directory.GetFiles(folder))
            {
                File.Delete(f);
            }

            var (stopped, why) = await RunAsync("sync", folder, "--config", config, "--json");
            Assert.Equal(ExitCodes.SafetyStop, stopped);
            Assert.Equal("safety_stop", JsonDocument.Parse(why).RootElement.GetProperty("error").GetString());

            var (loggedOut, _) = await RunAsync("logout", "--config", config);
            Assert.Equal(ExitCodes.Ok, loggedOut);
            Assert.Empty(Directory.GetFiles(Path.Combine(config, "accounts")));
        }
        finally
        {
            Directory.Delete(config, recursive: true);
            Directory.Delete(folder, recursive: true);
        }
    }
}
