using System.CommandLine;
using System.Net.Http;
using DropSync.Client.Sync;

namespace DropSync.Cli;

/// <summary><c>dropsync status [folder]</c>: who is signed in, and what a sync of the folder would send, fetch and do.</summary>
internal static class StatusCommand
{
    public static Command Create(CliContext cli)
    {
        var statusFolder = new Argument<string?>("folder") { Description = "A sync folder to report on.", DefaultValueFactory = _ => null };
        var status = new Command("status", "Who is signed in, and what a sync folder would send and fetch.") { statusFolder };
        status.SetAction((p, c) => cli.Guard(p, async () =>
        {
            var config = cli.Config(p);
            var account = config.Current();
            var folder = p.GetValue(statusFolder) is { } given ? Path.GetFullPath(given) : null;
            var lines = new List<string>
            {
                account is null
                    ? "Not signed in. Run `dropsync login <server-url>`."
                    : $"Signed in as {account.Email} on {account.Server} (device {account.DeviceName}).",
            };

            FolderStatus? state = null;
            string? fetchUnknown = null;
            if (folder is not null && FolderStatus.IsSyncFolder(folder))
            {
                using var api = account is null ? null : CliContext.Api(account);
                try
                {
                    state = await FolderStatus.ComputeAsync(folder, api, c);
                }
                catch (HttpRequestException e)
                {
                    // Offline, what would be sent is still worth knowing.
                    state = await FolderStatus.ComputeAsync(folder, null, c);
                    fetchUnknown = $"unknown (cannot reach the server: {e.Message})";
                }

                fetchUnknown ??= account is null ? "unknown (not signed in)" : null;
                lines.Add($"{folder}: {state.SyncedFiles} files synced.");
                lines.Add($"  to send: {Counts(state.ToSend)} here");
                lines.Add("  to fetch: " + (state.ToFetch is { } f ? $"{Counts(f)} on the server" : fetchUnknown));
                lines.AddRange(Listing(state));
                lines.AddRange(state.Plan is { } plan ? [$"  a sync now would do {plan.Count} things{(plan.Count > 0 ? ":" : ".")}", .. plan.Take(100).Select(a => "    " + a)] : []);
            }
            else if (folder is not null)
            {
                lines.Add(Directory.Exists(folder)
                    ? $"{folder} has not been synced yet: `dropsync sync {CliText.Quote(folder)}` would send all its files."
                    : $"{folder} does not exist.");
            }

            static string Counts(PendingChanges c) => $"{c.New.Count} new, {c.Changed.Count} changed, {c.Deleted.Count} deleted";
            return cli.Done(p,
                new StatusOutput(
                    account?.Email,
                    account?.Server,
                    account?.DeviceName,
                    folder,
                    folder is null ? null : state is not null,
                    state?.SyncedFiles,
                    state?.ToSend,
                    // Written even when null (WithNulls): a missing to_fetch read as "nothing to fetch".
                    state?.ToFetch,
                    state?.Plan,
                    state is null ? null : state.ToFetch is not null ? "ok" : account is null ? "not_signed_in" : "unreachable",
                    config.KnownFolders().Keys),
                string.Join('\n', lines),
                CliContext.WithNulls);
        }));

        return status;
    }

    /// <summary>The paths a status lists, one a line, at most 100 (`--json` has them all).</summary>
    private static IEnumerable<string> Listing(FolderStatus state)
    {
        const int shown = 100;
        var all = new[] { ("send", state.ToSend), ("fetch", state.ToFetch) }
            .Where(side => side.Item2 is not null)
            .SelectMany(side => new[] { ("new", side.Item2!.New), ("changed", side.Item2!.Changed), ("deleted", side.Item2!.Deleted) }
                .SelectMany(kind => kind.Item2.Select(path => $"  {side.Item1,-6}{kind.Item1,-9}{path}")))
            .ToList();
        foreach (var line in all.Take(shown))
        {
            yield return line;
        }

        if (all.Count > shown)
        {
            yield return $"  … and {all.Count - shown} more (`dropsync status --json` lists them all)";
        }
    }
}
