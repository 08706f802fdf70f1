using System.Diagnostics;
using System.Net;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Testing;

namespace DropSync.Api.Tests;

/// <summary>
/// A real embedded server whose data folder is on an 8 MiB tmpfs the test mounts (it needs root, or CAP_SYS_ADMIN; the
/// test fails with that reason where mounting is not allowed): when the disk is full, a write answers
/// <c>507 insufficient_storage</c>, leaves no temp file behind, reads keep working, and once space is freed writes work
/// again without a restart.
/// </summary>
public sealed class DiskFullTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dropsync-diskfull-").FullName;

    private string Mount => Path.Combine(_root, "small-disk");

    private string Data => Path.Combine(Mount, "data");

    private string Filler => Path.Combine(Mount, "filler");

    [Fact]
    public async Task A_full_disk_answers_507_keeps_reads_and_takes_writes_again_once_space_is_freed()
    {
        Directory.CreateDirectory(Mount);
        var (mounted, reason) = Run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", Mount);
        Assert.True(mounted, $"This test mounts an 8 MiB tmpfs as the data folder and needs root (or CAP_SYS_ADMIN) to do so: mount failed: {reason}");
        try
        {
            await using var server = await ServerProcess.StartAsync(Data, Path.Combine(_root, "keys"));
            var client = new ApiClient(server.CreateClient());
            var email = $"full-{Guid.NewGuid():N}@example.com";
            await client.RegisterAsync(email, "correct horse battery");
            await client.LoginAsync(email, "correct horse battery", "laptop");
            var before = Dropbox.RandomBytes(200_000, seed: 1);
            await client.UploadOkAsync("/before.bin", before);

            // Fill the disk to the last byte, beside the server's folders.
            FillDisk();

            var full = await client.UploadAsync("/during.bin", Dropbox.RandomBytes(300_000, seed: 2));
            Assert.True(full.Status == HttpStatusCode.InsufficientStorage, $"{full.Status} {full.Body}\n{server.Output}");
            Assert.Equal("insufficient_storage", full.Body["error"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(full.Body["message"]?.GetValue<string>()));
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(Data, "blocks", "tmp")));
            Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/files/get_metadata", new { path = "/during.bin" })).Status);

            // A batch's files fail one by one, each answered as that single upload was (507, not a 500 internal_error).
            var batch = await UploadBatchAsync(client, ("/batch-a.bin", Dropbox.RandomBytes(300_000, seed: 4)), ("/batch-b.bin", Dropbox.RandomBytes(300_000, seed: 5)));
            Assert.True(batch.Status == HttpStatusCode.OK, $"{batch.Status} {batch.Body}\n{server.Output}");
            foreach (var entry in batch.Body["entries"]!.AsArray())
            {
                Assert.True(entry!["status"]!.GetValue<int>() == 507, $"{entry}\n{server.Output}");
                Assert.Equal("insufficient_storage", entry["error"]!["error"]!.GetValue<string>());
            }

            Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/files/get_metadata", new { path = "/batch-a.bin" })).Status);

            // A write of metadata only: once SQLite's files cannot grow (SQLITE_FULL), it answers 507 too and stores nothing.
            (HttpStatusCode Status, System.Text.Json.Nodes.JsonNode Body) folder = default;
            var created = 0;
            for (; created < 2000; created++)
            {
                folder = await client.PostAsync("/files/create_folder", new { path = $"/folder {created}" });
                if (folder.Status != HttpStatusCode.OK)
                {
                    break;
                }
            }

            Assert.True(folder.Status == HttpStatusCode.InsufficientStorage, $"folder {created}: {folder.Status} {folder.Body}\n{server.Output}");
            Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/files/get_metadata", new { path = $"/folder {created}" })).Status);

            // Reads go on.
            Assert.Equal(before, await client.DownloadAsync("/before.bin"));
            Assert.Equal(created + 1, (await client.OkAsync("/files/list_folder", new { path = "" }))["entries"]!.AsArray().Count);

            // Space comes back: the same server takes writes again.
            File.Delete(Filler);
            var after = Dropbox.RandomBytes(300_000, seed: 3);
            await client.UploadOkAsync("/after.bin", after);
            Assert.Equal(after, await client.DownloadAsync("/after.bin"));
            Assert.Equal(before, await client.DownloadAsync("/before.bin"));
        }
        finally
        {
            // The server is gone (disposed above) before the file system is taken away.
            var (unmounted, why) = Run("umount", Mount);
            Assert.True(unmounted, $"umount {Mount} failed: {why}");
        }
    }

    private static async Task<(HttpStatusCode Status, System.Text.Json.Nodes.JsonNode Body)> UploadBatchAsync(ApiClient client, params (string Path, byte[] Content)[] files)
    {
        using var body = new MultipartFormDataContent();
        var manifest = System.Text.Json.JsonSerializer.Serialize(new { files = files.Select(f => new { path = f.Path }) });
        body.Add(new StringContent(manifest, System.Text.Encoding.UTF8, "application/json"), "manifest");
        foreach (var (_, content) in files)
        {
            body.Add(new ByteArrayContent(content), "file", "f");
        }

        using var response = await client.Http.PostAsync("/files/upload_batch", body);
        return (response.StatusCode, await ApiClient.ReadJsonAsync(response));
    }

    private void FillDisk()
    {
        using var stream = new FileStream(Filler, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough);
        var chunk = new byte[64 * 1024];
        try
        {
            while (true)
            {
                stream.Write(chunk);
            }
        }
        catch (IOException)
        {
            // Full. Top up byte by byte so not even a partial page is left.
            try
            {
                while (true)
                {
                    stream.Write(chunk, 0, 1);
                }
            }
            catch (IOException)
            {
                // Now full to the byte.
            }
        }
    }

    private static (bool Ok, string Output) Run(string command, params string[] arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode == 0, $"exit {process.ExitCode}: {output.Trim()}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (false, e.Message);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp cleanup.
        }
    }
}
