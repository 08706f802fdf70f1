using System.CommandLine;
using System.Text.Json;
using DropSync.Client.Api;
using Spectre.Console;

namespace DropSync.Cli;

/// <summary><c>dropsync ls [path] [-r]</c>: a server folder as a table.</summary>
internal static class ListCommand
{
    public static Command Create(CliContext cli)
    {
        var optionalPath = new Argument<string>("path") { Description = "A folder in your DropSync.", DefaultValueFactory = _ => "/" };
        var recursiveOption = new Option<bool>("--recursive", "-r") { Description = "List everything below the folder." };
        var ls = new Command("ls", "List a folder on the server.") { optionalPath, recursiveOption };
        ls.SetAction((p, c) => cli.Guard(p, async () =>
        {
            using var api = cli.Api(p);
            var path = p.GetValue(optionalPath)!;
            var entries = await api.ListFolderAsync(path == "/" ? "" : path, p.GetValue(recursiveOption), c);
            if (cli.Json(p))
            {
                cli.WriteJson(new ListOutput(entries));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("path", "size", "modified", "rev");
            foreach (var e in entries.OrderBy(e => e.Path, StringComparer.OrdinalIgnoreCase))
            {
                table.AddRow(Markup.Escape(e.Path + (e.IsFolder ? "/" : "")), e.Size is { } s ? CliText.Bytes(s) : "", e.ServerModified?.ToLocalTime().ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) ?? "", e.Rev ?? "");
            }

            cli.Console.Write(table);
            return ExitCodes.Ok;
        }));

        return ls;
    }
}
