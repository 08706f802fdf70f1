using DropSync.Client.Transfer;

namespace DropSync.Client.Tests;

/// <summary>The index commits downloads only once they are durable: a failed flush leaves them for the next commit.</summary>
public sealed class PlacedFilesTests
{
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
