using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Testing;

namespace DropSync.Api.Tests;

/// <summary>The server as its own process over real HTTP, including being killed with SIGKILL in the middle of work.</summary>
public sealed class RealServerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dropsync-process-").FullName;

    private string Data => Path.Combine(_root, "data");

    private string Keys => Path.Combine(_root, "keys");

    [Fact]
    public async Task Files_with_non_ascii_names_download_over_kestrel_with_the_metadata_header_escaped()
    {
        // The test host does not check header values; Kestrel refuses a non-ASCII one and the download failed with 500.
        await using var server = await ServerProcess.StartAsync(Data, Keys);
        var client = new ApiClient(server.CreateClient());
        var email = $"names-{Guid.NewGuid():N}@example.com";
        await client.RegisterAsync(email, "correct horse battery");
        await client.LoginAsync(email, "correct horse battery", "laptop");
        string[] names = ["/über.txt", "/café.txt", "/Привет.txt", "/日本.txt", "/emoji 😀.txt"];
        foreach (var name in names)
        {
            await client.UploadOkAsync(name, System.Text.Encoding.UTF8.GetBytes(name));
        }

        foreach (var name in names)
        {
            using var response = await client.Http.PostAsJsonAsync("/files/download", new { path = name });
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal(System.Text.Encoding.UTF8.GetBytes(name), await response.Content.ReadAsByteArrayAsync());
            var header = response.Headers.GetValues("DropSync-API-Result").Single();
            Assert.True(header.All(char.IsAscii), header);
            Assert.Equal(name, System.Text.Json.Nodes.JsonNode.Parse(header)!["path"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task A_kill_9_under_concurrent_writers_loses_no_acknowledged_commit_and_a_restart_reads_everything()
    {
        string email = $"crash-{Guid.NewGuid():N}@example.com";
        var committed = new Dictionary<string, byte[]>();
        // What each writer was told is committed: new files, and for the overwriting writers every version acknowledged.
        var acknowledged = new ConcurrentDictionary<string, byte[]>();
        var hotVersions = new ConcurrentDictionary<string, (byte[] Acknowledged, byte[]? InFlight)>();
        string? startCursor;
        await using (var server = await ServerProcess.StartAsync(Data, Keys))
        {
            var client = new ApiClient(server.CreateClient());
            await client.RegisterAsync(email, "correct horse battery");
            await client.LoginAsync(email, "correct horse battery", "laptop");
            startCursor = (await client.OkAsync("/files/list_folder/get_latest_cursor", new { path = "", recursive = true }))["cursor"]!.GetValue<string>();
            for (var i = 0; i < 5; i++)
            {
                var content = Dropbox.RandomBytes(100_000 + i, seed: i);
                await client.UploadOkAsync($"/before/{i}.bin", content);
                committed[$"/before/{i}.bin"] = content;
            }

            for (var w = 0; w < HotWriters; w++)
            {
                var first = Dropbox.RandomBytes(2000, seed: 9000 + w);
                await client.UploadOkAsync($"/hot/{w}.bin", first);
                hotVersions[$"/hot/{w}.bin"] = (first, null);
            }

            // Keep committing from many writers at once (so commits share group transactions) while the process is killed.
            using var stop = new CancellationTokenSource();
            var newFileWriters = Enumerable.Range(0, NewFileWriters).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var path = $"/during/w{w}/{i}.bin";
                    var content = Dropbox.RandomBytes(w == 0 ? 300_000 : 1000 + (i % 3000), seed: (w * 100_000) + i);
                    if (!await TryUploadAsync(client, path, content, "add"))
                    {
                        return;
                    }

                    acknowledged[path] = content;
                }
            }));
            var overwriters = Enumerable.Range(0, HotWriters).Select(w => Task.Run(async () =>
            {
                var path = $"/hot/{w}.bin";
                for (var i = 1; !stop.IsCancellationRequested; i++)
                {
                    var content = Dropbox.RandomBytes(2000 + i, seed: (w * 100_000) + 50_000 + i);
                    hotVersions[path] = (hotVersions[path].Acknowledged, content);
                    if (!await TryUploadAsync(client, path, content, "overwrite"))
                    {
                        return;
                    }

                    hotVersions[path] = (content, null);
                }
            }));
            var writers = newFileWriters.Concat(overwriters).ToList();

            await Eventually.ProbeUntilAsync(() => Task.FromResult(acknowledged.Count), count => count >= 100, TimeSpan.FromSeconds(30));

            await server.KillAsync();
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        Assert.True(acknowledged.Count >= 100, $"the writers committed only {acknowledged.Count} files before the kill");
        await using var restarted = await ServerProcess.StartAsync(Data, Keys);
        var again = new ApiClient(restarted.CreateClient());
        await again.LoginAsync(email, "correct horse battery", "laptop again");
        foreach (var (path, content) in committed.Concat(acknowledged))
        {
            Assert.Equal(content, await again.DownloadAsync(path));
        }

        // An overwrite in flight at the kill may or may not have committed; the last acknowledged one must not be lost.
        foreach (var (path, (acknowledgedVersion, inFlight)) in hotVersions)
        {
            var now = await again.DownloadAsync(path);
            Assert.True(now.SequenceEqual(acknowledgedVersion) || (inFlight is not null && now.SequenceEqual(inFlight)), $"{path} lost its acknowledged version");
        }

        var listing = (await again.OkAsync("/files/list_folder", new { path = "", recursive = true }))["entries"]!.AsArray();
        var files = listing.Where(e => e!["tag"]!.GetValue<string>() == "file").ToList();
        foreach (var file in files)
        {
            var bytes = await again.DownloadAsync(file!["path"]!.GetValue<string>());
            Assert.Equal(file["content_hash"]!.GetValue<string>(), Dropbox.ContentHash(bytes));
        }

        // The change feed the restarted server serves from before the run folds to exactly the files listed: every commit's
        // journal entry landed with it, and none without it.
        var journaled = await FoldFeedAsync(again, startCursor!);
        Assert.Equal(files.Select(f => f!["path"]!.GetValue<string>()).Order(StringComparer.Ordinal), journaled.Order(StringComparer.Ordinal));
    }

    private const int NewFileWriters = 12;
    private const int HotWriters = 4;

    /// <summary>Uploads; false once the server is gone. Any answer but 200 while it is up fails the test.</summary>
    private static async Task<bool> TryUploadAsync(ApiClient client, string path, byte[] content, string mode)
    {
        try
        {
            var (status, body) = await client.UploadAsync(path, content, mode);
            Assert.True(status == HttpStatusCode.OK, $"{path}: {status} {body}");
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return false;
        }
    }

    /// <summary>The live files the change feed describes after <paramref name="cursor"/>, folded in order.</summary>
    private static async Task<List<string>> FoldFeedAsync(ApiClient client, string cursor)
    {
        var live = new HashSet<string>(StringComparer.Ordinal);
        for (var more = true; more;)
        {
            var page = await client.OkAsync("/files/list_folder/continue", new { cursor });
            foreach (var entry in page["entries"]!.AsArray())
            {
                var path = entry!["path"]!.GetValue<string>();
                switch (entry["tag"]!.GetValue<string>())
                {
                    case "file":
                        live.Add(path);
                        break;
                    case "deleted":
                        live.Remove(path);
                        break;
                }
            }

            cursor = page["cursor"]!.GetValue<string>();
            more = page["has_more"]!.GetValue<bool>();
        }

        return [.. live];
    }

    [Fact]
    public async Task The_master_key_is_generated_outside_the_data_folder_and_found_again_after_restart()
    {
        await using (var server = await ServerProcess.StartAsync(Data, Keys))
        {
            var client = new ApiClient(server.CreateClient());
            await client.RegisterAsync("keys@example.com", "correct horse battery");
            await client.LoginAsync("keys@example.com", "correct horse battery", "laptop");
            await client.UploadOkAsync("/a.txt", "secret words"u8.ToArray());
        }

        Assert.NotEmpty(Directory.GetFiles(Keys));
        var dataBytes = Directory.GetFiles(Data, "*", SearchOption.AllDirectories).SelectMany(File.ReadAllBytes).ToArray();
        Assert.Equal(-1, dataBytes.AsSpan().IndexOf("secret words"u8));

        await using var restarted = await ServerProcess.StartAsync(Data, Keys);
        var again = new ApiClient(restarted.CreateClient());
        await again.LoginAsync("keys@example.com", "correct horse battery", "laptop");
        Assert.Equal("secret words"u8.ToArray(), await again.DownloadAsync("/a.txt"));
        using var anonymous = restarted.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/files/list_folder", null)).StatusCode);
    }

    [Fact]
    public async Task At_start_the_server_logs_its_address_data_folder_and_key_folder_but_never_the_key()
    {
        await using var server = await ServerProcess.StartAsync(Data, Keys);
        var log = await Eventually.ProbeUntilAsync(
            () => Task.FromResult(server.Output), output => output.Contains("DropSync listening on", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        var line = log.Split('\n').SkipWhile(l => !l.Contains("DropSync listening on", StringComparison.Ordinal)).Take(2);
        var started = string.Join(" ", line);
        Assert.Contains(server.BaseAddress.ToString().TrimEnd('/'), started, StringComparison.Ordinal);
        Assert.Contains(Path.GetFullPath(Data), started, StringComparison.Ordinal);
        Assert.Contains(Path.GetFullPath(Keys), started, StringComparison.Ordinal);
        var keyFile = Assert.Single(Directory.GetFiles(Keys));
        var keyText = File.ReadAllText(keyFile).Trim();
        Assert.DoesNotContain(keyText, log, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
