using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace DropSync.AwsHarness.Tests.EndToEnd;

/// <summary>
/// Two computers running <c>dropsync</c> keep a folder in sync through a deployed DropSync in AWS mode, as its users
/// would: login on each, sync, change things on one, sync both. Runs on the harness, or on a real account when
/// DROPSYNC_SMOKE_API_URL is set (then the harness-only checks of the recorded AWS calls are left out).
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "AwsHarness")]
[Trait("Category", "AwsSmoke")]
public sealed class TwoDeviceCliSyncTests(EndToEndFixture fixture, ITestOutputHelper output)
{
    private const int BigFileBytes = 9 * 1024 * 1024;

    [Fact]
    public async Task Two_devices_sync_a_folder_through_the_cli_big_files_by_presigned_urls_then_changes_by_cursor()
    {
        var target = await fixture.TargetAsync();
        output.WriteLine($"Target: {target.Description}");
        var email = await EndToEndFixture.RegisterAsync(target.HttpApiUrl);
        using var a = new CliDevice("laptop-a", target.Harness);
        using var b = new CliDevice("desktop-b", target.Harness);
        await a.LoginAsync(target.HttpApiUrl, email);
        await b.LoginAsync(target.HttpApiUrl, email);

        var big = RandomNumberGenerator.GetBytes(BigFileBytes);
        a.Write("Hello, 世界 ≠.txt", "Grüße aus Köln — ½ ≠ ⅓\n"u8.ToArray());
        a.Write("empty.txt", []);
        a.Write("notes/readme.md", "# Notes\nfirst version\n"u8.ToArray());
        a.Write("notes/2024/Überblick ✓/plan.txt", "nested three deep"u8.ToArray());
        a.Write("video/big.bin", big);
        Directory.CreateDirectory(a.PathOf("empty folder"));
        var smallBytes = a.Tree().Keys.Where(k => k != "video/big.bin").Sum(k => new FileInfo(a.PathOf(k)).Length);

        var callsBefore = target.Harness?.Calls.Snapshot().Count ?? 0;
        var firstUp = await a.SyncAsync();
        Assert.Equal(5, firstUp.FilesUploaded);
        Assert.Equal(BigFileBytes + smallBytes, firstUp.BytesUploaded);

        var callsBeforeDown = target.Harness?.Calls.Snapshot().Count ?? 0;
        var firstDown = await b.SyncAsync();
        Assert.Equal(5, firstDown.FilesDownloaded);
        Assert.Equal(BigFileBytes + smallBytes, firstDown.BytesDownloaded);
        Assert.Equal(a.Tree(), b.Tree());
        Assert.Equal(a.Folders(), b.Folders());
        Assert.Equal(big, await File.ReadAllBytesAsync(b.PathOf("video/big.bin")));

        if (target.Harness is { } harness)
        {
            await AssertBigFileTravelledByPresignedUrlsAsync(harness, email, callsBefore, callsBeforeDown);
        }

        // On B: an edit, a rename and a delete; B sends them, A fetches them — and nothing else.
        var edited = "# Notes\nsecond version, edited on B\n"u8.ToArray();
        b.Write("notes/readme.md", edited);
        File.Move(b.PathOf("Hello, 世界 ≠.txt"), b.PathOf("notes/Hallo, 世界 ≠ renamed.txt"));
        File.Delete(b.PathOf("empty.txt"));
        var changesUp = await b.SyncAsync();
        output.WriteLine($"B's second sync: {changesUp}");
        Assert.Equal(edited.Length, changesUp.BytesUploaded);
        Assert.Equal(0, changesUp.BytesDownloaded);
        Assert.Equal(1, changesUp.Moved);
        Assert.Equal(1, changesUp.DeletedRemote);

        var changesDown = await a.SyncAsync();
        output.WriteLine($"A's second sync: {changesDown}");
        Assert.Equal(b.Tree(), a.Tree());
        Assert.Equal(b.Folders(), a.Folders());
        Assert.Equal(1, changesDown.FilesDownloaded);
        Assert.Equal(edited.Length, changesDown.BytesDownloaded);
        Assert.Equal(1, changesDown.Moved);
        Assert.Equal(1, changesDown.DeletedLocal);
        Assert.Equal(0, changesDown.BytesUploaded);

        // Caught up: one more sync on each moves nothing.
        foreach (var device in new[] { a, b })
        {
            var idle = await device.SyncAsync();
            Assert.Equal(0, idle.FilesUploaded + idle.FilesDownloaded + idle.Moved + idle.DeletedLocal + idle.DeletedRemote);
        }
    }

    /// <summary>
    /// As the harness recorded it: A's blocks of the big file went to presigned S3 PUTs on incoming/… (signed by the
    /// http function, so recorded as its s3:PutObject), and B fetched each of them by a presigned GET on blocks/….
    /// </summary>
    private static async Task AssertBigFileTravelledByPresignedUrlsAsync(AwsHarness harness, string email, int upFrom, int downFrom)
    {
        using var device = await EndToEndFixture.LoginAsync(harness.HttpApiUrl, email, "inspector");
        using var blocks = await device.Api.PostAsJsonAsync("/files/get_blocks", new { path = "/video/big.bin" });
        var list = JsonNode.Parse(await blocks.Content.ReadAsStringAsync())!;
        Assert.True(blocks.IsSuccessStatusCode, list.ToJsonString());
        var hashes = list["blocks"]!.AsArray().Select(b => b!["hash"]!.GetValue<string>()).Distinct().ToList();
        Assert.True(hashes.Count >= 3, $"a 9 MiB file is at least three blocks of at most 4 MiB: {list}");

        var bucket = harness.Template.Buckets.Single().Arn;
        var calls = harness.Calls.Snapshot();
        var up = calls.Take(downFrom).Skip(upFrom).Where(c => c.Function == "http").ToList();
        var down = calls.Skip(downFrom).Where(c => c.Function == "http").ToList();
        foreach (var hash in hashes)
        {
            // A new block goes straight to its key in one presigned PUT (one stored before would be staged under incoming/).
            Assert.Contains(up, c => c.Action == "s3:PutObject" && (c.Resource == bucket + "/blocks/" + hash || (c.Resource.StartsWith(bucket + "/incoming/", StringComparison.Ordinal) && c.Resource.EndsWith(hash, StringComparison.Ordinal))));
            Assert.Contains(down, c => c.Action == "s3:GetObject" && c.Resource == bucket + "/blocks/" + hash);
        }
    }
}
