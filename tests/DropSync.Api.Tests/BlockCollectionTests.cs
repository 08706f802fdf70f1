using System.Net;
using DropSync.Api.Tests.Infrastructure;
using DropSync.Core.Blocks;
using DropSync.Core.Content;
using DropSync.Core.Ports;
using Microsoft.Extensions.DependencyInjection;

namespace DropSync.Api.Tests;

/// <summary>Blocks of abandoned uploads are collected after the grace period; blocks any revision references never are.</summary>
public sealed class BlockCollectionTests : IDisposable
{
    private readonly DropSyncApiFactory _factory = new();

    [Fact]
    public async Task Abandoned_upload_blocks_are_collected_and_referenced_ones_are_kept()
    {
        var alice = await _factory.SignUpAsync();
        var kept = Dropbox.RandomBytes(5000, seed: 1);
        await alice.UploadOkAsync("/kept.bin", kept);
        var deleted = Dropbox.RandomBytes(3000, seed: 3);
        await alice.UploadOkAsync("/deleted.bin", deleted);
        await alice.OkAsync("/files/delete", new { path = "/deleted.bin" });
        var abandoned = ResumableUpload.Split(Dropbox.RandomBytes(4000, seed: 2), 4000);
        var state = await ResumableUpload.BeginAsync(alice, ResumableUpload.Declare("/abandoned.bin", abandoned));
        using var anonymous = _factory.CreateClient();
        await ResumableUpload.SendMissingAsync(anonymous, state, abandoned);
        var store = _factory.Services.GetRequiredService<IBlockStore>();
        var collector = _factory.Services.GetRequiredService<BlockCollector>();
        var abandonedHash = BlockHash.Parse(abandoned[0].Hash);

        // Within the session's life the block is pinned.
        _factory.Clock.Advance(TimeSpan.FromHours(30));
        var early = await collector.RunOnceAsync(CancellationToken.None);
        Assert.Equal(0, early.CollectedBlocks);
        Assert.True(await store.ExistsAsync(abandonedHash, CancellationToken.None));

        // Past the session's life and the grace period it goes; everything a revision references stays.
        _factory.Clock.Advance(TimeSpan.FromDays(30));
        var late = await collector.RunOnceAsync(CancellationToken.None);

        Assert.Equal(1, late.CollectedBlocks);
        Assert.False(await store.ExistsAsync(abandonedHash, CancellationToken.None));
        Assert.True(await store.ExistsAsync(BlockHash.Of(kept), CancellationToken.None));
        Assert.Equal(kept, await alice.DownloadAsync("/kept.bin"));
        var rev = (await alice.OkAsync("/files/list_revisions", new { path = "/deleted.bin", limit = 1 }))["entries"]![0]!["rev"]!.GetValue<string>();
        await alice.OkAsync("/files/restore", new { path = "/deleted.bin", rev });
        Assert.Equal(deleted, await alice.DownloadAsync("/deleted.bin"));

        var expired = await alice.PostAsync("/files/upload/finish", new { upload_id = state["upload_id"]!.GetValue<string>() });
        Assert.True(expired.Status is HttpStatusCode.NotFound or HttpStatusCode.Gone, expired.Status.ToString());
    }

    public void Dispose() => _factory.Dispose();
}
