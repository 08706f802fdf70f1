using DropSync.Client.Tests.Infrastructure;
using Xunit.Abstractions;

namespace DropSync.Client.Tests.RandomizedSync;

/// <summary>
/// Two or three devices of one account through random creates, edits (same size and not), deletes, renames, folder
/// creates, moves and deletes, and edits of one file on two devices at once, with syncs of random devices in between.
/// After each run every device syncs until nothing is left to do, and then: all devices and the server hold the same
/// tree, nothing a device held is lost unless a user deleted it, and no device's sync needs more than two passes.
/// Every other run another account shares the folder S as an editor and changes things inside it from its own device.
/// Runs: env DROPSYNC_SYNC_RUNS (default 4); a failure prints its seed, which DROPSYNC_SYNC_SEED replays.
/// </summary>
[Collection("server")]
public sealed class RandomizedSyncTests(ServerFixture fixture, ITestOutputHelper output)
{
    private const int StepsPerRun = 40;

    [Fact]
    public async Task Random_changes_on_random_devices_converge_and_lose_nothing()
    {
        var runs = int.TryParse(Environment.GetEnvironmentVariable("DROPSYNC_SYNC_RUNS"), out var r) && r > 0 ? r : 4;
        var firstSeed = int.TryParse(Environment.GetEnvironmentVariable("DROPSYNC_SYNC_SEED"), out var s) ? s : Random.Shared.Next();
        for (var run = 0; run < runs; run++)
        {
            var seed = unchecked(firstSeed + run);
            await RunAsync(seed);
        }

        output.WriteLine($"{runs} runs of {StepsPerRun} steps from seed {firstSeed}.");
    }

    private async Task RunAsync(int seed)
    {
        var random = new Random(seed);
        var email = await fixture.NewAccountAsync();
        var names = new[] { "laptop", "desktop", "phone" }.Take(random.Next(2, 4));
        var devices = new List<Device>();
        foreach (var name in names)
        {
            devices.Add(await fixture.DeviceAsync(email, name));
        }

        // Every other run, a second account shares the owner's folder S as an editor, with one device of its own.
        var member = random.Next(2) == 0 ? await MemberAsync(devices[0]) : null;
        using var world = new SyncWorld(devices, member, random);
        try
        {
            for (var step = 0; step < StepsPerRun; step++)
            {
                await world.StepAsync();
            }

            await SyncChecks.SyncUntilQuietAsync(world, random);
            await SyncChecks.ConvergedAsync(world);
            await SyncChecks.NothingLostAsync(world);
            output.WriteLine($"seed {seed}: {devices.Count} devices{(member is null ? "" : " and a member")}, {world.Log.Count} log lines, {world.Held.Count} contents held, {world.Deleted.Count} deleted by a user, " +
                $"{world.Log.Count(l => l.Contains("conflicts [", StringComparison.Ordinal))} syncs with conflicts, {world.Log.Count(l => l.StartsWith("both ", StringComparison.Ordinal))} edits on two devices at once");
        }
        catch (Exception e)
        {
            Assert.Fail(
                $"Randomized sync failed: {e.Message}\n" +
                $"Replay: DROPSYNC_SYNC_SEED={seed} DROPSYNC_SYNC_RUNS=1 dotnet test tests/DropSync.Client.Tests -c Release --filter FullyQualifiedName~RandomizedSyncTests\n" +
                $"{world.Devices.Count} devices{(member is null ? "" : " (the last one the member's)")}; what happened:\n  {string.Join("\n  ", world.Log)}\n" +
                (e is SyncCheckException ? "" : e.ToString()));
        }
    }

    private async Task<Device> MemberAsync(Device owner)
    {
        var memberEmail = await fixture.NewAccountAsync();
        var member = await fixture.DeviceAsync(memberEmail, "member");
        await owner.Api.CreateFolderAsync("/" + SyncWorld.SharedFolder, default);
        await owner.Api.AddMemberAsync("/" + SyncWorld.SharedFolder, memberEmail, "editor", default);
        var invitation = (await member.Api.ListInvitationsAsync(default)).Single();
        var mounted = await member.Api.AcceptInvitationAsync(invitation.InvitationId, default);
        Assert.Equal("/" + SyncWorld.SharedFolder, mounted.Path);
        return member;
    }
}
