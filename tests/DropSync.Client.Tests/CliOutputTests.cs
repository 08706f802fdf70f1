using System.Security.Cryptography;
using System.Text.Json;
using DropSync.Cli;
using DropSync.Client.Api;
using DropSync.Client.Config;
using DropSync.Client.Sync;
using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

/// <summary>What the `dropsync` command prints: links, status, tables when piped, and its error messages.</summary>
[Collection("server")]
public sealed class CliOutputTests(ServerFixture fixture) : IDisposable
{
    private readonly string _config = Directory.CreateTempSubdirectory("dropsync-cli-config-").FullName;
    private readonly string _folder = Directory.CreateTempSubdirectory("dropsync-cli-folder-").FullName;

    public void Dispose()
    {
        Directory.Delete(_config, recursive: true);
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>Runs the command with this test's config folder; output goes to a writer, as when stdout is piped.</summary>
    private async Task<(int Code, string Output)> RunAsync(TextReader? input, params string[] args)
    {
        using var output = new StringWriter();
        var code = await CliApp.RunAsync([.. args, "--config", _config], output, input: input ?? TextReader.Null);
        return (code, output.ToString());
    }

    private Task<(int Code, string Output)> RunAsync(params string[] args) => RunAsync(null, args);

    /// <summary>A new account signed in through the CLI as device "laptop"; answers its email.</summary>
    private async Task<string> SignInAsync()
    {
        var email = await fixture.NewAccountAsync();
        var (code, text) = await RunAsync("login", fixture.Server.BaseAddress.ToString(), "--email", email, "--password", ServerFixture.Password, "--device-name", "laptop");
        Assert.True(code == ExitCodes.Ok, text);
        return email;
    }

    private void Write(string rel, string text)
    {
        var full = Path.Combine(_folder, rel.TrimStart('/').Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    private static List<string> Paths(JsonElement e) => e.EnumerateArray().Select(p => p.GetString()!).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task Link_prints_the_web_page_to_open_and_json_has_both_addresses()
    {
        await SignInAsync();
        Write("plan.txt", "the plan");
        Assert.Equal(ExitCodes.Ok, (await RunAsync("sync", _folder, "--json")).Code);
        var origin = fixture.Server.BaseAddress.ToString().TrimEnd('/');

        var (code, plain) = await RunAsync("link", "/plan.txt");
        Assert.Equal(ExitCodes.Ok, code);
        var page = plain.Trim();
        Assert.StartsWith(origin + "/link/", page, StringComparison.Ordinal);
        using (var browser = new HttpClient())
        {
            using var opened = await browser.GetAsync(new Uri(page));
            Assert.True(opened.IsSuccessStatusCode, $"{page} answered {(int)opened.StatusCode}");
            Assert.Equal("text/html", opened.Content.Headers.ContentType?.MediaType);
        }

        var (jsonCode, json) = await RunAsync("link", "/plan.txt", "--json");
        Assert.Equal(ExitCodes.Ok, jsonCode);
        var link = Json(json);
        Assert.StartsWith(origin + "/s/", link.GetProperty("url").GetString(), StringComparison.Ordinal);
        Assert.StartsWith(origin + "/link/", link.GetProperty("web_url").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_reports_what_a_sync_would_send_and_fetch_and_changes_nothing()
    {
        var email = await SignInAsync();
        Write("A/edited.txt", "one");
        Write("A/deleted.txt", "two");
        Write("A/kept.txt", "three");
        Write("B/changed-on-server.txt", "four");
        var (first, firstReport) = await RunAsync("sync", _folder, "--json");
        Assert.True(first == ExitCodes.Ok, firstReport);

        // Here: one new file, one edited, one deleted.
        Write("A/newonly.txt", "new");
        Write("A/edited.txt", "one, edited");
        File.Delete(Path.Combine(_folder, "A", "deleted.txt"));
        // On the server, by another device: three new files and one edit, waiting to be fetched.
        using (var desktop = await fixture.DeviceAsync(email, "desktop"))
        {
            for (var i = 1; i <= 3; i++)
            {
                await desktop.Api.UploadMediaAsync($"/B/waiting{i}.txt", "add", null, "waiting"u8.ToArray(), default);
            }

            var before = await desktop.Api.GetMetadataAsync("/B/changed-on-server.txt", default);
            await desktop.Api.UploadMediaAsync("/B/changed-on-server.txt", "update", before.Rev, "four, edited"u8.ToArray(), default);
        }

        var localBefore = Snapshot(_folder);
        using var api = Api();
        var serverBefore = await ServerTreeAsync(api);

        var (code, json) = await RunAsync("status", _folder, "--json");
        Assert.True(code == ExitCodes.Ok, json);
        var status = Json(json);
        var send = status.GetProperty("to_send");
        Assert.Equal(["/A/newonly.txt"], Paths(send.GetProperty("new")));
        Assert.Equal(["/A/edited.txt"], Paths(send.GetProperty("changed")));
        Assert.Equal(["/A/deleted.txt"], Paths(send.GetProperty("deleted")));
        var fetch = status.GetProperty("to_fetch");
        Assert.Equal(["/B/waiting1.txt", "/B/waiting2.txt", "/B/waiting3.txt"], Paths(fetch.GetProperty("new")));
        Assert.Equal(["/B/changed-on-server.txt"], Paths(fetch.GetProperty("changed")));
        Assert.Empty(Paths(fetch.GetProperty("deleted")));
        // The plan is the sync planner's own, action by action.
        var plan = status.GetProperty("plan").EnumerateArray().Select(a => a.GetString()!).ToList();
        Assert.Contains("upload add /A/newonly.txt (new)", plan);
        Assert.Contains("upload update /A/edited.txt (edited)", plan);
        Assert.Contains("delete remote /A/deleted.txt", plan);
        Assert.Contains("download /B/changed-on-server.txt (edited on the server)", plan);
        Assert.Equal(3, plan.Count(a => a.StartsWith("download /B/waiting", StringComparison.Ordinal)));

        // Read-only: the folder (index and cursor included) and the server are as they were, so asking again answers the same.
        Assert.Equal(localBefore, Snapshot(_folder));
        Assert.Equal(serverBefore, await ServerTreeAsync(api));
        var (_, text) = await RunAsync("status", _folder);
        Assert.Contains("to send: 1 new, 1 changed, 1 deleted", text, StringComparison.Ordinal);
        Assert.Contains("to fetch: 3 new, 1 changed, 0 deleted", text, StringComparison.Ordinal);
        Assert.Contains("/A/newonly.txt", text, StringComparison.Ordinal);
        Assert.Contains($"a sync now would do {plan.Count} things:", text, StringComparison.Ordinal);

        // And it was right: the sync does exactly that, after which nothing is pending.
        var (synced, reportJson) = await RunAsync("sync", _folder, "--json");
        Assert.Equal(ExitCodes.Ok, synced);
        var report = Json(reportJson);
        Assert.Equal(2, report.GetProperty("files_uploaded").GetInt32());
        Assert.Equal(1, report.GetProperty("deleted_remote").GetInt32());
        Assert.Equal(4, report.GetProperty("files_downloaded").GetInt32());
        // Where its time went, by phase: the pass's named phases, none negative.
        var phases = report.GetProperty("phase_ms").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.Superset(new HashSet<string>(["scan", "index", "server", "plan", "execute", "flush"]), phases.Keys.ToHashSet());
        Assert.All(phases.Values, ms => Assert.True(ms >= 0, $"{ms} ms"));
        var after = Json((await RunAsync("status", _folder, "--json")).Output);
        foreach (var side in new[] { "to_send", "to_fetch" })
        {
            foreach (var kind in new[] { "new", "changed", "deleted" })
            {
                Assert.Empty(Paths(after.GetProperty(side).GetProperty(kind)));
            }
        }

        Assert.Empty(after.GetProperty("plan").EnumerateArray());
    }

    [Fact]
    public async Task Status_of_a_folder_never_synced_says_so_and_creates_no_state()
    {
        await SignInAsync();
        Write("a.txt", "a");
        var (code, json) = await RunAsync("status", _folder, "--json");
        Assert.Equal(ExitCodes.Ok, code);
        Assert.False(Json(json).GetProperty("synced").GetBoolean());
        Assert.False(Directory.Exists(Path.Combine(_folder, LocalIndex.StateFolder)));
    }

    [Fact]
    public async Task Piped_tables_keep_each_rev_and_path_whole_on_one_line_and_name_the_devices()
    {
        var email = await SignInAsync();
        const string file = "/Projects with a rather long folder name/and another long folder below it/meeting notes of the quarterly review.txt";
        Write(file, "draft");
        var (syncCode, summary) = await RunAsync("sync", _folder);
        Assert.Equal(ExitCodes.Ok, syncCode);
        // The summary is one line, not broken at 80 columns.
        var summaryLine = Assert.Single(summary.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("moved: 0", summaryLine, StringComparison.Ordinal);

        using (var desktop = await fixture.DeviceAsync(email, "desktop"))
        {
            var current = await desktop.Api.GetMetadataAsync(file, default);
            await desktop.Api.UploadMediaAsync(file, "update", current.Rev, "final"u8.ToArray(), default);
        }

        using var api = Api();
        var revs = await api.ListRevisionsAsync(file, 10, default);
        Assert.Equal(2, revs.Count);

        var (code, table) = await RunAsync("revisions", file);
        Assert.Equal(ExitCodes.Ok, code);
        var lines = table.Split('\n');
        Assert.Contains(lines, l => l.Contains(revs[0].Rev, StringComparison.Ordinal) && l.Contains("desktop", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(revs[1].Rev, StringComparison.Ordinal) && l.Contains("laptop", StringComparison.Ordinal));
        Assert.DoesNotContain("dev_", table, StringComparison.Ordinal);
        Assert.Contains("Old revisions and deleted files are kept 180 days, up to 100 revisions a file.", table, StringComparison.Ordinal);

        var (jsonCode, json) = await RunAsync("revisions", file, "--json");
        Assert.Equal(ExitCodes.Ok, jsonCode);
        Assert.Equal("180 days, up to 100 revisions a file", Json(json).GetProperty("history").GetString());
        var entries = Json(json).GetProperty("entries");
        Assert.Equal("desktop", entries[0].GetProperty("device_name").GetString());
        Assert.StartsWith("dev_", entries[0].GetProperty("device_id").GetString(), StringComparison.Ordinal);

        var (lsCode, listing) = await RunAsync("ls", "-r");
        Assert.Equal(ExitCodes.Ok, lsCode);
        Assert.Contains(listing.Split('\n'), l => l.Contains(file, StringComparison.Ordinal) && l.Contains(revs[0].Rev, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Link_password_without_a_terminal_or_env_is_a_usage_error_not_a_sign_in_error()
    {
        await SignInAsync();
        Write("x.txt", "x");
        Assert.Equal(ExitCodes.Ok, (await RunAsync("sync", _folder, "--json")).Code);

        var (code, json) = await RunAsync(TextReader.Null, "link", "/x.txt", "--password", "--json");
        Assert.Equal(ExitCodes.Usage, code);
        var error = Json(json);
        Assert.Equal("link_password_required", error.GetProperty("error").GetString());
        Assert.Contains("DROPSYNC_LINK_PASSWORD", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        // A password piped in on stdin is taken.
        using var stdin = new StringReader("s3cret\n");
        var (piped, created) = await RunAsync(stdin, "link", "/x.txt", "--password", "--json");
        Assert.Equal(ExitCodes.Ok, piped);
        Assert.True(Json(created).GetProperty("has_password").GetBoolean());
    }

    [Fact]
    public async Task Status_json_says_the_server_was_unreachable_instead_of_leaving_to_fetch_out()
    {
        await SignInAsync();
        Write("a.txt", "a");
        Assert.Equal(ExitCodes.Ok, (await RunAsync("sync", _folder, "--json")).Code);
        Write("b.txt", "b");
        var config = new ClientConfig(_config);
        // Nothing listens on port 1: the server is down.
        config.Save(config.Current()! with { Server = "http://127.0.0.1:1/" });

        var (code, json) = await RunAsync("status", _folder, "--json");
        Assert.True(code == ExitCodes.Ok, json);
        var status = Json(json);
        Assert.Equal(JsonValueKind.Null, status.GetProperty("to_fetch").ValueKind);
        Assert.Equal("unreachable", status.GetProperty("fetch_status").GetString());
        Assert.Equal(["/b.txt"], Paths(status.GetProperty("to_send").GetProperty("new")));
    }

    [Fact]
    public async Task Ctrl_c_in_sync_watch_exits_130()
    {
        await SignInAsync();
        Write("a.txt", "a");
        using var stop = new CancellationTokenSource();
        using var output = new StringWriter();
        var watching = CliApp.RunAsync(["sync", "--watch", _folder, "--config", _config], output, stop.Token, TextReader.Null);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(_folder, LocalIndex.StateFolder, "index.db")) && sw.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(50);
        }

        await Task.Delay(300);
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Interrupted, await watching);
    }

    [Fact]
    public async Task Errors_say_which_command_to_run_once_not_which_endpoint()
    {
        await SignInAsync();
        Write("a.txt", "a");
        Write("b.txt", "b");
        Assert.Equal(ExitCodes.Ok, (await RunAsync("sync", _folder, "--json")).Code);
        using (var api = Api())
        {
            var otherRev = (await api.GetMetadataAsync("/b.txt", default)).Rev!;
            var (code, text) = await RunAsync("restore", "/a.txt", otherRev);
            Assert.Equal(ExitCodes.Error, code);
            Assert.Contains("dropsync revisions /a.txt", text, StringComparison.Ordinal);
            Assert.DoesNotContain("/files/", text, StringComparison.Ordinal);

            // This device's token is revoked (signed out elsewhere).
            await api.LogoutAsync(default);
        }

        var (revoked, message) = await RunAsync("ls");
        Assert.Equal(ExitCodes.NotSignedIn, revoked);
        Assert.DoesNotContain("/auth/", message, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(message, "sign in again", System.Text.RegularExpressions.RegexOptions.IgnoreCase));
        Assert.Contains("dropsync login", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("missing_rev", 400, "rev is required: the revision to restore (see /files/list_revisions).",
        "rev is required: the revision to restore. See the file's revisions with `dropsync revisions '/My notes.txt'`.")]
    [InlineData("device_not_found", 404, "You have no device with that device_id; list them with /auth/list_devices.", "You have no device with that device_id.")]
    [InlineData("not_found", 404, "Nothing is at \"/My notes.txt\".", "Nothing is at \"/My notes.txt\".")]
    public void Server_advice_about_endpoints_becomes_the_command_to_run(string code, int status, string serverMessage, string expected)
    {
        var error = new DropSyncApiException((System.Net.HttpStatusCode)status, code, serverMessage, default);
        Assert.Equal((ExitCodes.Error, expected), CliErrors.Describe(error, "/My notes.txt", "http://localhost:5000/"));
    }

    private DropSyncApi Api()
    {
        var account = new ClientConfig(_config).Current()!;
        return new DropSyncApi(new Uri(account.Server), account.AccessToken);
    }

    private static async Task<List<string>> ServerTreeAsync(DropSyncApi api) =>
        (await api.ListFolderAsync("", recursive: true, default)).Select(e => $"{e.Path} {e.Rev}").Order(StringComparer.Ordinal).ToList();

    /// <summary>Every file below the folder, the state folder included: path, mtime and content hash.</summary>
    private static List<string> Snapshot(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => $"{Path.GetRelativePath(folder, f)} {File.GetLastWriteTimeUtc(f).Ticks} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))}")
            .Order(StringComparer.Ordinal)
            .ToList();
}
