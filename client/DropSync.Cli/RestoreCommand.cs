using System.CommandLine;

namespace DropSync.Cli;

/// <summary><c>dropsync restore &lt;path&gt; &lt;rev&gt;</c>: an old revision made current again (also undeletes).</summary>
internal static class RestoreCommand
{
    public static Command Create(CliContext cli)
    {
        var revArg = new Argument<string>("rev") { Description = "A revision from `dropsync revisions`." };
        var restore = new Command("restore", "Make an old revision of a file current again (also undeletes).") { cli.PathArgument, revArg };
        restore.SetAction((p, c) => cli.Guard(p, async () =>
        {
            using var api = cli.Api(p);
            var restored = await api.RestoreAsync(p.GetValue(cli.PathArgument)!, p.GetValue(revArg)!, c);
            return cli.Done(p, restored, $"Restored {restored.Path} (now rev {restored.Rev}); sync to bring it to this device.");
        }));

        return restore;
    }
}
