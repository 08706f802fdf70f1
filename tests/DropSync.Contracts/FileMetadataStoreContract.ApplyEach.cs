using DropSync.Core.Model;
using DropSync.Core.Ports;
using Xunit;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Contracts;

/// <summary><see cref="IFileMetadataStore.ApplyEachAsync"/>: independent batches applied in order, each all-or-nothing on its own.</summary>
public abstract partial class FileMetadataStoreContract
{
    [Fact]
    public async Task Apply_each_applies_batches_in_order_and_a_failed_one_leaves_no_trace()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var first = File(ns, "/a.txt");
        var duplicate = File(ns, "/a.txt");
        var lost = File(ns, "/lost.txt");
        var edit = File(ns, "/a.txt");

        var results = await store.ApplyEachAsync(
            [
                CreateFile(first),
                // Sees the first batch's entry, so its expectation fails: its earlier writes must vanish with it.
                [Append(lost), Put(lost), Put(duplicate)],
                [Put(edit, new EntryExpectation.HasRev(first.Rev)), Append(edit, ChangeKind.Edited)],
            ],
            None);

        Assert.Equal([true, false, true], results.Select(r => r.Applied));
        Assert.Equal(2, results[1].FailedWriteIndex);
        Assert.Equal([1L], results[0].Changes.Select(c => c.Sequence));
        Assert.Equal([2L], results[2].Changes.Select(c => c.Sequence));
        Assert.Equal(edit.Rev, (await store.GetEntryAsync(ns, "/a.txt", None))!.Rev);
        Assert.Null(await store.GetEntryAsync(ns, "/lost.txt", None));
        Assert.Equal(["/a.txt", "/a.txt"], (await store.ReadAllChangesAsync(ns)).Select(c => c.PathDisplay));
    }

    [Fact]
    public async Task Apply_each_racing_single_batches_on_the_same_paths_lets_exactly_one_win_per_path()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var paths = Enumerable.Range(0, 10).Select(i => $"/p{i}.txt").ToList();

        var each = Task.Run(() => store.ApplyEachAsync(paths.Select(p => (IReadOnlyList<MetadataWrite>)CreateFile(File(ns, p))).ToList(), None));
        var singles = paths.Select(p => Task.Run(() => store.ApplyAsync(CreateFile(File(ns, p)), None))).ToList();
        var eachResults = await each;
        var singleResults = await Task.WhenAll(singles);

        for (var i = 0; i < paths.Count; i++)
        {
            Assert.True(eachResults[i].Applied ^ singleResults[i].Applied, $"{paths[i]}: exactly one of the two must win");
        }

        var journal = await store.ReadAllChangesAsync(ns);
        Assert.Equal(10, journal.Count);
        AssertConsecutivePerJournal(journal);
    }
}
