using System.Net;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Core.Blocks;
using DropSync.Core.Content;
using Microsoft.Extensions.DependencyInjection;

namespace DropSync.Api.Tests;

/// <summary>
/// The retention policy end to end with short settings (10 s of history, 5 s of grace, 3 revisions): replaced revisions
/// and deleted files disappear from list_revisions, list_deleted and restore exactly when the policy says, the collector
/// forgets them, and their block files leave the disk after the grace period while blocks a kept file shares stay.
/// </summary>
public sealed class RetentionTests : IDisposable
{
    private static readonly TimeSpan Retention = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    private readonly DropSyncApiFactory _factory = DropSyncApiFactory.WithSettings(
        ("DropSync:VersionRetention", "00:00:10"), ("DropSync:BlockGracePeriod", "00:00:05"), ("DropSync:MaxRevisionsPerFile", "3"),
        ("DropSync:TokenIdleTimeout", "3650.00:00:00")); // the clock moves a year here; the test's devices must not expire

    [Fact]
    public async Task History_goes_exactly_at_the_policy_and_its_unshared_blocks_leave_the_disk_after_the_grace()
    {
        var alice = await _factory.SignUpAsync();
        var (unique, current, shared, lonely) = (Bytes(1), Bytes(2), Bytes(3), Bytes(4));
        var first = await alice.UploadOkAsync("/doc.txt", unique);
        await alice.UploadOkAsync("/twin.txt", shared);
        await alice.UploadOkAsync("/gone.txt", shared);
        await alice.UploadOkAsync("/lonely.txt", lonely);
        var changedAt = _factory.Clock.GetUtcNow();
        await alice.UploadOkAsync("/doc.txt", current, mode: "overwrite");
        await alice.OkAsync("/files/delete", new { path = "/gone.txt" });
        await alice.OkAsync("/files/delete", new { path = "/lonely.txt" });
        var oldRev = first["rev"]!.GetValue<string>();

        // Just before the policy's end everything is there, and the collector leaves it.
        _factory.Clock.SetUtcNow(changedAt + Retention - TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, await CountAsync(alice, "/files/list_revisions", new { path = "/doc.txt" }));
        Assert.Equal(2, await CountAsync(alice, "/files/list_deleted", new { path = "" }));
        var early = await Collector.RunOnceAsync(CancellationToken.None);
        Assert.Equal((0, 0), (early.ForgottenRevisions, early.ForgottenEntries));
        Assert.Equal(unique, await alice.DownloadAsync("/doc.txt", oldRev));

        // At the policy's end they are gone from every answer, even before the collector runs.
        _factory.Clock.SetUtcNow(changedAt + Retention);
        Assert.Equal(1, await CountAsync(alice, "/files/list_revisions", new { path = "/doc.txt" }));
        Assert.Equal(0, await CountAsync(alice, "/files/list_deleted", new { path = "" }));
        var restore = await alice.PostAsync("/files/restore", new { path = "/doc.txt", rev = oldRev });
        Assert.Equal((HttpStatusCode.NotFound, "rev_not_found"), (restore.Status, restore.Body["error"]!.GetValue<string>()));

        var late = await Collector.RunOnceAsync(CancellationToken.None);
        Assert.Equal((3, 2), (late.ForgottenRevisions, late.ForgottenEntries));
        var gone = await alice.PostAsync("/files/list_revisions", new { path = "/gone.txt" });
        Assert.Equal(HttpStatusCode.NotFound, gone.Status);
        restore = await alice.PostAsync("/files/restore", new { path = "/doc.txt", rev = oldRev });
        Assert.Equal((HttpStatusCode.NotFound, "rev_not_found"), (restore.Status, restore.Body["error"]!.GetValue<string>()));

        // The unshared blocks get the grace period from the moment nothing references them, then leave the disk.
        Assert.True(await StoredAsync(unique));
        _factory.Clock.Advance(Grace);
        Assert.Equal(0, (await Collector.RunOnceAsync(CancellationToken.None)).CollectedBlocks);
        Assert.True(await StoredAsync(unique));
        _factory.Clock.Advance(TimeSpan.FromMilliseconds(1));
        var collected = await Collector.RunOnceAsync(CancellationToken.None);

        Assert.Equal(2, collected.CollectedBlocks);
        Assert.False(await StoredAsync(unique));
        Assert.False(await StoredAsync(lonely));
        Assert.True(await StoredAsync(shared));
        Assert.True(await StoredAsync(current));
        Assert.Equal(current, await alice.DownloadAsync("/doc.txt"));
        Assert.Equal(shared, await alice.DownloadAsync("/twin.txt"));
    }

