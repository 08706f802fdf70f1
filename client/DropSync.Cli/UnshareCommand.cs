using System.CommandLine;

namespace DropSync.Cli;

/// <summary><c>dropsync unshare &lt;path&gt; &lt;email&gt;</c>: removes a member of a folder, or cancels their invitation.</summary>
internal static class UnshareCommand
{
    public static Command Create(CliContext cli)
    {
        var emailArg = new Argument<string>("email") { Description = "Who to share with (their DropSync account email)." };
        var unshare = new Command("unshare", "Stop sharing a folder with someone, or cancel their invitation.") { cli.PathArgument, emailArg };
        unshare.SetAction((p, c) => cli.Guard(p, async () =>
        {
            using var api = cli.Api(p);
            var (path, email) = (p.GetValue(cli.PathArgument)!, p.GetValue(emailArg)!);
            await api.RemoveMemberAsync(path, email, c);
            return cli.Done(p, new UnsharedOutput(path, email, Removed: true), $"{email} no longer has {path}.");
        }));

        return unshare;
    }
}
