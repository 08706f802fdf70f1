using DropSync.Client.Transfer;

namespace DropSync.Client.Tests;

/// <summary>The index commits downloads only once they are durable: a failed flush leaves them for the next commit.</summary>
public sealed class PlacedFilesTests
{
    [Fact]
    public void A_large_download_makes_its_folder_durable_and_says_so_when_it_cannot()
    {
        var folder = Directory.CreateTempSubdirectory("dropsync-placed-").FullName;
        try
        {
            PlacedFiles.SyncFolderOf(Path.Combine(folder, "big.bin"));
            var missing = Path.Combine(folder, "gone", "big.bin");
            if (PlacedFiles.FlushesEachFile)
            {
                // Elsewhere the file was flushed before its rename: nothing is opened.
                PlacedFiles.SyncFolderOf(missing);
            }
            else
            {
                Assert.Throws<IOException>(() => PlacedFiles.SyncFolderOf(missing));
            }
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void A_failed_flush_throws_and_is_tried_again_at_the_next_commit()
    {
        if (PlacedFiles.FlushesEachFile)
        {
            // Elsewhere each file is flushed before its rename and the commit has nothing to do.
            return;
        }

        var missing = Path.Combine(Path.GetTempPath(), "dropsync-placed-" + Guid.NewGuid().ToString("N"));
        var placed = new PlacedFiles(missing);
        placed.MakeDurable(); // nothing placed: nothing to flush, so a missing folder is not touched

        placed.Placed();

        Assert.Throws<IOException>(placed.MakeDurable);
        Assert.Throws<IOException>(placed.MakeDurable);
        Directory.CreateDirectory(missing);
        try
        {
            placed.MakeDurable();
            Directory.Delete(missing);
            placed.MakeDurable(); // flushed once: the next commit has nothing to wait for
        }
        finally
        {
            if (Directory.Exists(missing))
            {
                Directory.Delete(missing);
            }
        }
    }
}
