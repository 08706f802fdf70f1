using System.CommandLine;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using DropSync.Client.Api;
using DropSync.Client.Config;
using DropSync.Client.Sync;
using Spectre.Console;

namespace DropSync.Cli;

/// <summary>Exit codes: meaningful to scripts.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Error = 1;
    public const int Usage = 2;
    public const int NotSignedIn = 3;
    public const int Unreachable = 4;
    /// <summary>A safety net stopped the sync (missing or empty folder, mass deletion): check, then use --force.</summary>
    public const int SafetyStop = 5;
    /// <summary>The sync finished but some files failed; run it again.</summary>
    public const int Partial = 6;
    public const int Interrupted = 130;
}

/// <summary>The <c>dropsync</c> command line. <see cref="RunAsync"/> is the whole program (tests call it in-process).</summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, CancellationToken ct = default, TextReader? input = null)
    {
        output ??= Console.Out;
        var interactive = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        // Piped or captured output is for grep, cut and files: no colour codes, and no 80-column wrapping that splits revs and paths.
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        // Only the progress bar is laid out to the terminal's width; every other line is as long as it needs to be (a
        // narrow terminal soft-wraps it, which copies back as one line), so a rev or a path is never cut in two.
        var terminalWidth = console.Profile.Width;
        console.Profile.Width = UnlimitedWidth;
        // Prompts go to stderr, so `dropsync link /x --password | pbcopy` copies the URL and not "Link password:".
        var prompts = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

        // A line the user types, or null when there is no one to ask: with stdin redirected (or an input given, as tests
        // do) the answer is the first line of it, and an empty or absent line is no answer.
        string? Ask(string prompt, bool secret)
        {
            if (input is null && !Console.IsInputRedirected)
            {
                var text = new TextPrompt<string>(prompt);
                return prompts.Prompt(secret ? text.Secret() : text);
            }

            return (input ?? Console.In).ReadLine() is { Length: > 0 } line ? line : null;
        }

        var configOption = new Option<string?>("--config") { Description = "Config folder (default ~/.config/dropsync); use one per device to run several on one machine.", Recursive = true };
        var jsonOption = new Option<bool>("--json") { Description = "Machine-readable output.", Recursive = true };
        var root = new RootCommand("dropsync: sync a folder with a DropSync server.") { configOption, jsonOption };

        var serverArg = new Argument<string>("server-url") { Description = "e.g. http://localhost:5000" };
        var emailOption = new Option<string?>("--email") { Description = "Account email (or env DROPSYNC_EMAIL; prompted otherwise)." };
        var passwordOption = new Option<string?>("--password") { Description = "Password (or env DROPSYNC_PASSWORD; prompted otherwise)." };
        var deviceOption = new Option<string?>("--device-name") { Description = "Name of this device (default: the machine name)." };
        var login = new Command("login", "Sign this device in and remember its token.") { serverArg, emailOption, passwordOption, deviceOption };
        root.Add(login);

        var logout = new Command("logout", "Sign this device out and forget its token.");
        root.Add(logout);

        var folderArg = new Argument<string>("folder") { Description = "The local folder to sync with your DropSync root." };
        var watchOption = new Option<bool>("--watch") { Description = "Keep running: sync on local changes and on the server's live change feed." };
        var forceOption = new Option<bool>("--force") { Description = "Go past the safety nets (empty or missing folder, deleting more than half the files)." };
        var intervalOption = new Option<double>("--interval") { Description = "With --watch: seconds between catch-ups when the live feed is quiet (it wakes the sync at once on changes).", DefaultValueFactory = _ => 60.0 };
        var sync = new Command("sync", "Two-way sync of a folder.") { folderArg, watchOption, forceOption, intervalOption };
        root.Add(sync);
        var push = new Command("push", "Send local changes only (nothing local is changed).") { folderArg, forceOption };
        root.Add(push);
        var pull = new Command("pull", "Fetch server changes only (nothing on the server is changed).") { folderArg, forceOption };
        root.Add(pull);

        var pathArg = new Argument<string>("path") { Description = "A path in your DropSync, e.g. /Docs/a.txt." };
        var optionalPath = new Argument<string>("path") { Description = "A folder in your DropSync.", DefaultValueFactory = _ => "/" };
        var recursiveOption = new Option<bool>("--recursive", "-r") { Description = "List everything below the folder." };
        var ls = new Command("ls", "List a folder on the server.") { optionalPath, recursiveOption };
        root.Add(ls);
        var revisions = new Command("revisions", "List a file's revisions, newest first.") { pathArg };
        root.Add(revisions);
        var revArg = new Argument<string>("rev") { Description = "A revision from `dropsync revisions`." };
        var restore = new Command("restore", "Make an old revision of a file current again (also undeletes).") { pathArg, revArg };
        root.Add(restore);
        var emailArg = new Argument<string>("email") { Description = "Who to share with (their DropSync account email)." };
        var roleOption = new Option<string>("--role") { Description = "viewer (read only) or editor.", DefaultValueFactory = _ => "editor" };
        roleOption.AcceptOnlyFromAmong("viewer", "editor");
        var share = new Command("share", "Invite someone to a folder (shared once they accept), or change a member's role.") { pathArg, emailArg, roleOption };
        root.Add(share);
        var unshare = new Command("unshare", "Stop sharing a folder with someone, or cancel their invitation.") { pathArg, emailArg };
        root.Add(unshare);
        var leave = new Command("leave", "Leave a folder someone shared with you (it disappears from your devices; its owner keeps it).") { pathArg };
        root.Add(leave);
        var expiresOption = new Option<string?>("--expires") { Description = "When the link stops working: an ISO date/time, or a duration such as 7d, 12h, 30m." };
        var linkPasswordOption = new Option<string?>("--password") { Description = "Protect the link with a password (prompted when no value is given, or env DROPSYNC_LINK_PASSWORD).", Arity = ArgumentArity.ZeroOrOne };
        var link = new Command("link", "Create a shared link anyone can open, and print its URL.") { pathArg, expiresOption, linkPasswordOption };
        root.Add(link);
        var statusFolder = new Argument<string?>("folder") { Description = "A sync folder to report on.", DefaultValueFactory = _ => null };
        var status = new Command("status", "Who is signed in, and what a sync folder would send and fetch.") { statusFolder };
        root.Add(status);

        ClientConfig Config(ParseResult p) => new(p.GetValue(configOption) ?? ClientConfig.DefaultFolder);
        root.Add(AppPasswordCommands.Create((p, action) => Guard(p, action), (p, json, text) => Done(p, json, text), p => Api(RequireAccount(Config(p)))));
        root.Add(InvitationCommands.Create((p, action) => Guard(p, action), (p, json, text) => Done(p, json, text), p => Api(RequireAccount(Config(p)))));

        login.SetAction((p, c) => Guard(p, async () =>
        {
            var server = new Uri(p.GetValue(serverArg)!.TrimEnd('/') + "/");
            var email = p.GetValue(emailOption) ?? Environment.GetEnvironmentVariable("DROPSYNC_EMAIL") ?? Ask("Email:", secret: false) ?? throw NoCredentials();
            var password = p.GetValue(passwordOption) ?? Environment.GetEnvironmentVariable("DROPSYNC_PASSWORD") ?? Ask("Password:", secret: true) ?? throw NoCredentials();
            var device = p.GetValue(deviceOption) ?? Environment.MachineName;
            using var api = new DropSyncApi(server, null);
            var result = await api.LoginAsync(email, password, device, c);
            var account = new Account(server.ToString(), email, result.AccessToken, result.DeviceId, device);
            Config(p).Save(account);
            return Done(p, new { signed_in = email, server = server.ToString(), device_id = result.DeviceId, device_name = device },
                $"Signed in as {email} on {server} (device {device}).");
        }));

        logout.SetAction((p, c) => Guard(p, async () =>
        {
            var config = Config(p);
            var account = RequireAccount(config);
            using var api = Api(account);
            try
            {
                await api.LogoutAsync(c);
            }
            catch (DropSyncApiException e) when (e.Status == HttpStatusCode.Unauthorized)
            {
                // Already revoked on the server: forget it here all the same.
            }

            config.Remove(account);
            return Done(p, new { signed_out = account.Email }, $"Signed out {account.Email}; this device's token is revoked.");
        }));

        Func<ParseResult, CancellationToken, Task<int>> SyncAction(SyncDirection direction) => (p, c) => Guard(p, async () =>
        {
            var config = Config(p);
            var account = RequireAccount(config);
            var folder = Path.GetFullPath(p.GetValue(folderArg)!);
            var force = p.GetValue(forceOption);
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

            using var api = Api(account);
            var json = p.GetValue(jsonOption);
            void Log(string line)
            {
                if (!json)
                {
                    console.MarkupLine($"[grey]{Markup.Escape(line)}[/]");
                }
            }

            await using var source = new CursorChangeSource(api) { Log = Log };
            var engine = new SyncEngine(api, folder, source, account.DeviceName);

            if (p.GetValue(watchOption))
            {
                var interval = TimeSpan.FromSeconds(Math.Max(0.1, p.GetValue(intervalOption)));
                if (!json)
                {
                    console.MarkupLine($"Watching [bold]{Markup.Escape(folder)}[/] (local changes and the server's live feed; catch-up every {interval.TotalSeconds:0.#} s). Ctrl+C to stop.");
                }

                var watcher = new SyncWatcher(engine, source);
                var options = new SyncOptions { Direction = direction, Force = force, Log = Log };
                try
                {
                    await watcher.RunAsync(options, interval, r =>
                    {
                        config.RememberFolder(folder, account);
                        if (json)
                        {
                            output.WriteLine(JsonSerializer.Serialize(ReportJson(r), DropSyncApi.Json));
                        }
                        else if (r.FilesUploaded + r.FilesDownloaded + r.DeletedLocal + r.DeletedRemote + r.Moved > 0 || r.Conflicts.Count > 0 || r.Errors.Count > 0)
                        {
                            PrintReport(console, r, DateTime.Now.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) + " ");
                        }
                    }, e => Log($"sync failed: {e.Message} (will retry)"), c);
                }
                catch (OperationCanceledException) when (c.IsCancellationRequested)
                {
                }

                // Ctrl+C is how a watch ends, but it is still an interruption (a transfer may be half done), as the exit codes say.
                return c.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Ok;
            }

            SyncReport report;
            if (interactive && !json)
            {
                console.Profile.Width = terminalWidth;
                try
                {
                    report = await console.Progress()
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
                            return await engine.SyncAsync(new SyncOptions { Direction = direction, Force = force, Log = Log, Progress = progress }, c);
                        });
                }
                finally
                {
                    console.Profile.Width = UnlimitedWidth;
                }
            }
            else
            {
                report = await engine.SyncAsync(new SyncOptions { Direction = direction, Force = force, Log = Log }, c);
            }

            config.RememberFolder(folder, account);
            if (json)
            {
                output.WriteLine(JsonSerializer.Serialize(ReportJson(report), DropSyncApi.Json));
            }
            else
            {
                PrintReport(console, report, "");
            }

            return report.Errors.Count > 0 ? ExitCodes.Partial : ExitCodes.Ok;
        });

        sync.SetAction(SyncAction(SyncDirection.Both));
        push.SetAction(SyncAction(SyncDirection.Push));
        pull.SetAction(SyncAction(SyncDirection.Pull));

        ls.SetAction((p, c) => Guard(p, async () =>
        {
            using var api = Api(RequireAccount(Config(p)));
            var path = p.GetValue(optionalPath)!;
            var entries = await api.ListFolderAsync(path == "/" ? "" : path, p.GetValue(recursiveOption), c);
            if (p.GetValue(jsonOption))
            {
                output.WriteLine(JsonSerializer.Serialize(new { entries }, DropSyncApi.Json));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("path", "size", "modified", "rev");
            foreach (var e in entries.OrderBy(e => e.Path, StringComparer.OrdinalIgnoreCase))
            {
                table.AddRow(Markup.Escape(e.Path + (e.IsFolder ? "/" : "")), e.Size is { } s ? Bytes(s) : "", e.ServerModified?.ToLocalTime().ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) ?? "", e.Rev ?? "");
            }

            console.Write(table);
            return ExitCodes.Ok;
        }));

        revisions.SetAction((p, c) => Guard(p, async () =>
        {
            using var api = Api(RequireAccount(Config(p)));
            var list = await api.ListRevisionsAsync(p.GetValue(pathArg)!, 100, c);
            var devices = await DeviceNamesAsync(api, c);
            var history = (await api.GetConfigAsync(c)).History;
            // The server knows devices by id; people know them by the name they gave at login. Other people's devices
            // (in a shared folder) are not listed for this account, so they keep their id.
            string DeviceName(string? id) => id is null ? "" : devices.GetValueOrDefault(id, id);
            if (p.GetValue(jsonOption))
            {
                var entries = list.Select(r => new { r.Rev, r.Path, r.Size, r.ContentHash, r.ServerModified, r.DeviceId, DeviceName = r.DeviceId is null ? null : DeviceName(r.DeviceId) });
                output.WriteLine(JsonSerializer.Serialize(new { entries, history }, DropSyncApi.Json));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("rev", "size", "modified", "device");
            foreach (var r in list)
            {
                table.AddRow(r.Rev, Bytes(r.Size), r.ServerModified.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(DeviceName(r.DeviceId)));
            }

            console.Write(table);
            if (!string.IsNullOrEmpty(history))
            {
                console.MarkupLine(Markup.Escape($"Old revisions and deleted files are kept {history}."));
            }

            return ExitCodes.Ok;
        }));

        restore.SetAction((p, c) => Guard(p, async () =>
        {
            using var api = Api(RequireAccount(Config(p)));
            var restored = await api.RestoreAsync(p.GetValue(pathArg)!, p.GetValue(revArg)!, c);
            return Done(p, restored, $"Restored {restored.Path} (now rev {restored.Rev}); sync to bring it to this device.");
        }));

        share.SetAction((p, c) => Guard(p, async () =>
        {
            using var api = Api(RequireAccount(Config(p)));
            var (path, email, role) = (p.GetValue(pathArg)!, p.GetValue(emailArg)!, p.GetValue(roleOption)!);
            var result = await api.AddMemberAsync(path, email, role, c);
            return Done(
                p,
                result,
                result.TryGetProperty("status", out var status) && status.GetString() == "active"
                    ? $"{email} now has {path} as {role}."
                    : $"Invited {email} to {path} as {role}; it is shared once they accept (`dropsync invitations`).");
        }));

        unshare.SetAction((p, c) => Guard(p, async () =>
        {
            using var api = Api(RequireAccount(Config(p)));
            var (path, email) = (p.GetValue(pathArg)!, p.GetValue(emailArg)!);
            await api.RemoveMemberAsync(path, email, c);
            return Done(p, new { path, email, removed = true }, $"{email} no longer has {path}.");
        }));

        leave.SetAction((p, c) => Guard(p, async () =>
        {
            using var api = Api(RequireAccount(Config(p)));
            var path = p.GetValue(pathArg)!;
            await api.LeaveAsync(path, c);
            return Done(p, new { path, left = true }, $"You left {path}. The next sync removes it from this device; its owner keeps it.");
        }));

        link.SetAction((p, c) => Guard(p, async () =>
        {
            using var api = Api(RequireAccount(Config(p)));
            DateTimeOffset? expires = p.GetValue(expiresOption) is { } text ? ParseExpiry(text, DateTimeOffset.UtcNow) : null;
            string? password = null;
            if (p.GetResult(linkPasswordOption) is not null)
            {
                password = p.GetValue(linkPasswordOption) is { Length: > 0 } given
                    ? given
                    : Environment.GetEnvironmentVariable("DROPSYNC_LINK_PASSWORD") is { Length: > 0 } fromEnv
                        ? fromEnv
                        : Ask("Link password:", secret: true) ?? throw new CliUsageException("link_password_required",
                            "--password needs the link's password: set DROPSYNC_LINK_PASSWORD, pipe it on stdin, give it as --password P, or run in a terminal to be asked for it.");
            }

            var created = await api.CreateLinkAsync(p.GetValue(pathArg)!, expires, password, c);
            if (p.GetValue(jsonOption))
            {
                output.WriteLine(JsonSerializer.Serialize(created, DropSyncApi.Json));
            }
            else
            {
                // The page to open (Url is the link's JSON API), alone on stdout, so `dropsync link /x | pbcopy` works.
                output.WriteLine(created.WebUrl ?? created.Url);
            }

            return ExitCodes.Ok;
        }));

        status.SetAction((p, c) => Guard(p, async () =>
        {
            var config = Config(p);
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
                using var api = account is null ? null : Api(account);
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
                    ? $"{folder} has not been synced yet: `dropsync sync {Quote(folder)}` would send all its files."
                    : $"{folder} does not exist.");
            }

            static string Counts(PendingChanges c) => $"{c.New.Count} new, {c.Changed.Count} changed, {c.Deleted.Count} deleted";
            static object? Paths(PendingChanges? c) => c is null ? null : new { @new = c.New, changed = c.Changed, deleted = c.Deleted };

            return Done(p,
                new
                {
                    signed_in = account?.Email,
                    server = account?.Server,
                    device = account?.DeviceName,
                    folder,
                    synced = folder is null ? (bool?)null : state is not null,
                    synced_files = state?.SyncedFiles,
                    to_send = Paths(state?.ToSend),
                    // Written even when null (the shared options leave nulls out): a missing to_fetch read as "nothing to fetch".
                    to_fetch = Paths(state?.ToFetch),
                    plan = state?.Plan,
                    fetch_status = state is null ? null : state.ToFetch is not null ? "ok" : account is null ? "not_signed_in" : "unreachable",
                    known_folders = config.KnownFolders().Keys,
                },
                string.Join('\n', lines),
                WithNulls);
        }));

        int Done(ParseResult p, object json, string text, JsonSerializerOptions? options = null)
        {
            if (p.GetValue(jsonOption))
            {
                output.WriteLine(JsonSerializer.Serialize(json, options ?? DropSyncApi.Json));
            }
            else
            {
                console.MarkupLine(Markup.Escape(text));
            }

            return ExitCodes.Ok;
        }

        async Task<int> Guard(ParseResult p, Func<Task<int>> action)
        {
            var json = p.GetValue(jsonOption);
            int Fail(int code, string error, string message)
            {
                if (json)
                {
                    output.WriteLine(JsonSerializer.Serialize(new { error, message, exit_code = code }, DropSyncApi.Json));
                }
                else
                {
                    console.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");
                }

                return code;
            }

            try
            {
                return await action();
            }
            catch (NotSignedInException e)
            {
                return Fail(ExitCodes.NotSignedIn, "not_signed_in", e.Message);
            }
            catch (CliUsageException e)
            {
                return Fail(ExitCodes.Usage, e.Code, e.Message);
            }
            catch (DropSyncApiException e)
            {
                var path = p.CommandResult.Command.Arguments.Contains(pathArg) ? p.GetValue(pathArg) : null;
                var server = p.CommandResult.Command == login ? p.GetValue(serverArg) : Config(p).Current()?.Server;
                var (code, message) = CliErrors.Describe(e, path, server);
                return Fail(code, e.Code, message);
            }
            catch (HttpRequestException e)
            {
                return Fail(ExitCodes.Unreachable, "unreachable", $"Cannot reach the server ({e.Message}). Check the URL and your network, then try again.");
            }
            catch (SyncSafetyException e)
            {
                return Fail(ExitCodes.SafetyStop, "safety_stop", e.Message);
            }
            catch (OperationCanceledException)
            {
                return Fail(ExitCodes.Interrupted, "interrupted", "Interrupted. Run the same command again to continue where it stopped.");
            }
            catch (IOException e)
            {
                return Fail(ExitCodes.Error, "io_error", e.Message);
            }
            catch (UnauthorizedAccessException e)
            {
                return Fail(ExitCodes.Error, "access_denied", e.Message);
            }
            catch (ArgumentException e)
            {
                return Fail(ExitCodes.Usage, "usage", e.Message);
            }
        }

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                console.MarkupLine($"[red]error:[/] {Markup.Escape(error.Message)}");
            }

            console.MarkupLine("Run `dropsync --help` for usage.");
            return ExitCodes.Usage;
        }

        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output }, ct);
    }

    /// <summary>An ISO date/time, or a duration from now: "7d", "12h", "30m", "90s", "2w", or a .NET TimeSpan ("1.12:00:00").</summary>
    internal static DateTimeOffset ParseExpiry(string text, DateTimeOffset now)
    {
        var t = text.Trim();
        if (t.Length >= 2 && double.TryParse(t[..^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            TimeSpan? span = char.ToLowerInvariant(t[^1]) switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                'w' => TimeSpan.FromDays(7 * n),
                _ => null,
            };
            if (span is { } s)
            {
                return now + s;
            }
        }

        if (DateTimeOffset.TryParse(t, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) && t.Contains('-', StringComparison.Ordinal))
        {
            return at;
        }

        if (TimeSpan.TryParse(t, System.Globalization.CultureInfo.InvariantCulture, out var ts) && ts > TimeSpan.Zero)
        {
            return now + ts;
        }

        throw new ArgumentException($"--expires: \"{text}\" is neither an ISO date/time (2030-01-31T12:00Z) nor a duration (7d, 12h, 30m).");
    }

    private static Account RequireAccount(ClientConfig config) =>
        config.Current() ?? throw new NotSignedInException($"Not signed in (config folder {config.Folder}). Run `dropsync login <server-url>` first.");

    private static DropSyncApi Api(Account account) => new(new Uri(account.Server), account.AccessToken);

    private static NotSignedInException NoCredentials() =>
        new("No credentials given: pass --email/--password or set DROPSYNC_EMAIL/DROPSYNC_PASSWORD.");

    private static readonly JsonSerializerOptions WithNulls = new(DropSyncApi.Json) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never };

    /// <summary>Lines wider than any path (the server caps them at 1,024 characters) and any table row of them.</summary>
    private const int UnlimitedWidth = 1_000_000;

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

    /// <summary>A path as a POSIX shell word, for commands the messages suggest.</summary>
    internal static string Quote(string text) =>
        text.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '/' or '.' or '_' or '-' or ':' or '@' or '~')
            ? text
            : "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

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

    private static object ReportJson(SyncReport r) => new
    {
        files_uploaded = r.FilesUploaded,
        bytes_uploaded = r.BytesUploaded,
        files_downloaded = r.FilesDownloaded,
        bytes_downloaded = r.BytesDownloaded,
        bytes_reused_locally = r.BytesReusedLocally,
        deleted_local = r.DeletedLocal,
        deleted_remote = r.DeletedRemote,
        moved = r.Moved,
        folders_created = r.FoldersCreated,
        folders_deleted = r.FoldersDeleted,
        conflicts = r.Conflicts,
        errors = r.Errors,
    };

    private static void PrintReport(IAnsiConsole console, SyncReport r, string prefix)
    {
        console.MarkupLine(Markup.Escape(
            $"{prefix}up: {r.FilesUploaded} files ({Bytes(r.BytesUploaded)} sent) · down: {r.FilesDownloaded} files ({Bytes(r.BytesDownloaded)} received, {Bytes(r.BytesReusedLocally)} reused) · " +
            $"deleted: {r.DeletedRemote} on server, {r.DeletedLocal} here · moved: {r.Moved}"));
        foreach (var c in r.Conflicts)
        {
            console.MarkupLine($"[yellow]conflict:[/] {Markup.Escape(c)}");
        }

        foreach (var e in r.Errors)
        {
            console.MarkupLine($"[red]failed:[/] {Markup.Escape(e)} Run the sync again to retry.");
        }
    }

    internal static string Bytes(long n) => n switch
    {
        < 1024 => $"{n} B",
        < 1024 * 1024 => $"{n / 1024.0:0.#} KiB",
        < 1024L * 1024 * 1024 => $"{n / 1024.0 / 1024:0.#} MiB",
        _ => $"{n / 1024.0 / 1024 / 1024:0.##} GiB",
    };

    private sealed class DirectProgress(Action<TransferProgress> report) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value) => report(value);
    }
}

public sealed class NotSignedInException(string message) : Exception(message);

/// <summary>The command cannot run as given (exit code 2); <see cref="Code"/> is the `--json` error code.</summary>
public sealed class CliUsageException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
