using DropSync.Client.Tests.Infrastructure;
using DropSync.Client.Transfer;

namespace DropSync.Client.Tests;

/// <summary>A resumed download skips the part file's holes: the hole check answers "never written" only for holes.</summary>
public sealed class SparseFileTests
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public void A_part_file_set_to_its_length_is_holes_except_where_it_was_written()
    {
        var folder = Directory.CreateTempSubdirectory("dropsync-sparse-").FullName;
        try
        {
            var path = Path.Combine(folder, "part");
            using var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
            RandomAccess.SetLength(handle, 64 * MiB);
            RandomAccess.Write(handle, TestData.RandomBytes(4 * MiB, 5), 16 * MiB);
            // A written run of zeros is data, not a hole: only never-written ranges are skipped.
            RandomAccess.Write(handle, new byte[MiB], 32 * MiB);

            if (!OperatingSystem.IsLinux())
            {
                // Elsewhere holes are not asked about: every range is read and checked.
                Assert.True(SparseFile.MayHoldData(handle, 0, MiB));
                return;
            }

            Assert.False(SparseFile.MayHoldData(handle, 0, MiB));
            Assert.True(SparseFile.MayHoldData(handle, 16 * MiB, 4 * MiB));
            Assert.True(SparseFile.MayHoldData(handle, 17 * MiB, MiB));
            Assert.True(SparseFile.MayHoldData(handle, 32 * MiB, MiB));
            // Ranges that start in a hole or run into one were not wholly written.
            Assert.False(SparseFile.MayHoldData(handle, 15 * MiB, 2 * MiB));
            Assert.False(SparseFile.MayHoldData(handle, 19 * MiB, 2 * MiB));
            // Past the last data: only holes to the end of the file.
            Assert.False(SparseFile.MayHoldData(handle, 40 * MiB, 4 * MiB));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void A_file_written_throughout_holds_data_everywhere()
    {
        var folder = Directory.CreateTempSubdirectory("dropsync-sparse-").FullName;
        try
        {
            var path = Path.Combine(folder, "whole");
            File.WriteAllBytes(path, TestData.RandomBytes(8 * MiB, 6));
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            Assert.True(SparseFile.MayHoldData(handle, 0, 8 * MiB));
            Assert.True(SparseFile.MayHoldData(handle, 3 * MiB, MiB));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }
}
