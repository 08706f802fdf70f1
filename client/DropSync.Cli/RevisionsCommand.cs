using System.CommandLine;
using System.Net;
using System.Text.Json;
using DropSync.Client.Api;
using Spectre.Console;

namespace DropSync.Cli;

/// <summary><c>dropsync revisions &lt;path&gt;</c>: a file's revisions, newest first, with the devices that wrote them.</summary>
internal static class RevisionsCommand
{
    public static Command Create(CliContext cli)
    {
        var revisions = new Command("revisions", "List a file's revisions, newest first.") { cli.PathArgument };
        revisions.SetAction((p, c) => cli.Guard(p, async () =>
        {
            using var api = cli.Api(p);
            var list = await api.ListRevisionsAsync(p.GetValue(cli.PathArgument)!, 100, c);
            var devices = await DeviceNamesAsync(api, c);
            var history = (await api.GetConfigAsync(c)).History;
            // The server knows devices by id; people know them by the name they gave at login. Other people's devices
            // (in a shared folder) are not listed for this account, so they keep their id.
            string DeviceName(string? id) => id is null ? "" : devices.GetValueOrDefault(id, id);
            if (cli.Json(p))
            {
                var entries = list.Select(r => new RevisionOutput(r.Rev, r.Path, r.Size, r.ContentHash, r.ServerModified, r.DeviceId, r.DeviceId is null ? null : DeviceName(r.DeviceId)));
                cli.WriteJson(new RevisionsOutput(entries, history));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("rev", "size", "modified", "device");
            foreach (var r in list)
            {
                table.AddRow(r.Rev, CliText.Bytes(r.Size), r.ServerModified.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(DeviceName(r.DeviceId)));
            }

            cli.Console.Write(table);
            if (!string.IsNullOrEmpty(history))
            {
                cli.Console.MarkupLine(Markup.Escape($"Old revisions and deleted files are kept {history}."));
            }

            return ExitCodes.Ok;
        }));

        return revisions;
    }

    private static async Task<IReadOnlyDictionary<string, string>> DeviceNamesAsync(DropSyncApi api, CancellationToken ct)
    {
        try
        {
            return (await api.ListDevicesAsync(ct)).ToDictionary(d => d.DeviceId, d => d.Name, StringComparer.Ordinal);
        }
        catch (DropSyncApiException e) when (e.Status != HttpStatusCode.Unauthorized)
        {
            // A server without device listing: the ids will do.
            return new Dictionary<string, string>();
        }
    }
}
