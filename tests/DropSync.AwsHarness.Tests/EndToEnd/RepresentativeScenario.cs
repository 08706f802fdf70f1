using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using DropSync.Testing;

namespace DropSync.AwsHarness.Tests.EndToEnd;

/// <summary>
/// A day of DropSync through the harness that touches every function and every kind of AWS call the code makes:
/// accounts and devices, each upload path, downloads by blocks, the change feed, moves, deletes and restores, sharing,
/// links, the live feed (connect, hello, fan-out, disconnect), a revocation, and a scheduled maintenance run.
/// </summary>
public static class RepresentativeScenario
{
    public static async Task RunAsync(AwsHarness harness)
    {
        var url = harness.HttpApiUrl;
        var owner = await EndToEndFixture.RegisterAsync(url);
        var friendEmail = await EndToEndFixture.RegisterAsync(url);
        using var a = await EndToEndFixture.LoginAsync(url, owner, "laptop");
        using var b = await EndToEndFixture.LoginAsync(url, owner, "phone");
        using var lost = await EndToEndFixture.LoginAsync(url, owner, "lost tablet");
        using var friend = await EndToEndFixture.LoginAsync(url, friendEmail, "friend's laptop");

        var cursor = (await PostAsync(a, "/files/list_folder", new { path = "", recursive = true }))["cursor"]!.GetValue<string>();
        var video = RandomNumberGenerator.GetBytes(600_000);

        // B listens live; A's commits fan out to it.
        var (live, _) = await LiveSocket.OpenAsync(harness.WebSocketUrl, b.Token);
        await using (live)
        {
            using (var media = await a.Api.PostAsync("/files/upload?uploadType=media&path=%2FShared%2Fnote.txt", new ByteArrayContent("a note"u8.ToArray())))
            {
                Assert.True(media.IsSuccessStatusCode, await media.Content.ReadAsStringAsync());
            }

            await live.NextAsync("change", TimeSpan.FromSeconds(15));
            await ResumableUploadAsync(a, "/Shared/video.bin", video, blockSize: 250_000);
            await live.NextAsync("change", TimeSpan.FromSeconds(15));
        }

        await DownloadByBlocksAsync(a.Api, "/files/get_blocks", new { path = "/Shared/video.bin" });

        // The change feed, moves, deletes, restores.
        await PostAsync(a, "/files/create_folder", new { path = "/Archive" });
        await PostAsync(a, "/files/move", new { from_path = "/Shared/note.txt", to_path = "/Archive/note.txt" });
        var deleted = await PostAsync(a, "/files/delete", new { path = "/Archive/note.txt" });
        var revisions = await PostAsync(a, "/files/list_revisions", new { path = "/Archive/note.txt" });
        var rev = revisions["entries"]!.AsArray()[0]!["rev"]!.GetValue<string>();
        await PostAsync(a, "/files/restore", new { path = "/Archive/note.txt", rev });
        var changes = await PostAsync(a, "/files/list_folder/continue", new { cursor });
        Assert.NotEmpty(changes["entries"]!.AsArray());
        Assert.NotNull(deleted);

        // Sharing with another account, and a link anyone can open, downloaded by blocks.
        await PostAsync(a, "/sharing/add_member", new { path = "/Shared", email = friendEmail, role = "viewer" });
        var invitation = (await PostAsync(friend, "/sharing/list_invitations", new { }))["entries"]!.AsArray().Single()!;
        await PostAsync(friend, "/sharing/accept_invitation", new { invitation_id = invitation["invitation_id"]!.GetValue<string>() });
        await PostAsync(friend, "/sharing/list_shared_with_me", new { });

        // The friend uploads the same video to their own folder: its blocks are stored already (the owner's), so each is
        // staged under incoming/ with the friend's own bytes and adopted at finish (COPY, then DELETE of the staged copy).
        await ResumableUploadAsync(friend, "/Mine/video copy.bin", video, blockSize: 250_000);
        var link = await PostAsync(a, "/sharing/create_link", new { path = "/Shared/video.bin" });
        var token = new Uri(link["url"]!.GetValue<string>()).Segments[^1];
        using (var visitor = EndToEndFixture.Anonymous(url))
        {
            await DownloadByBlocksAsync(visitor, $"/s/{token}/get_blocks", new { });
        }

        // A lost device revoked while its live feed is open: the server closes it.
        var (lostLive, _) = await LiveSocket.OpenAsync(harness.WebSocketUrl, lost.Token);
        await using (lostLive)
        {
            await PostAsync(a, "/auth/revoke_device", new { device_id = lost.DeviceId });
            Assert.NotNull(await lostLive.Closed.WaitAsync(TimeSpan.FromSeconds(10)));
        }

        var maintenance = await harness.InvokeScheduleAsync();
        Assert.False(maintenance.Failed, $"maintenance: {maintenance.FunctionError} {maintenance.Payload}{HarnessDiagnostics.Describe(harness, 60)}");
        await QuietAsync(harness);
    }

    private static async Task<JsonNode> PostAsync(SignedInDevice device, string path, object body)
    {
        using var response = await device.Api.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>A resumable upload: begin, a presigned S3 PUT per block, finish.</summary>
    private static async Task ResumableUploadAsync(SignedInDevice device, string path, byte[] content, int blockSize)
    {
        var blocks = content.Chunk(blockSize).ToList();
        var state = await PostAsync(device, "/files/upload?uploadType=resumable", new
        {
            path,
            size = content.Length,
            blocks = blocks.Select(b => new { hash = Hash(b), size = b.Length }),
            mode = "add",
        });
        using var s3 = new HttpClient();
        foreach (var missing in state["missing"]!.AsArray())
        {
            await SignedBlockUploads.PutAsync(s3, missing!, blocks.First(b => Hash(b) == missing!["hash"]!.GetValue<string>()));
        }

        await PostAsync(device, "/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() });
    }

    /// <summary>Asks for a file's blocks and fetches each from its presigned URL, checking its hash.</summary>
    private static async Task DownloadByBlocksAsync(HttpClient api, string path, object body)
    {
        using var response = await api.PostAsJsonAsync(path, body);
        var list = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.IsSuccessStatusCode, $"{path}: {list.ToJsonString()}");
        using var s3 = new HttpClient();
        foreach (var block in list["blocks"]!.AsArray())
        {
            var bytes = await s3.GetByteArrayAsync(block!["url"]!.GetValue<string>());
            Assert.Equal(block["hash"]!.GetValue<string>(), Hash(bytes));
        }
    }

    private static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Waits until no AWS call was recorded for half a second (the event source's deletes and the
    /// disconnect's clean-up come after the answers the scenario waited for).</summary>
    private static async Task QuietAsync(AwsHarness harness)
    {
        var count = -1;
        for (var i = 0; i < 40 && harness.Calls.Snapshot().Count != count; i++)
        {
            count = harness.Calls.Snapshot().Count;
            await Task.Delay(500);
        }
    }
}
