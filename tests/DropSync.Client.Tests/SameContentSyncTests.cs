using DropSync.Client.Api;
using DropSync.Client.Tests.Infrastructure;
using DropSync.Core.Content;

namespace DropSync.Client.Tests;

/// <summary>
/// The same bytes under another hash kind or block cut (another client's size class, a Dropbox-kind revision) are the
/// same file: a device that finds them here and on the server sends nothing and makes no conflicted copy.
/// </summary>
[Collection("server")]
public sealed class SameContentSyncTests(ServerFixture fixture)
{
    private const int OtherCut = 1024 * 1024;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_same_bytes_new_on_both_sides_in_another_cut_are_not_a_conflict(bool blockListHash)
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            var data = TestData.RandomBytes(12 * 1024 * 1024, 81);
            // Another client put these bytes on the server cut into fixed 1 MiB blocks (this client's cut is content-defined).
            var uploaded = await UploadInFixedBlocksAsync(a.Api, "/same.bin", data, blockListHash);
            Assert.Equal(blockListHash, ContentHash.IsBlockList(uploaded.ContentHash));
            b.Write("same.bin", data);

            var report = await b.SyncAsync();

            Assert.Empty(report.Conflicts);
            Assert.Equal(["same.bin"], b.Files());
            Assert.Equal(0, report.FilesUploaded);
            Assert.Equal(0, b.Counter.Sent);
            var listing = await a.Api.ListFolderAsync("", false, default);
            Assert.Equal(["/same.bin"], listing.Select(e => e.Path));

            // The index took the server's rev: b's next edit is an update of it, not a conflict.
            var edited = data.ToArray();
            edited[5] ^= 1;
            b.Write("same.bin", edited);
            var up = await b.SyncAsync();
            Assert.Empty(up.Conflicts);
            Assert.Equal(1, up.FilesUploaded);
            Assert.Equal(edited, await DownloadAsync(a.Api, "/same.bin"));
        }
    }

    [Fact]
    public async Task Other_bytes_of_the_same_size_new_on_both_sides_still_make_a_conflicted_copy()
    {
        var (a, b) = await fixture.TwoDevicesAsync();
        using (a)
        using (b)
        {
            var data = TestData.RandomBytes(12 * 1024 * 1024, 82);
            await UploadInFixedBlocksAsync(a.Api, "/other.bin", data, blockListHash: true);
            var mine = data.ToArray();
            mine[^1] ^= 1;
            b.Write("other.bin", mine);

            var report = await b.SyncAsync();

            Assert.Single(report.Conflicts);
            Assert.Equal(data, await DownloadAsync(a.Api, "/other.bin"));
        }
    }

    private static async Task<byte[]> DownloadAsync(DropSyncApi api, string path)
    {
        using var bytes = new MemoryStream();
        await api.DownloadAsync(path, null, 0, bytes, default);
        return bytes.ToArray();
    }

    private static async Task<RemoteEntry> UploadInFixedBlocksAsync(DropSyncApi api, string path, byte[] data, bool blockListHash)
    {
        var blocks = data.Chunk(OtherCut).ToList();
        var specs = blocks.Select(x => new BlockSpec(BlockHash.Of(x).Hex, x.Length)).ToList();
        var session = await api.BeginUploadAsync(path, data.Length, specs, "add", null, default, blockListHash: blockListHash);
        foreach (var missing in session.Missing)
        {
            await api.PutBlockAsync(missing, blocks[specs.FindIndex(s => s.Hash == missing.Hash)], default);
        }

        return await api.FinishUploadAsync(session.UploadId, default);
    }
}
