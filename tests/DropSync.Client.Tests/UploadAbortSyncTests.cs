using DropSync.Client.Tests.Infrastructure;

namespace DropSync.Client.Tests;

/// <summary>A server that lets each user have one upload open at a time, so that an upload left open blocks the next.</summary>
public sealed class OneOpenUploadServerFixture : ServerFixture
{
    protected override string[] ServerSettings => ["--DropSync:MaxUploadSessionsPerUser", "1"];
}

/// <summary>An upload the client gives up is aborted on the server, so it does not hold a place under the cap until it expires.</summary>
public sealed class UploadAbortSyncTests(OneOpenUploadServerFixture fixture) : IClassFixture<OneOpenUploadServerFixture>
{
    private const int Size = 16 * 1024 * 1024;

    [Fact]
    public async Task A_file_changed_while_its_blocks_go_up_has_its_upload_aborted_and_the_next_sync_uploads_it()
    {
        using var a = await fixture.DeviceAsync(await fixture.NewAccountAsync(), "laptop");
        a.Write("big.bin", TestData.RandomBytes(Size, 1));
        var changed = TestData.RandomBytes(Size, 2);
        var edits = 0;
        // After the first block is taken, the file changes under the upload: the next block read no longer matches its name.
        a.Counter.AfterBlockPut = () =>
        {
            if (Interlocked.Exchange(ref edits, 1) == 0)
            {
                using var file = new FileStream(a.PathOf("big.bin"), FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
                file.Write(changed);
            }
        };

        var first = await a.SyncAsync(blockParallelism: 1);

        Assert.Contains(first.Errors, e => e.Contains("changed while it was being uploaded", StringComparison.Ordinal));
        Assert.Equal(1, a.Counter.Requests("/files/upload/abort"));
        a.Counter.AfterBlockPut = null;

        // One open upload allowed: the next one can begin only because the first was aborted, not left to expire.
        var second = await a.SyncAsync();
        Assert.Empty(second.Errors);
        Assert.Equal(1, second.FilesUploaded);
        using var download = new MemoryStream();
        var entry = (await a.Api.ListFolderAsync("", true, default)).Single(e => e.Path == "/big.bin");
        await a.Api.DownloadAsync("/big.bin", entry.Rev, 0, download, default);
        Assert.Equal(changed, download.ToArray());
    }
}