    [Fact]
    public async Task Only_the_newest_revisions_are_kept_and_the_current_one_never_goes()
    {
        var alice = await _factory.SignUpAsync();
        for (var i = 0; i < 5; i++)
        {
            await alice.UploadOkAsync("/busy.txt", Bytes(10 + i), mode: "overwrite");
        }

        Assert.Equal(3, await CountAsync(alice, "/files/list_revisions", new { path = "/busy.txt", limit = 10 }));
        var report = await Collector.RunOnceAsync(CancellationToken.None);
        Assert.Equal(2, report.ForgottenRevisions);

        _factory.Clock.Advance(TimeSpan.FromDays(365));
        await Collector.RunOnceAsync(CancellationToken.None);
        Assert.Equal(1, await CountAsync(alice, "/files/list_revisions", new { path = "/busy.txt", limit = 10 }));
        Assert.Equal(Bytes(14), await alice.DownloadAsync("/busy.txt"));
    }

    [Fact]
    public async Task The_policy_is_served_in_config_and_space_usage_counts_current_files_and_history()
    {
        var alice = await _factory.SignUpAsync();
        await alice.UploadOkAsync("/a.bin", new byte[1000]);
        await alice.UploadOkAsync("/a.bin", new byte[600], mode: "overwrite");
        await alice.UploadOkAsync("/b.bin", new byte[300]);
        await alice.OkAsync("/files/delete", new { path = "/b.bin" });

        using var anonymous = _factory.CreateClient();
        var config = await ApiClient.ReadJsonAsync(await anonymous.GetAsync(new Uri("/config", UriKind.Relative)));
        Assert.Equal(10, config["version_retention_seconds"]!.GetValue<long>());
        Assert.Equal(3, config["max_revisions_per_file"]!.GetValue<int>());
        Assert.Equal("10 seconds, up to 3 revisions a file", config["history"]!.GetValue<string>());

        var usage = await alice.OkAsync("/users/get_space_usage", null);
        Assert.Equal(600, usage["used"]!.GetValue<long>());
        Assert.Equal(2L << 40, usage["allocated"]!.GetValue<long>());
        Assert.Equal(1300, usage["history"]!.GetValue<long>());

        _factory.Clock.Advance(Retention);
        await Collector.RunOnceAsync(CancellationToken.None);
        usage = await alice.OkAsync("/users/get_space_usage", null);
        Assert.Equal((600, 0), (usage["used"]!.GetValue<long>(), usage["history"]!.GetValue<long>()));
    }

    private BlockCollector Collector => _factory.Services.GetRequiredService<BlockCollector>();

    // Small blocks live in the database, larger ones as files: the store answers for both.
    private Task<bool> StoredAsync(byte[] content) =>
        _factory.Services.GetRequiredService<Core.Ports.IBlockStore>().ExistsAsync(BlockHash.Of(content), CancellationToken.None);

    private static byte[] Bytes(int seed) => Dropbox.RandomBytes(2000 + seed, seed);

    private static async Task<int> CountAsync(ApiClient client, string url, object body) =>
        (await client.OkAsync(url, body))["entries"]!.AsArray().Count;

    public void Dispose() => _factory.Dispose();
}
