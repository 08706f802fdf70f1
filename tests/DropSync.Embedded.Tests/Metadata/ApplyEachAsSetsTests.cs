using DropSync.Core.Model;
using DropSync.Core.Ports;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Embedded.Tests.Metadata;

/// <summary>
/// <see cref="SqliteMetadataStore.ApplyEachAsync"/> writes a group of file commits as sets (one read of every checked key,
/// one journal counter update per namespace, then each table's rows): the outcome must be exactly that of applying the batches one by one.
/// </summary>
public sealed class ApplyEachAsSetsTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly TempMetadataDatabase _database = new();

    [Fact]
    public async Task A_group_of_commits_leaves_the_same_entries_revisions_and_journal_as_applying_them_one_by_one()
    {
        var store = _database.Open();
        var asSets = NewNamespace();
        var oneByOne = NewNamespace();
        var setUp = SetUp();
        foreach (var ns in new[] { asSets, oneByOne })
        {
            Assert.True((await store.ApplyAsync(InNamespace(setUp, ns), None)).Applied);
        }

        var group = Group();
        var results = await store.ApplyEachAsync(group.Select(writes => InNamespace(writes, asSets)).ToList(), None);
        var expected = new List<BatchResult>();
        foreach (var writes in group)
        {
            expected.Add(await store.ApplyAsync(InNamespace(writes, oneByOne), None));
        }

        Assert.Equal(expected.Select(r => (r.Applied, r.FailedWriteIndex)), results.Select(r => (r.Applied, r.FailedWriteIndex)));
        Assert.Equal(
            expected.SelectMany(r => r.Changes).Select(c => (c.Sequence, c.PathDisplay, c.Kind)),
            results.SelectMany(r => r.Changes).Select(c => (c.Sequence, c.PathDisplay, c.Kind)));
        Assert.Equal((false, 0), (results[1].Applied, results[1].FailedWriteIndex));

        var paths = group.SelectMany(writes => writes.OfType<MetadataWrite.PutEntry>()).Select(put => put.Entry.PathKey).Distinct().ToList();
        Assert.Equal(45 + 4, paths.Count);
        foreach (var key in paths)
        {
            var mine = await store.GetEntryAsync(asSets, key, None);
            var theirs = await store.GetEntryAsync(oneByOne, key, None);
            Assert.Equal(theirs! with { NamespaceId = "" }, mine! with { NamespaceId = "" });
            var revision = await store.GetRevisionAsync(asSets, mine.Rev, None);
            var expectedRevision = await store.GetRevisionAsync(oneByOne, mine.Rev, None);
            Assert.Equal(expectedRevision?.Blocks.Select(b => (b.Hash, b.Size)), revision?.Blocks.Select(b => (b.Hash, b.Size)));
            Assert.Equal(expectedRevision?.ContentHash, revision?.ContentHash);
        }

        var journal = await store.ReadJournalAsync(asSets, 0, 1000, None);
        var expectedJournal = await store.ReadJournalAsync(oneByOne, 0, 1000, None);
        Assert.Equal(expectedJournal.Select(c => c with { NamespaceId = "" }), journal.Select(c => c with { NamespaceId = "" }));
        Assert.Equal(Enumerable.Range(1, journal.Count).Select(i => (long)i), journal.Select(c => c.Sequence));
        Assert.Equal(await store.GetLatestSequenceAsync(oneByOne, None), await store.GetLatestSequenceAsync(asSets, None));
    }

    [Fact]
    public async Task Each_namespace_of_a_group_numbers_its_changes_in_order_and_later_writes_go_on_from_there()
    {
        var store = _database.Open();
        var first = NewNamespace();
        var second = NewNamespace();
        Assert.True((await store.ApplyAsync(CreateFile(File(first, "/before.txt")), None)).Applied);

        var results = await store.ApplyEachAsync(
            [CreateFile(File(first, "/a.txt")), CreateFile(File(second, "/b.txt")), CreateFile(File(first, "/c.txt")), CreateFile(File(second, "/d.txt"))],
            None);

        Assert.Equal([2L, 1L, 3L, 2L], results.Select(r => r.Changes.Single().Sequence));
        Assert.Equal(3, await store.GetLatestSequenceAsync(first, None));
        Assert.Equal(2, await store.GetLatestSequenceAsync(second, None));
        var after = await store.ApplyAsync(CreateFile(File(second, "/e.txt")), None);
        Assert.Equal(3, after.Changes.Single().Sequence);
        Assert.Equal(["/b.txt", "/d.txt", "/e.txt"], (await store.ReadJournalAsync(second, 0, 100, None)).Select(c => c.PathDisplay));
    }

    [Fact]
    public async Task A_group_whose_every_commit_fails_writes_nothing_and_moves_no_counter()
    {
        var store = _database.Open();
        var ns = NewNamespace();
        var taken = File(ns, "/taken.txt");
        Assert.True((await store.ApplyAsync(CreateFile(taken), None)).Applied);

        var results = await store.ApplyEachAsync([CreateFile(File(ns, "/taken.txt")), [new MetadataWrite.CheckEntry(ns, "/nowhere", EntryExpectation.IsLiveFolder), .. CreateFile(File(ns, "/nowhere/x.txt"))]], None);

        Assert.Equal([(false, 0), (false, 0)], results.Select(r => (r.Applied, r.FailedWriteIndex)));
        Assert.Equal(1, await store.GetLatestSequenceAsync(ns, None));
        Assert.Equal(taken.Rev, (await store.GetEntryAsync(ns, "/taken.txt", None))!.Rev);
    }

    public void Dispose() => _database.Dispose();

    private static readonly FileEntry SetUpFolder = Folder("", "/d", at: At(1));
    private static readonly FileEntry SetUpFile = File("", "/d/a.txt", at: At(2));

    private static List<MetadataWrite> SetUp() =>
        [Put(SetUpFolder), Append(SetUpFolder, ChangeKind.FolderCreated), .. CreateFile(SetUpFile, Block("a"))];

    /// <summary>An edit, a stale edit, a new folder and a file in it, then many new files.</summary>
    private static List<List<MetadataWrite>> Group()
    {
        var edit = File("", "/d/a.txt", at: At(10)) with { Size = 2000 };
        var stale = File("", "/d/a.txt", at: At(11));
        var folder = Folder("", "/n", at: At(12));
        var inFolder = File("", "/n/y.txt", at: At(13));
        var deleted = SetUpFolder with { Rev = NewRev(), IsDeleted = true, ServerModified = At(14) };
        List<List<MetadataWrite>> group =
        [
            [new MetadataWrite.CheckEntry("", "/d", EntryExpectation.IsLiveFolder), Put(edit, new EntryExpectation.HasRev(SetUpFile.Rev)),
                new MetadataWrite.AddRevision(Revision(edit, Block("b1"), Block("b2"))), Append(edit, ChangeKind.Edited)],
            [Put(stale, new EntryExpectation.HasRev(SetUpFile.Rev)), new MetadataWrite.AddRevision(Revision(stale)), Append(stale, ChangeKind.Edited)],
            [Put(folder), Append(folder, ChangeKind.FolderCreated)],
            [new MetadataWrite.CheckEntry("", "/n", EntryExpectation.IsLiveFolder), .. CreateFile(inFolder, Block("y"))],
            [Put(deleted, new EntryExpectation.HasRev(SetUpFolder.Rev)), Append(deleted, ChangeKind.Deleted)],
        ];
        for (var i = 0; i < 45; i++)
        {
            group.Add([.. CreateFile(File("", $"/m{i:D2}.txt", at: At(100 + i)), Block("m" + i))]);
        }

        return group;
    }

    private static List<MetadataWrite> InNamespace(IEnumerable<MetadataWrite> writes, string ns) =>
        writes.Select<MetadataWrite, MetadataWrite>(write => write switch
        {
            MetadataWrite.PutEntry put => put with { Entry = put.Entry with { NamespaceId = ns } },
            MetadataWrite.CheckEntry check => check with { NamespaceId = ns },
            MetadataWrite.AddRevision add => add with { Revision = add.Revision with { NamespaceId = ns } },
            MetadataWrite.AppendChange append => append with { Change = append.Change with { NamespaceId = ns } },
            _ => throw new ArgumentException("Not a file commit's write.", nameof(writes)),
        }).ToList();
}
