using DropSync.Client.Sync;

namespace DropSync.Client.Tests;

/// <summary>
/// The index's known blocks against its queued writes within one pass: an entry's removal is queued until the pass
/// flushes, so a known-blocks write for the same key in the same pass must land after it, and a file moved twice in one
/// pass keeps its row under its last name.
/// </summary>
public sealed class KnownBlocksIndexTests
{
    [Fact]
    public void Known_blocks_put_after_the_entry_was_removed_in_the_same_pass_survive_the_flush()
    {
        WithIndex((root, index) =>
        {
            index.Put(Entry("big.bin"));
            index.PutKnownBlocks("big.bin", [1, 1, 1]);
            index.Flush();

            // One pass: the entry goes (queued), then a fresh scan of a file under the same name stores its blocks.
            index.Remove("big.bin");
            index.Put(Entry("big.bin"));
            index.PutKnownBlocks("big.bin", [2, 2, 2]);
            Assert.Equal([2, 2, 2], index.GetKnownBlocks("big.bin"));
            index.Flush();

            Assert.Equal([2, 2, 2], index.GetKnownBlocks("big.bin"));
            using var reopened = LocalIndex.Open(root);
            Assert.Equal([2, 2, 2], reopened.GetKnownBlocks("big.bin"));
        });
    }

    [Fact]
    public void Known_blocks_removed_after_a_queued_put_stay_removed()
    {
        WithIndex((_, index) =>
        {
            index.Put(Entry("big.bin"));
            index.PutKnownBlocks("big.bin", [1, 1, 1]);
            index.RemoveKnownBlocks("big.bin");
            Assert.Null(index.GetKnownBlocks("big.bin"));
            index.Flush();
            Assert.Null(index.GetKnownBlocks("big.bin"));
        });
    }

    [Fact]
    public void A_file_moved_twice_in_one_pass_keeps_its_known_blocks_under_its_last_name()
    {
        WithIndex((root, index) =>
        {
            index.Put(Entry("a.bin"));
            index.PutKnownBlocks("a.bin", [7, 7, 7]);
            index.Flush();

            index.MoveEntry("a.bin", Entry("b.bin"));
            index.MoveEntry("b.bin", Entry("c.bin"));
            index.Flush();

            Assert.Equal([7, 7, 7], index.GetKnownBlocks("c.bin"));
            Assert.Null(index.GetKnownBlocks("a.bin"));
            Assert.Null(index.GetKnownBlocks("b.bin"));
            using var reopened = LocalIndex.Open(root);
            Assert.Equal([7, 7, 7], reopened.GetKnownBlocks("c.bin"));
        });
    }

    private static IndexEntry Entry(string key) => new(key, "/" + key, false, 3, 1, "r1", null, []);

    private static void WithIndex(Action<string, LocalIndex> test)
    {
        var root = Directory.CreateTempSubdirectory("dropsync-known-").FullName;
        try
        {
            using var index = LocalIndex.Open(root);
            test(root, index);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
