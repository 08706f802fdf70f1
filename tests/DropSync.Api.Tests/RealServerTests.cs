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
    public async Task A_kill_9_never_leaves_a_committed_file_unreadable_and_a_restart_keeps_everything()
    {
        string email = $"crash-{Guid.NewGuid():N}@example.com";
        var committed = new Dictionary<string, byte[]>();
        await using (var server = await ServerProcess.StartAsync(Data, Keys))
        {
            var client = new ApiClient(server.CreateClient());
            await client.RegisterAsync(email, "correct horse battery");
            await client.LoginAsync(email, "correct horse battery", "laptop");
            for (var i = 0; i < 5; i++)
            {
                var content = Dropbox.RandomBytes(100_000 + i, seed: i);
                await client.UploadOkAsync($"/before/{i}.bin", content);
                committed[$"/before/{i}.bin"] = content;
            }

            // Keep uploading while the process is killed.
            using var stop = new CancellationTokenSource();
            var writer = Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    try
                    {
                        await client.UploadAsync($"/during/{i}.bin", Dropbox.RandomBytes(300_000, seed: 1000 + i));
                    }
                    catch (HttpRequestException)
                    {
                        return;
                    }
                    catch (TaskCanceledException)
                    {
                        return;
                    }
                }
            });
            await Task.Delay(1500);
            await server.KillAsync();
            await stop.CancelAsync();
            await writer;
        }

        await using var restarted = await ServerProcess.StartAsync(Data, Keys);
        var again = new ApiClient(restarted.CreateClient());
        await again.LoginAsync(email, "correct horse battery", "laptop again");
        foreach (var (path, content) in committed)
        {
            Assert.Equal(content, await again.DownloadAsync(path));
        }

        var listing = (await again.OkAsync("/files/list_folder", new { path = "", recursive = true }))["entries"]!.AsArray();
        var files = listing.Where(e => e!["tag"]!.GetValue<string>() == "file").ToList();
        Assert.True(files.Count > committed.Count, "the writer committed nothing during the run");
        foreach (var file in files)
        {
            var bytes = await again.DownloadAsync(file!["path"]!.GetValue<string>());
            Assert.Equal(file["content_hash"]!.GetValue<string>(), Dropbox.ContentHash(bytes));
        }
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
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!server.Output.Contains("DropSync listening on", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var log = server.Output;
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
