using System.CommandLine;
using DropSync.Client.Api;
using DropSync.Client.Config;
using DropSync.Client.Sync;
using Spectre.Console;

namespace DropSync.Cli;

/// <summary><c>dropsync sync|push|pull &lt;folder&gt;</c>: one sync of a folder in a direction, or (sync --watch) keep syncing it.</summary>
internal static class SyncCommand
{
    public sealed record Commands(Command Sync, Command Push, Command Pull);

    public static Commands Create(CliContext cli)
    {
        var folderArg = new Argument<string>("folder") { Description = "The local folder to sync with your DropSync root." };
        var watchOption = new Option<bool>("--watch") { Description = "Keep running: sync on local changes and on the server's live change feed." };
        var forceOption = new Option<bool>("--force") { Description = "Go past the safety nets (empty or missing folder, deleting more than half the files)." };
        var intervalOption = new Option<double>("--interval") { Description = "With --watch: seconds between catch-ups when the live feed is quiet (it wakes the sync at once on changes).", DefaultValueFactory = _ => 60.0 };
        var sync = new Command("sync", "Two-way sync of a folder.") { folderArg, watchOption, forceOption, intervalOption };
        var push = new Command("push", "Send local changes only (nothing local is changed).") { folderArg, forceOption };
        var pull = new Command("pull", "Fetch server changes only (nothing on the server is changed).") { folderArg, forceOption };

        Func<ParseResult, CancellationToken, Task<int>> Action(SyncDirection direction) => (p, c) => cli.Guard(p, async () =>
        {
            var config = cli.Config(p);
            var account = CliContext.RequireAccount(config);
            var folder = Path.GetFullPath(p.GetValue(folderArg)!);
            var force = p.GetValue(forceOption);
            CheckFolder(config, folder, force);

            using var api = CliContext.Api(account);
            var json = cli.Json(p);
            void Log(string line)
            {
                if (!json)
                {
                    cli.Console.MarkupLine($"[grey]{Markup.Escape(line)}[/]");
                }
            }

            await using var source = new CursorChangeSource(api) { Log = Log };
            var engine = new SyncEngine(api, folder, source, account.DeviceName);
            if (p.GetValue(watchOption))
            {
                var interval = TimeSpan.FromSeconds(Math.Max(0.1, p.GetValue(intervalOption)));
                return await WatchAsync(cli, engine, source, new SyncOptions { Direction = direction, Force = force, Log = Log }, interval, json, config, folder, account, c);
            }

            var report = cli.Interactive && !json
                ? await WithProgressBarAsync(cli, engine, direction, new SyncOptions { Direction = direction, Force = force, Log = Log }, c)
                : await engine.SyncAsync(new SyncOptions { Direction = direction, Force = force, Log = Log }, c);
            // The files are in place; the space of those replaced is freed before the process ends.
            await engine.SettleAsync();

            config.RememberFolder(folder, account);
            SyncReportOutput.Write(cli, report, json, "");
            return report.Errors.Count > 0 ? ExitCodes.Partial : ExitCodes.Ok;
        });

        sync.SetAction(Action(SyncDirection.Both));
        push.SetAction(Action(SyncDirection.Push));
        pull.SetAction(Action(SyncDirection.Pull));
        return new Commands(sync, push, pull);
    }

    /// <summary>A folder synced before whose folder or state is gone is more likely an unmounted drive than a wish to start afresh.</summary>
    private static void CheckFolder(ClientConfig config, string folder, bool force)
    {
        var known = config.KnownFolders();
        if (known.ContainsKey(folder) && !force && !File.Exists(Path.Combine(folder, LocalIndex.StateFolder, "index.db")))
        {
            throw new SyncSafetyException(
                $"{folder} was synced before but its state is gone (missing folder, or a drive that is not mounted?). " +
                "Mount or restore it and try again, or run with --force to sync it afresh.");
        }

        if (!Directory.Exists(folder))
        {
            if (known.ContainsKey(folder) && !force)
            {
                throw new SyncSafetyException($"The sync folder {folder} does not exist. If it is on a drive that is not mounted, mount it and try again; to start afresh, run with --force.");
            }
        }
    }

    private static async Task<int> WatchAsync(
        CliContext cli, SyncEngine engine, CursorChangeSource source, SyncOptions options, TimeSpan interval, bool json,
        ClientConfig config, string folder, Account account, CancellationToken c)
    {
        if (!json)
        {
            cli.Console.MarkupLine($"Watching [bold]{Markup.Escape(folder)}[/] (local changes and the server's live feed; catch-up every {interval.TotalSeconds:0.#} s). Ctrl+C to stop.");
        }

        var watcher = new SyncWatcher(engine, source);
        try
        {
            await watcher.RunAsync(options, interval, r =>
            {
                config.RememberFolder(folder, account);
                if (json)
                {
                    SyncReportOutput.Write(cli, r, json: true, "");
                }
                else if (r.FilesUploaded + r.FilesDownloaded + r.DeletedLocal + r.DeletedRemote + r.Moved > 0 || r.Conflicts.Count > 0 || r.Errors.Count > 0)
                {
                    SyncReportOutput.Write(cli, r, json: false, DateTime.Now.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) + " ");
                }
            }, e => options.Log!($"sync failed: {e.Message} (will retry)"), c);
        }
        catch (OperationCanceledException) when (c.IsCancellationRequested)
        {
        }

        await engine.SettleAsync();

        // Ctrl+C is how a watch ends, but it is still an interruption (a transfer may be half done), as the exit codes say.
        return c.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Ok;
    }

    /// <summary>One sync under a progress bar laid out to the terminal's width.</summary>
    private static async Task<SyncReport> WithProgressBarAsync(CliContext cli, SyncEngine engine, SyncDirection direction, SyncOptions options, CancellationToken c)
    {
        cli.Console.Profile.Width = cli.TerminalWidth;
        try
        {
            return await cli.Console.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(direction switch { SyncDirection.Push => "push", SyncDirection.Pull => "pull", _ => "sync" }, autoStart: true, maxValue: 1);
                    var progress = new DirectProgress(t =>
                    {
                        task.MaxValue = Math.Max(1, t.Total);
                        task.Value = Math.Min(t.Done, task.MaxValue);
                    });
                    return await engine.SyncAsync(new SyncOptions { Direction = options.Direction, Force = options.Force, Log = options.Log, Progress = progress }, c);
                });
        }
        finally
        {
            cli.Console.Profile.Width = CliContext.UnlimitedWidth;
        }
    }

    private sealed class DirectProgress(Action<TransferProgress> report) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value) => report(value);
    }
}
