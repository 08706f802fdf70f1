using System.CommandLine;

namespace DropSync.Cli;

/// <summary><c>dropsync leave &lt;path&gt;</c>: leaves a folder shared with this account (its owner keeps it).</summary>
internal static class LeaveCommand
{
    public static Command Create(CliContext cli)
    {
        var leave = new Command("leave", "Leave a folder someone shared with you (it disappears from your devices; its owner keeps it).") { cli.PathArgument };
        leave.SetAction((p, c) => cli.Guard(p, async () =>
        {
            using var api = cli.Api(p);
            var path = p.GetValue(cli.PathArgument)!;
            await api.LeaveAsync(path, c);
            return cli.Done(p, new LeftOutput(path, Left: true), $"You left {path}. The next sync removes it from this device; its owner keeps it.");
        }));

        return leave;
    }
}
