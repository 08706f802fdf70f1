using DropSync.Core.Model;
using DropSync.Core.Ports;
using Xunit;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Contracts;

/// <summary>The change journal: consecutive sequences per namespace, also under concurrent batches, read after a cursor up to a limit.</summary>
public abstract partial class FileMetadataStoreContract
{
    [Fact]
    public async Task Journal_sequences_are_consecutive_per_namespace_and_independent_between_namespaces()
    {
        var store = await CreateStoreAsync();
        var nsA = NewNamespace();
        var nsB = NewNamespace();

        var a1 = await store.MustApplyAsync(Put(File(nsA, "/1")), Append(File(nsA, "/1")), Append(File(nsA, "/1b")));
        var b1 = await store.MustApplyAsync(Append(File(nsB, "/x")));
        var a2 = await store.MustApplyAsync(Append(File(nsA, "/2")), Append(File(nsB, "/y")), Append(File(nsA, "/3")));

        // One journal per namespace: A is numbered 1..4 and B 1..2 whatever the batches; a sharded store numbers each shard so.
        var allA = await store.ReadAllChangesAsync(nsA);
        var allB = await store.ReadAllChangesAsync(nsB);
        Assert.Equal(a1.Changes.Concat(a2.Changes.Where(c => c.NamespaceId == nsA)).OrderBy(c => c.JournalId, StringComparer.Ordinal).ThenBy(c => c.Sequence), allA.OrderBy(c => c.JournalId, StringComparer.Ordinal).ThenBy(c => c.Sequence));
        Assert.Equal(b1.Changes.Concat(a2.Changes.Where(c => c.NamespaceId == nsB)).OrderBy(c => c.JournalId, StringComparer.Ordinal).ThenBy(c => c.Sequence), allB.OrderBy(c => c.JournalId, StringComparer.Ordinal).ThenBy(c => c.Sequence));
        AssertConsecutivePerJournal(allA);
        AssertConsecutivePerJournal(allB);
        Assert.Equal(["/1", "/1b", "/2", "/3"], allA.Select(c => c.PathDisplay).Order(StringComparer.Ordinal));
        foreach (var journal in allA.GroupBy(c => c.JournalId))
        {
            // In each journal, in the order the batches wrote them.
            Assert.Equal(journal.Select(c => c.PathDisplay).OrderBy(p => Array.IndexOf(["/1", "/1b", "/2", "/3"], p)), journal.Select(c => c.PathDisplay));
        }

        Assert.Equal(4, await store.LatestOfAllJournalsAsync(nsA));
        Assert.Equal(2, await store.LatestOfAllJournalsAsync(nsB));
        Assert.Equal(0, await store.LatestOfAllJournalsAsync(NewNamespace()));
    }

    [Fact]
    public async Task Concurrent_batches_get_consecutive_sequence_numbers_without_gaps()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();

        var results = await Task.WhenAll(Enumerable.Range(0, 25).Select(i => Task.Run(() =>
        {
            var file = File(ns, $"/f{i}");
            return store.ApplyAsync([.. CreateFile(file, Block("c" + i)), Append(file, ChangeKind.Edited)], None);
        })));

        Assert.All(results, r => Assert.True(r.Applied));
        Assert.All(results, r => Assert.Equal(r.Changes[0].Sequence + 1, r.Changes[1].Sequence));
        var changes = results.SelectMany(r => r.Changes).ToList();
        Assert.Equal(50, changes.Count);
        AssertConsecutivePerJournal(changes);
        var journal = await store.ReadAllChangesAsync(ns);
        Assert.Equal(changes.OrderBy(c => c.JournalId, StringComparer.Ordinal).ThenBy(c => c.Sequence), journal.OrderBy(c => c.JournalId, StringComparer.Ordinal).ThenBy(c => c.Sequence));
    }

    [Fact]
    public async Task Journal_entries_round_trip_and_are_read_after_a_cursor_up_to_a_limit()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var moved = Change(File(ns, "/To/b.txt", at: At(7)), ChangeKind.Moved, fromPath: "/From/b.txt");
        var folder = Change(Folder(ns, "/Dir", at: At(8)), ChangeKind.FolderCreated) with { Rev = null };
        var deleted = Change(File(ns, "/gone.txt", at: At(9)), ChangeKind.Deleted) with { ContentHash = null, Size = 0 };

        var applied = await store.MustApplyAsync(new MetadataWrite.AppendChange(moved), new MetadataWrite.AppendChange(folder), new MetadataWrite.AppendChange(deleted));

        // One journal: numbered 1, 2, 3. A sharded store journals each in its path's shard, a move across shards as two halves.
        Assert.Equal([moved, folder, deleted], applied.Changes.Where(c => c.Part != MovePart.Target).Select(c => c with { Sequence = 0, Journal = null, Part = MovePart.Whole }));
        AssertConsecutivePerJournal(applied.Changes);
        foreach (var journal in applied.Changes.GroupBy(c => c.JournalId))
        {
            var count = journal.Count();
            Assert.Equal(journal, await store.ReadJournalAsync(journal.Key, 0, 10, None));
            Assert.Equal(journal.Skip(1), await store.ReadJournalAsync(journal.Key, 1, 10, None));
            Assert.Equal(journal.Skip(1).Take(1), await store.ReadJournalAsync(journal.Key, 1, 1, None));
            Assert.Empty(await store.ReadJournalAsync(journal.Key, count, 10, None));
        }
    }
}
