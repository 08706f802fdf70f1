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

    [Fact]
    public async Task A_missing_sync_folder_stops_with_exit_5_and_is_not_created()
    {
        var email = await fixture.NewAccountAsync();
        var config = Directory.CreateTempSubdirectory("dropsync-cli-config-").FullName;
        var parent = Directory.CreateTempSubdirectory("dropsync-cli-parent-").FullName;
        try
        {
            Assert.Equal(ExitCodes.Ok, (await RunAsync("login", fixture.Server.BaseAddress.ToString(), "--email", email, "--password", ServerFixture.Password, "--config", config)).Code);
            var other = Path.Combine(parent, "other");
            Directory.CreateDirectory(other);
            await File.WriteAllTextAsync(Path.Combine(other, "a.txt"), "something on the server");
            Assert.Equal(ExitCodes.Ok, (await RunAsync("sync", other, "--config", config, "--json")).Code);

            // Never synced and not there: no folder is made and nothing is downloaded.
            var nonexistent = Path.Combine(parent, "nonexistent");
            var (code, json) = await RunAsync("sync", nonexistent, "--config", config, "--json");
            Assert.Equal(ExitCodes.SafetyStop, code);
            Assert.False(Directory.Exists(nonexistent));
            var message = JsonDocument.Parse(json).RootElement.GetProperty("message").GetString()!;
            Assert.Contains("does not exist", message, StringComparison.Ordinal);
            Assert.Contains("mkdir", message, StringComparison.Ordinal);

            // Synced before and now gone (an unmounted drive): the safety net.
            Directory.Delete(other, recursive: true);
            var (gone, _) = await RunAsync("sync", other, "--config", config, "--json");
            Assert.Equal(ExitCodes.SafetyStop, gone);
            Assert.False(Directory.Exists(other));

            // Once created, the new folder syncs.
            Directory.CreateDirectory(nonexistent);
            Assert.Equal(ExitCodes.Ok, (await RunAsync("sync", nonexistent, "--config", config, "--json")).Code);
            Assert.True(File.Exists(Path.Combine(nonexistent, "a.txt")));
        }
        finally
        {
            Directory.Delete(config, recursive: true);
            Directory.Delete(parent, recursive: true);
        }
    }

    [Fact]
    public async Task Share_unshare_and_link_through_the_command_line()
    {
        var owner = await fixture.NewAccountAsync();
        var friend = await fixture.NewAccountAsync();
        var config = Directory.CreateTempSubdirectory("dropsync-cli-config-").FullName;
        var folder = Directory.CreateTempSubdirectory("dropsync-cli-folder-").FullName;
        try
        {
            Assert.Equal(ExitCodes.Ok, (await RunAsync("login", fixture.Server.BaseAddress.ToString(), "--email", owner, "--password", ServerFixture.Password, "--config", config)).Code);
            Directory.CreateDirectory(Path.Combine(folder, "Team"));
            await File.WriteAllTextAsync(Path.Combine(folder, "Team", "plan.txt"), "the plan");
            Assert.Equal(ExitCodes.Ok, (await RunAsync("sync", folder, "--config", config, "--json")).Code);

            var (shared, shareJson) = await RunAsync("share", "/Team", friend, "--role", "viewer", "--config", config, "--json");
            Assert.Equal(ExitCodes.Ok, shared);
            Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(shareJson).RootElement.ValueKind);
            Assert.Equal("pending", JsonDocument.Parse(shareJson).RootElement.GetProperty("status").GetString());
            using (var friendApi = await fixture.DeviceAsync(friend, "friend-phone"))
            {
                Assert.Empty(await friendApi.Api.ListFolderAsync("", recursive: true, default));
                await friendApi.Api.AcceptInvitationAsync((await friendApi.Api.ListInvitationsAsync(default)).Single().InvitationId, default);
                var seen = await friendApi.Api.ListFolderAsync("", recursive: true, default);
                Assert.Contains(seen, e => e.Path.EndsWith("/plan.txt", StringComparison.Ordinal));
            }

            var (badRole, _) = await RunAsync("share", "/Team", friend, "--role", "owner", "--config", config);
            Assert.Equal(ExitCodes.Usage, badRole);

            var (linked, linkJson) = await RunAsync("link", "/Team/plan.txt", "--expires", "7d", "--config", config, "--json");
            Assert.Equal(ExitCodes.Ok, linked);
            var link = JsonDocument.Parse(linkJson).RootElement;
            var url = link.GetProperty("url").GetString()!;
            var expires = link.GetProperty("expires_at").GetDateTimeOffset();
            Assert.InRange(expires, DateTimeOffset.UtcNow.AddDays(6.9), DateTimeOffset.UtcNow.AddDays(7.1));
            using (var anonymous = new HttpClient())
            {
                using var opened = await anonymous.GetAsync(new Uri(url));
                Assert.True(opened.IsSuccessStatusCode, $"{url} answered {(int)opened.StatusCode}");
            }

            // Plain output is the URL alone; a password protects it.
            var (protectedCode, plain) = await RunAsync("link", "/Team/plan.txt", "--password", "s3cret", "--expires", "2099-01-01T00:00:00Z", "--config", config);
            Assert.Equal(ExitCodes.Ok, protectedCode);
            // The plain URL is the web page to open; the link's API (the JSON "url") refuses without the password.
            Assert.StartsWith(fixture.Server.BaseAddress.ToString().TrimEnd('/') + "/link/", plain.Trim(), StringComparison.Ordinal);
            using (var anonymous = new HttpClient())
            {
                using var refused = await anonymous.GetAsync(new Uri(plain.Trim().Replace("/link/", "/s/", StringComparison.Ordinal)));
                Assert.False(refused.IsSuccessStatusCode);
            }

            Assert.Equal(ExitCodes.Usage, (await RunAsync("link", "/Team/plan.txt", "--expires", "someday", "--config", config)).Code);

            var (unshared, _) = await RunAsync("unshare", "/Team", friend, "--config", config, "--json");
            Assert.Equal(ExitCodes.Ok, unshared);
            using (var friendApi = await fixture.DeviceAsync(friend, "friend-laptop"))
            {
                var seen = await friendApi.Api.ListFolderAsync("", recursive: true, default);
                Assert.DoesNotContain(seen, e => e.Path.EndsWith("/plan.txt", StringComparison.Ordinal));
            }
        }
        finally
        {
            Directory.Delete(config, recursive: true);
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_member_leaves_a_shared_folder_it_goes_from_their_devices_and_stays_with_the_owner()
    {
        var ownerEmail = await fixture.NewAccountAsync();
        var memberEmail = await fixture.NewAccountAsync();
        var config = Directory.CreateTempSubdirectory("dropsync-cli-config-").FullName;
        using var owner = await fixture.DeviceAsync(ownerEmail, "owner-laptop");
        using var member = await fixture.DeviceAsync(memberEmail, "member-laptop");
        try
        {
            owner.Write("Team/plan.txt", "the plan");
            owner.Write("Team/notes/a.txt", "a");
            await owner.SyncAsync();
            await owner.Api.AddMemberAsync("/Team", memberEmail, "editor", default);
            await member.Api.AcceptInvitationAsync((await member.Api.ListInvitationsAsync(default)).Single().InvitationId, default);
            for (var i = 0; i < 4; i++)
            {
                member.Write($"mine{i}.txt", $"member's own {i}");
            }

            await member.SyncAsync();
            Assert.Equal("the plan", member.Read("Team/plan.txt"));

            Assert.Equal(ExitCodes.Ok, (await RunAsync("login", fixture.Server.BaseAddress.ToString(), "--email", memberEmail, "--password", ServerFixture.Password, "--config", config)).Code);
            var (left, json) = await RunAsync("leave", "/Team", "--config", config, "--json");
            Assert.True(left == ExitCodes.Ok, json);
            Assert.True(JsonDocument.Parse(json).RootElement.GetProperty("left").GetBoolean());

            var after = await member.SyncAsync();
            Assert.Empty(after.Errors);
            Assert.False(Directory.Exists(member.PathOf("Team")), "the left folder stayed on the member's device");
            Assert.Equal(["mine0.txt", "mine1.txt", "mine2.txt", "mine3.txt"], member.Files());
            Assert.DoesNotContain(await member.Api.ListFolderAsync("", true, default), e => e.Path.StartsWith("/Team", StringComparison.OrdinalIgnoreCase));

            // The owner's folder is whole, and the owner's next sync changes nothing.
            var ownerFiles = (await owner.Api.ListFolderAsync("/Team", true, default)).Where(e => e.IsFile).Select(e => e.Path).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(["/Team/notes/a.txt", "/Team/plan.txt"], ownerFiles);
            var ownerSync = await owner.SyncAsync();
            Assert.Equal(0, ownerSync.DeletedLocal + ownerSync.DeletedRemote);
            Assert.Equal("the plan", owner.Read("Team/plan.txt"));
        }
        finally
        {
            Directory.Delete(config, recursive: true);
        }
    }
}
