using DropSync.Client.Sync;
using DropSync.Core.Content;

namespace DropSync.Client.Tests;

/// <summary>The walk's shortcuts give what the slow way gives: keys, ignore decisions, and the index's stored blocks.</summary>
public sealed class LocalScanTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dropsync-scan-").FullName;

    [Theory]
    [InlineData("", "Report.PDF")]
    [InlineData("/photos", "IMG_0001.JPG")]
    [InlineData("/a/b", "caf\u0065\u0301.txt")] // Decomposed: normalised to NFC by the slow way.
    [InlineData("/a", "ÄÖÜ straße")]
    [InlineData("/a", "tab\there")]
    [InlineData("/a", "back\\slash")]
    [InlineData("/a", ".")]
    public void A_child_key_is_the_key_of_its_whole_path(string parentKey, string name)
    {
        var rel = (parentKey.Length == 0 ? "" : parentKey[1..] + "/") + name;
        string? Slow()
        {
            try
            {
                return SyncEngine.KeyOf("/" + rel);
            }
            catch (Core.Errors.DropSyncException)
            {
                return null;
            }
        }

        string? Fast()
        {
            try
            {
                return LocalScan.ChildKey(parentKey, name, rel);
            }
            catch (Core.Errors.DropSyncException)
            {
                return null;
            }
        }

        Assert.Equal(Slow(), Fast());
    }

    [Fact]
    public void A_name_too_long_for_a_path_is_refused_as_the_slow_way_refuses_it()
    {
        var parent = "/" + new string('d', 1000);
        var name = new string('n', 30);
        Assert.Throws<Core.Errors.DropSyncException>(() => LocalScan.ChildKey(parent, name, parent[1..] + "/" + name));
    }

    [Fact]
    public void The_walk_finds_what_it_found_before_with_ignored_folders_and_links_left_out()
    {
        Directory.CreateDirectory(Path.Combine(_root, "Docs", "Sub"));
        Directory.CreateDirectory(Path.Combine(_root, "build", "deep"));
        File.WriteAllText(Path.Combine(_root, "Docs", "Sub", "Note.TXT"), "hello");
        File.WriteAllText(Path.Combine(_root, "Docs", "draft.tmp"), "scratch");
        File.WriteAllText(Path.Combine(_root, "build", "deep", "out.bin"), "x");
        File.WriteAllText(Path.Combine(_root, IgnoreRules.FileName), "build/\n");
        File.CreateSymbolicLink(Path.Combine(_root, "link.txt"), Path.Combine(_root, "Docs", "Sub", "Note.TXT"));
        var ignore = IgnoreRules.Load(_root);

        var scan = LocalScan.Scan(_root, ignore);

        Assert.Equal(["/.dropsyncignore", "/docs", "/docs/sub", "/docs/sub/note.txt"], scan.Keys.Order(StringComparer.Ordinal));
        var note = scan["/docs/sub/note.txt"];
        var info = new FileInfo(Path.Combine(_root, "Docs", "Sub", "Note.TXT"));
        Assert.Equal(("Docs/Sub/Note.TXT", false, 5L, info.LastWriteTimeUtc.Ticks), (note.Rel, note.IsDir, note.Size, note.Mtime));
        Assert.True(ignore.IsIgnored("build/deep/out.bin", false));
        Assert.False(ignore.IsIgnoredBelowKeptFolders("Docs/Sub/Note.TXT", false));
    }

    [Fact]
    public void Blocks_read_from_the_index_are_decoded_when_used_and_written_back_unchanged()
    {
        var blocks = new[] { new BlockRef(BlockHash.Of("one"u8), 3), new BlockRef(BlockHash.Of("two!"u8), 4) };
        using (var index = LocalIndex.Open(_root))
        {
            index.Put(new IndexEntry("/f", "/f", false, 7, 1, "r1", "h", blocks));
        }

        using (var index = LocalIndex.Open(_root))
        {
            var read = index.LoadAll()["/f"];
            Assert.Equal(blocks, read.Blocks);
            index.Put(read with { Rev = "r2" });
        }

        using (var index = LocalIndex.Open(_root))
        {
            var read = index.LoadAll()["/f"];
            Assert.Equal("r2", read.Rev);
            Assert.Equal(blocks, read.Blocks);
            Assert.Equal(1, index.FileCount());
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
