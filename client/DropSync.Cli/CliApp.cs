using System.CommandLine;
using Spectre.Console;

namespace DropSync.Cli;

/// <summary>The <c>dropsync</c> command line. <see cref="RunAsync"/> is the whole program (tests call it in-process).</summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, CancellationToken ct = default, TextReader? input = null)
    {
        output ??= Console.Out;
        var cli = new CliContext(output, input);
        var root = new RootCommand("dropsync: sync a folder with a DropSync server.") { cli.ConfigOption, cli.JsonOption };
        var sync = SyncCommand.Create(cli);
        // The order commands are added is the order `dropsync --help` lists them.
        root.Add(LoginCommand.Create(cli));
        root.Add(LogoutCommand.Create(cli));
        root.Add(sync.Sync);
        root.Add(sync.Push);
        root.Add(sync.Pull);
        root.Add(ListCommand.Create(cli));
        root.Add(RevisionsCommand.Create(cli));
        root.Add(RestoreCommand.Create(cli));
        root.Add(ShareCommand.Create(cli));
        root.Add(UnshareCommand.Create(cli));
        root.Add(LeaveCommand.Create(cli));
        root.Add(LinkCommand.Create(cli));
        root.Add(StatusCommand.Create(cli));
        root.Add(AppPasswordCommands.Create(cli.Guard, (p, json, text) => cli.Done(p, json, text), cli.Api));
        root.Add(InvitationCommands.Create(cli.Guard, (p, json, text) => cli.Done(p, json, text), cli.Api));

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                cli.Console.MarkupLine($"[red]error:[/] {Markup.Escape(error.Message)}");
            }

            cli.Console.MarkupLine("Run `dropsync --help` for usage.");
            return ExitCodes.Usage;
        }

        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output }, ct);
    }
}
