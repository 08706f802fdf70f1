using DropSync.Client.Sync;

namespace DropSync.Client.Tests;

/// <summary>Where downloads are written before they are placed, and which leftovers a scan clears.</summary>
public sealed class PartFilesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dropsync-parts-").FullName;

    [Fact]
    public void A_small_download_is_written_next_to_its_file_hidden_and_ignored()
    {
        var target = Path.Combine(_root, "Photos", "IMG_0001.JPG");
        var part = PartFiles.InFolder(target, SyncEngine.KeyOf("/Photos/IMG_0001.JPG"));

        Assert.Equal(Path.GetDirectoryName(target), Path.GetDirectoryName(part));
        Assert.StartsWith(".", Path.GetFileName(part), StringComparison.Ordinal);
        Assert.True(PartFiles.IsInFolderName(Path.GetFileName(part)));
        Assert.True(IgnoreRules.FromPatterns([]).IsIgnored("Photos/" + Path.GetFileName(part), isDirectory: false));
        // The same path by any case is one key, so one part file; another path has its own.
        Assert.Equal(part, PartFiles.InFolder(target, SyncEngine.KeyOf("/photos/img_0001.jpg")));
        Assert.NotEqual(part, PartFiles.InFolder(target, SyncEngine.KeyOf("/Photos/IMG_0002.JPG")));
    }

    [Theory]
    [InlineData(".0123456789abcdef01234567.dropsync-part", true)]
    [InlineData(".0123456789ABCDEF01234567.dropsync-part", false)] // Upper case: not a name this client writes.
    [InlineData("0123456789abcdef012345678.dropsync-part", false)] // Not hidden.
    [InlineData(".0123456789abcdef0123456.dropsync-part", false)] // 23 digits.
    [InlineData(".0123456789abcdef012345g7.dropsync-part", false)]
    [InlineData(".0123456789abcdef01234567.dropsync-parts", false)]
    [InlineData("notes.dropsync-part", false)]
    [InlineData("0123456789abcdef01234567-01a25254e430739d97af905a2f3de139.dropsync-part", false)] // The state folder's kind.
    public void Only_the_names_this_client_writes_next_to_files_are_taken_for_its_part_files(string name, bool expected) =>
        Assert.Equal(expected, PartFiles.IsInFolderName(name));

    [Fact]
    public void A_scan_clears_a_part_file_left_a_day_ago_and_leaves_a_young_one_and_lookalikes()
    {
        Directory.CreateDirectory(Path.Combine(_root, "a"));
        var old = PartFiles.InFolder(Path.Combine(_root, "a", "old.txt"), SyncEngine.KeyOf("/a/old.txt"));
        var young = PartFiles.InFolder(Path.Combine(_root, "a", "young.txt"), SyncEngine.KeyOf("/a/young.txt"));
        var lookalike = Path.Combine(_root, "a", "mine.dropsync-part");
        var kept = Path.Combine(_root, "a", "kept.txt");
        foreach (var path in new[] { old, young, lookalike, kept })
        {
            File.WriteAllText(path, "x");
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow - PartFiles.LeftoverAge - TimeSpan.FromMinutes(1));
        }

        File.SetLastWriteTimeUtc(young, DateTime.UtcNow - PartFiles.LeftoverAge + TimeSpan.FromMinutes(5));

        var scanned = LocalScan.Scan(_root, IgnoreRules.Load(_root));

        Assert.False(File.Exists(old));
        Assert.True(File.Exists(young));
        Assert.True(File.Exists(lookalike));
        Assert.True(File.Exists(kept));
        // Part files are never content: none is in what the scan found, old or young.
        Assert.Equal(["/a", "/a/kept.txt"], scanned.Keys.Order(StringComparer.Ordinal));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
