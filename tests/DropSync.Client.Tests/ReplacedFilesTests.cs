using DropSync.Client.Tests.Infrastructure;
using DropSync.Client.Transfer;

namespace DropSync.Client.Tests;

/// <summary>A large file a download replaces: a second name before the rename, deleted behind it (real files).</summary>
public sealed class ReplacedFilesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dropsync-replaced-").FullName;

    private string Temp => Directory.CreateDirectory(Path.Combine(_root, ".dropsync", "tmp")).FullName;

    [Fact]
    public async Task A_large_file_replaced_by_a_rename_keeps_its_bytes_under_its_second_name_until_freed()
    {
        var file = Path.Combine(_root, "video.bin");
        var old = TestData.RandomBytes((int)ReplacedFiles.MinSize + 1, 1);
        File.WriteAllBytes(file, old);
        var part = Path.Combine(_root, "video.bin.part");
        File.WriteAllBytes(part, [1, 2, 3]);

        var held = ReplacedFiles.Hold(file, old.Length, Temp);
        if (!OperatingSystem.IsLinux())
        {
            Assert.Null(held); // Elsewhere the rename frees the old file itself, as before.
            return;
        }

        Assert.NotNull(held);
        Assert.Equal(Temp, Path.GetDirectoryName(held));
        File.Move(part, file, overwrite: true);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(file));
        Assert.Equal(old, File.ReadAllBytes(held));

        var replaced = new ReplacedFiles();
        replaced.Free(held);
        await replaced.SettleAsync();
        Assert.False(File.Exists(held));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Temp));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(file));
    }

    [Fact]
    public void A_small_or_missing_file_gets_no_second_name()
    {
        var small = Path.Combine(_root, "notes.txt");
        File.WriteAllBytes(small, new byte[1000]);

        Assert.Null(ReplacedFiles.Hold(small, 1000, Temp));
        Assert.Null(ReplacedFiles.Hold(Path.Combine(_root, "gone.bin"), ReplacedFiles.MinSize, Temp));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Temp));
    }

    [Fact]
    public void Second_names_an_earlier_process_left_are_deleted_once_and_part_files_stay()
    {
        var leftover = Path.Combine(Temp, "0123456789abcdef0123456789abcdef.dropsync-old");
        var part = Path.Combine(Temp, "0123456789abcdef01234567-rev1.dropsync-part");
        File.WriteAllBytes(leftover, [1]);
        File.WriteAllBytes(part, [2]);
        var replaced = new ReplacedFiles();

        replaced.ClearLeftoversOnce(Temp);
        Assert.False(File.Exists(leftover));
        Assert.True(File.Exists(part));

        // Later ones are this engine's own, still to be freed by it: a second call leaves them.
        File.WriteAllBytes(leftover, [1]);
        replaced.ClearLeftoversOnce(Temp);
        Assert.True(File.Exists(leftover));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
