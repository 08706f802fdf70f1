using System.Text.Json;
using DropSync.Cli;
using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

/// <summary><c>dropsync share</c> invites; <c>dropsync invitations</c> lists, accepts and declines, and only then is anything shared.</summary>
[Collection("server")]
public sealed class InvitationCliTests(ServerFixture fixture)
{
    private static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        var code = await CliApp.RunAsync(args, output);
        return (code, output.ToString());
    }

    [Fact]
    public async Task Invitations_are_listed_accepted_and_declined_from_the_command_line()
    {
        var ownerEmail = await fixture.NewAccountAsync();
        var memberEmail = await fixture.NewAccountAsync();
        using var owner = await fixture.DeviceAsync(ownerEmail, "owner-laptop");
        var config = Directory.CreateTempSubdirectory("dropsync-cli-config-").FullName;
        try
        {
            owner.Write("Team/plan.txt", "the plan");
            owner.Write("Later/x.txt", "x");
            await owner.SyncAsync();
            Assert.Equal(ExitCodes.Ok, (await RunAsync("login", fixture.Server.BaseAddress.ToString(), "--email", ownerEmail, "--password", ServerFixture.Password, "--config", config)).Code);
            var (shared, invited) = await RunAsync("share", "/Team", memberEmail, "--config", config, "--json");
            Assert.Equal(ExitCodes.Ok, shared);
            Assert.Equal("pending", JsonDocument.Parse(invited).RootElement.GetProperty("status").GetString());
            await owner.Api.AddMemberAsync("/Later", memberEmail, "viewer", default);
            Assert.Equal(ExitCodes.Ok, (await RunAsync("logout", "--config", config)).Code);
            Assert.Equal(ExitCodes.Ok, (await RunAsync("login", fixture.Server.BaseAddress.ToString(), "--email", memberEmail, "--password", ServerFixture.Password, "--config", config)).Code);

            var (listed, json) = await RunAsync("invitations", "--config", config, "--json");
            var (_, text) = await RunAsync("invitations", "list", "--config", config);
            var entries = JsonDocument.Parse(json).RootElement.GetProperty("entries").EnumerateArray().ToList();
            var team = entries.Single(e => e.GetProperty("path").GetString() == "/Team").GetProperty("invitation_id").GetString()!;
            var later = entries.Single(e => e.GetProperty("path").GetString() == "/Later").GetProperty("invitation_id").GetString()!;
            var (accepted, mount) = await RunAsync("invitations", "accept", team, "--config", config, "--json");
            var (declined, _) = await RunAsync("invitations", "decline", later, "--config", config);
            var (again, _) = await RunAsync("invitations", "decline", later, "--config", config);

            Assert.Equal(ExitCodes.Ok, listed);
            Assert.Contains($"{ownerEmail} shares /Team with you as editor", text, StringComparison.Ordinal);
            Assert.Equal(ExitCodes.Ok, accepted);
            Assert.Equal("/Team", JsonDocument.Parse(mount).RootElement.GetProperty("path").GetString());
            Assert.Equal(ExitCodes.Ok, declined);
            Assert.NotEqual(ExitCodes.Ok, again);
            Assert.Empty(JsonDocument.Parse((await RunAsync("invitations", "--config", config, "--json")).Output).RootElement.GetProperty("entries").EnumerateArray());
            using var member = await fixture.DeviceAsync(memberEmail, "member-laptop");
            await member.SyncAsync();
            Assert.Equal("the plan", member.Read("Team/plan.txt"));
            Assert.False(Directory.Exists(member.PathOf("Later")));
        }
        finally
        {
            Directory.Delete(config, recursive: true);
        }
    }
}
