using DropSync.Core.Content;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using Xunit;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Contracts;

/// <summary>
/// The behaviour every <see cref="IFileMetadataStore"/> adapter must have: all-or-nothing batches with optimistic
/// concurrency, per-namespace journal sequences, consistent reads, and exact listing of any name.
/// </summary>
public abstract partial class FileMetadataStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly BlockRef[] NoBlocks = [];

    /// <summary>A new, empty store, isolated from every other test's; the subclass cleans it up.</summary>
    protected abstract Task<IFileMetadataStore> CreateStoreAsync();

    [Fact]
    public async Task Unknown_path_has_no_entry()
    {
        var store = await CreateStoreAsync();

        Assert.Null(await store.GetEntryAsync(NewNamespace(), "/nothing", None));
    }

    [Fact]
    public async Task Entries_round_trip_every_field()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var folder = Folder(ns, "/Docs", at: At(1));
        var file = File(ns, "/Docs/Report.PDF", size: 123_456_789_012, at: At(2)) with { DeviceId = "dev_a" };

        await store.MustApplyAsync(Put(folder), Put(file));

        Assert.Equal(folder, await store.GetEntryAsync(ns, "/docs", None));
        Assert.Equal(file, await store.GetEntryAsync(ns, "/docs/report.pdf", None));
        Assert.Null(await store.GetEntryAsync(ns, "/Docs/Report.PDF", None));
    }

    [Fact]
    public async Task A_tombstone_is_returned_with_IsDeleted()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var file = File(ns, "/a.txt");
        await store.MustApplyAsync(Put(file));
        var tombstone = file with { Rev = NewRev(), IsDeleted = true, ServerModified = At(5) };

        await store.MustApplyAsync(Put(tombstone, new EntryExpectation.HasRev(file.Rev)));

        Assert.Equal(tombstone, await store.GetEntryAsync(ns, "/a.txt", None));
    }

    [Fact]
    public async Task A_batch_whose_last_write_fails_applies_none_of_its_writes()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var folder = Folder(ns, "/new");
        var file = File(ns, "/new/file.txt");
        MetadataWrite[] writes =
        [
            Put(folder), Append(folder, ChangeKind.FolderCreated),
            Put(file), new MetadataWrite.AddRevision(Revision(file, Block("a"))), Append(file),
            new MetadataWrite.CheckEntry(ns, "/missing", EntryExpectation.IsLiveFolder),
        ];

        var result = await store.ApplyAsync(writes, None);

        Assert.False(result.Applied);
        Assert.Equal(writes.Length - 1, result.FailedWriteIndex);
        Assert.Empty(result.Changes);
        Assert.Null(await store.GetEntryAsync(ns, "/new", None));
        Assert.Null(await store.GetEntryAsync(ns, "/new/file.txt", None));
        Assert.Null(await store.GetRevisionAsync(ns, file.Rev, None));
        Assert.Empty(await store.ListAsync(ns, "", recursive: true, None));
        Assert.Empty(await store.ReadJournalAsync(ns, 0, 100, None));
        Assert.Equal(0, await store.GetLatestSequenceAsync(ns, None));
    }

    [Fact]
    public async Task A_failed_batch_leaves_existing_entries_as_they_were()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var original = File(ns, "/keep.txt");
        await store.MustApplyAsync(CreateFile(original, Block("k")));
        var replacement = original with { Rev = NewRev(), Size = 99 };

        var result = await store.ApplyAsync(
            [Put(replacement, new EntryExpectation.HasRev(original.Rev)), Append(replacement, ChangeKind.Edited), Put(File(ns, "/keep.txt"))], None);

        Assert.False(result.Applied);
        Assert.Equal(2, result.FailedWriteIndex);
        Assert.Equal(original, await store.GetEntryAsync(ns, "/keep.txt", None));
        Assert.Equal(1, await store.LatestOfAllJournalsAsync(ns));
    }

    [Fact]
    public async Task The_failed_index_is_the_first_write_whose_expectation_fails()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        await store.MustApplyAsync(Put(File(ns, "/taken")));

        var result = await store.ApplyAsync(
            [
                new MetadataWrite.CheckEntry(ns, "/free", EntryExpectation.IsAbsent),
                Put(File(ns, "/taken")),
                new MetadataWrite.CheckEntry(ns, "/free", EntryExpectation.IsLiveFolder),
            ],
            None);

        Assert.False(result.Applied);
        Assert.Equal(1, result.FailedWriteIndex);
    }

    [Fact]
    public async Task Absent_holds_for_no_entry_and_for_a_tombstone_but_not_a_live_entry()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var live = File(ns, "/live");
        var deleted = File(ns, "/deleted") with { IsDeleted = true };
        await store.MustApplyAsync(Put(live), Put(deleted));

        Assert.True((await store.ApplyAsync([new MetadataWrite.CheckEntry(ns, "/never", EntryExpectation.IsAbsent)], None)).Applied);
        Assert.True((await store.ApplyAsync([new MetadataWrite.CheckEntry(ns, "/deleted", EntryExpectation.IsAbsent)], None)).Applied);
        Assert.False((await store.ApplyAsync([new MetadataWrite.CheckEntry(ns, "/live", EntryExpectation.IsAbsent)], None)).Applied);
        Assert.False((await store.ApplyAsync([Put(File(ns, "/live"))], None)).Applied);
        Assert.True((await store.ApplyAsync([Put(File(ns, "/deleted"))], None)).Applied);
    }

    [Fact]
    public async Task HasRev_holds_only_for_that_exact_rev_live_or_deleted()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var live = File(ns, "/live");
        var deleted = File(ns, "/deleted") with { IsDeleted = true };
        await store.MustApplyAsync(Put(live), Put(deleted));

        Assert.True((await store.ApplyAsync([new MetadataWrite.CheckEntry(ns, "/live", new EntryExpectation.HasRev(live.Rev))], None)).Applied);
        Assert.True((await store.ApplyAsync([new MetadataWrite.CheckEntry(ns, "/deleted", new EntryExpectation.HasRev(deleted.Rev))], None)).Applied);
        Assert.False((await store.ApplyAsync([new MetadataWrite.CheckEntry(ns, "/live", new EntryExpectation.HasRev(NewRev()))], None)).Applied);
        Assert.False((await store.ApplyAsync([new MetadataWrite.CheckEntry(ns, "/never", new EntryExpectation.HasRev(live.Rev))], None)).Applied);
        Assert.False((await store.ApplyAsync([new MetadataWrite.CheckEntry(ns, "/LIVE-other", new EntryExpectation.HasRev(live.Rev))], None)).Applied);
    }

    [Fact]
    public async Task LiveFolder_holds_only_for_a_live_folder()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        await store.MustApplyAsync(Put(Folder(ns, "/folder")), Put(File(ns, "/file")), Put(Folder(ns, "/gone") with { IsDeleted = true }));

        Assert.True((await store.ApplyAsync([new MetadataWrite.CheckEntry(ns, "/folder", EntryExpectation.IsLiveFolder)], None)).Applied);
        Assert.False((await store.ApplyAsync([new MetadataWrite.CheckEntry(ns, "/file", EntryExpectation.IsLiveFolder)], None)).Applied);
        Assert.False((await store.ApplyAsync([new MetadataWrite.CheckEntry(ns, "/gone", EntryExpectation.IsLiveFolder)], None)).Applied);
        Assert.False((await store.ApplyAsync([new MetadataWrite.CheckEntry(ns, "/never", EntryExpectation.IsLiveFolder)], None)).Applied);
    }

    [Fact]
    public async Task Expectations_see_the_earlier_writes_of_the_same_batch()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var folder = Folder(ns, "/made");

        var applied = await store.ApplyAsync([Put(folder), new MetadataWrite.CheckEntry(ns, "/made", EntryExpectation.IsLiveFolder)], None);
        var twice = await store.ApplyAsync([Put(Folder(ns, "/again")), Put(Folder(ns, "/again"))], None);

        Assert.True(applied.Applied);
        Assert.False(twice.Applied);
        Assert.Equal(1, twice.FailedWriteIndex);
        Assert.Null(await store.GetEntryAsync(ns, "/again", None));
    }

    [Fact]
    public async Task Of_20_racing_creates_of_one_path_exactly_one_wins()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var contenders = Enumerable.Range(0, 20).Select(i => File(ns, "/race.txt", size: i)).ToList();

        var results = await Task.WhenAll(contenders.Select(file => Task.Run(() => store.ApplyAsync(CreateFile(file, Block("race")), None))));

        var winner = Assert.Single(contenders.Where((_, i) => results[i].Applied));
        Assert.All(results.Where(r => !r.Applied), r => Assert.Equal(0, r.FailedWriteIndex));
        Assert.Equal(winner, await store.GetEntryAsync(ns, "/race.txt", None));
        var change = Assert.Single(await store.ReadAllChangesAsync(ns));
        Assert.Equal(winner.Rev, change.Rev);
        Assert.Single(await store.ListRevisionsAsync(ns, "/race.txt", 100, None));
    }

    [Fact]
    public async Task Of_20_racing_updates_of_one_rev_exactly_one_wins()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var original = File(ns, "/doc.txt");
        await store.MustApplyAsync(Put(original));
        var updates = Enumerable.Range(0, 20).Select(i => original with { Rev = NewRev(), Size = i }).ToList();

        var results = await Task.WhenAll(updates.Select(update => Task.Run(() =>
            store.ApplyAsync([Put(update, new EntryExpectation.HasRev(original.Rev)), Append(update, ChangeKind.Edited)], None))));

        var winner = Assert.Single(updates.Where((_, i) => results[i].Applied));
        Assert.Equal(winner, await store.GetEntryAsync(ns, "/doc.txt", None));
        Assert.Equal(1, await store.LatestOfAllJournalsAsync(ns));
    }

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

    [Fact]
    public async Task Reads_during_batches_never_see_half_of_one()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        const int Batches = 60;
        var writing = Task.Run(async () =>
        {
            for (var i = 0; i < Batches; i++)
            {
                var a = File(ns, $"/d/{i:D3}-a");
                var b = File(ns, $"/d/{i:D3}-b");
                await store.MustApplyAsync([.. CreateFile(a, Block("a" + i)), .. CreateFile(b, Block("b" + i))]);
            }
        });

        var observations = 0;
        while (!writing.IsCompleted || observations == 0)
        {
            var listed = await store.ListAsync(ns, "", recursive: true, None);
            var files = listed.Where(e => e.Kind == EntryKind.File).Select(e => e.Name).ToHashSet();
            Assert.All(files, name => Assert.Contains(name[..^1] + (name[^1] == 'a' ? 'b' : 'a'), files));
            // One journal is read whole batches at a time. A sharded store's journals are read one after another, so a
            // batch across two shards may be half read until the next read (docs/architecture.md, "Hot partitions").
            if ((await store.GetJournalsAsync(ns, None)).Sum(j => j.Count) == 1)
            {
                Assert.Equal(0, (await store.ReadJournalAsync(ns, 0, 10_000, None)).Count % 2);
            }
            observations++;
        }

        await writing;
        Assert.Equal(Batches * 2, (await store.ListAsync(ns, "/d", recursive: false, None)).Count);
        Assert.Equal(Batches * 2, await store.LatestOfAllJournalsAsync(ns));
    }

    [Fact]
    public async Task Listing_gives_direct_children_or_everything_below_ordered_by_key_without_tombstones()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        await store.MustApplyAsync(
            Put(Folder(ns, "/A")), Put(File(ns, "/A/b.txt")), Put(Folder(ns, "/A/Sub")), Put(File(ns, "/A/Sub/c.txt")),
            Put(File(ns, "/A/Sub/Deleted.txt") with { IsDeleted = true }), Put(Folder(ns, "/A/Gone") with { IsDeleted = true }),
            Put(File(ns, "/A!x")), Put(File(ns, "/A.txt")), Put(File(ns, "/A0")), Put(Folder(ns, "/Ab")), Put(File(ns, "/Ab/d.txt")),
            Put(File(NewNamespace(), "/A/other-namespace.txt")));

        Assert.Equal(["/a", "/a!x", "/a.txt", "/a0", "/ab"], Keys(await store.ListAsync(ns, "", recursive: false, None)));
        Assert.Equal(["/a/b.txt", "/a/sub"], Keys(await store.ListAsync(ns, "/a", recursive: false, None)));
        Assert.Equal(["/a/b.txt", "/a/sub", "/a/sub/c.txt"], Keys(await store.ListAsync(ns, "/a", recursive: true, None)));
        Assert.Equal(
            ["/a", "/a!x", "/a.txt", "/a/b.txt", "/a/sub", "/a/sub/c.txt", "/a0", "/ab", "/ab/d.txt"],
            Keys(await store.ListAsync(ns, "", recursive: true, None)));
        Assert.Empty(await store.ListAsync(ns, "/a/sub/c.txt", recursive: true, None));
        Assert.Empty(await store.ListAsync(ns, "/nowhere", recursive: false, None));
    }

    [Fact]
    public async Task Listing_is_exact_for_hostile_names()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var writes = new List<MetadataWrite>();
        var display = "";
        var displays = new List<string>();
        foreach (var component in HostileComponents)
        {
            display += "/" + component;
            displays.Add(display);
            writes.Add(Put(component == HostileComponents[^1] ? File(ns, display) : Folder(ns, display)));
        }

        // Folders whose names are LIKE patterns, each beside a folder the pattern would also match.
        string[] patterns = ["/50%", "/50% off", "/a_b", "/axb", "/😀 emoji", "/😀", "/Ωμέγα", "/שלום", "/it's \"quoted\""];
        foreach (var folder in patterns)
        {
            writes.Add(Put(Folder(ns, folder)));
            writes.Add(Put(File(ns, folder + "/inside " + folder.Length + ".txt")));
        }

        await store.MustApplyAsync([.. writes]);

        foreach (var path in displays)
        {
            Assert.Equal(path, (await store.GetEntryAsync(ns, KeyOf(path), None))?.PathDisplay);
        }

        Assert.Equal(displays.Select(KeyOf).Skip(1), Keys(await store.ListAsync(ns, KeyOf(displays[0]), recursive: true, None)));
        Assert.Equal([KeyOf(displays[^1])], Keys(await store.ListAsync(ns, KeyOf(displays[^2]), recursive: false, None)));
        foreach (var folder in patterns)
        {
            var expected = new[] { KeyOf(folder + "/inside " + folder.Length + ".txt") };
            Assert.Equal(expected, Keys(await store.ListAsync(ns, KeyOf(folder), recursive: true, None)));
            Assert.Equal(expected, Keys(await store.ListAsync(ns, KeyOf(folder), recursive: false, None)));
        }

        // No name here has a UTF-16 code unit in U+E000..U+FFFF, so ordinal order is also UTF-8 byte (code point) order.
        var all = Keys(await store.ListAsync(ns, "", recursive: true, None));
        Assert.Equal(writes.Count, all.Count);
        Assert.Equal(all.Order(StringComparer.Ordinal), all);
    }

    [Fact]
    public async Task Deleted_entries_below_a_folder_are_listed_newest_first_up_to_the_limit()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        await store.MustApplyAsync(
            Put(Folder(ns, "/f")),
            Put(File(ns, "/f/old", at: At(1)) with { IsDeleted = true }),
            Put(File(ns, "/f/new", at: At(3)) with { IsDeleted = true }),
            Put(File(ns, "/f/sub/middle", at: At(2)) with { IsDeleted = true }),
            Put(File(ns, "/f/live", at: At(4))),
            Put(File(ns, "/f2/outside", at: At(5)) with { IsDeleted = true }));

        Assert.Equal(["/f/new", "/f/sub/middle", "/f/old"], Keys(await store.ListDeletedAsync(ns, "/f", 10, None)));
        Assert.Equal(["/f/new", "/f/sub/middle"], Keys(await store.ListDeletedAsync(ns, "/f", 2, None)));
        Assert.Equal(["/f2/outside", "/f/new", "/f/sub/middle", "/f/old"], Keys(await store.ListDeletedAsync(ns, "", 10, None)));
        Assert.All(await store.ListDeletedAsync(ns, "", 10, None), e => Assert.True(e.IsDeleted));
    }

    [Fact]
    public async Task A_tombstone_left_by_a_move_round_trips_and_is_not_listed_as_deleted_until_deleted_for_real()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var movedAway = File(ns, "/f/moved", at: At(2)) with { IsDeleted = true, MovedAway = true };
        await store.MustApplyAsync(Put(Folder(ns, "/f")), Put(movedAway), Put(File(ns, "/f/gone", at: At(1)) with { IsDeleted = true }));

        var read = await store.GetEntryAsync(ns, "/f/moved", None);
        Assert.Equal(["/f/gone"], Keys(await store.ListDeletedAsync(ns, "", 10, None)));
        Assert.True(read is { IsDeleted: true, MovedAway: true });
        Assert.False((await store.GetEntryAsync(ns, "/f/gone", None))!.MovedAway);

        // A new file at that path, deleted in turn, is an ordinary deleted file.
        var again = File(ns, "/f/moved", at: At(3));
        await store.MustApplyAsync(Put(again, new EntryExpectation.HasRev(movedAway.Rev)));
        await store.MustApplyAsync(Put(again with { Rev = NewRev(), IsDeleted = true }, new EntryExpectation.HasRev(again.Rev)));

        Assert.Equal(["/f/moved", "/f/gone"], Keys(await store.ListDeletedAsync(ns, "", 10, None)));
        Assert.False((await store.GetEntryAsync(ns, "/f/moved", None))!.MovedAway);
    }

    [Fact]
    public async Task Revisions_are_listed_newest_first_with_their_blocks_in_order()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var v1 = File(ns, "/Notes.txt", at: At(1));
        var v2 = v1 with { Rev = NewRev(), ServerModified = At(2) };
        var v3 = v1 with { Rev = NewRev(), ServerModified = At(3), PathDisplay = "/NOTES.txt" };
        BlockRef[] blocks2 = [Block("z", 4), Block("a", 3), Block("z", 4), Block("m", 1)];
        await store.MustApplyAsync(CreateFile(v1, Block("one")));
        await store.MustApplyAsync(Put(v2, new EntryExpectation.HasRev(v1.Rev)), new MetadataWrite.AddRevision(Revision(v2, blocks2)));
        await store.MustApplyAsync(Put(v3, new EntryExpectation.HasRev(v2.Rev)), new MetadataWrite.AddRevision(Revision(v3)));
        await store.MustApplyAsync(CreateFile(File(ns, "/notes.txt.bak", at: At(4)), Block("other")));

        var revisions = await store.ListRevisionsAsync(ns, "/notes.txt", 10, None);

        Assert.Equal([v3.Rev, v2.Rev, v1.Rev], revisions.Select(r => r.Rev));
        AssertSameRevision(Revision(v2, blocks2), revisions[1]);
        Assert.Empty(revisions[0].Blocks);
        Assert.Equal("/NOTES.txt", revisions[0].PathDisplay);
        Assert.Equal([v3.Rev, v2.Rev], (await store.ListRevisionsAsync(ns, "/notes.txt", 2, None)).Select(r => r.Rev));
        Assert.Empty(await store.ListRevisionsAsync(ns, "/never.txt", 10, None));
    }

    [Fact]
    public async Task A_revision_is_found_by_rev_in_its_namespace_only()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var file = File(ns, "/big.bin");
        var blocks = Enumerable.Range(0, 3000).Select(i => Block("block " + (i % 1000), 1 + i)).ToArray();
        await store.MustApplyAsync(CreateFile(file, blocks));

        AssertSameRevision(Revision(file, blocks), await store.GetRevisionAsync(ns, file.Rev, None));
        Assert.Null(await store.GetRevisionAsync(NewNamespace(), file.Rev, None));
        Assert.Null(await store.GetRevisionAsync(ns, NewRev(), None));
    }

    [Fact]
    public async Task Namespaces_are_independent()
    {
        var store = await CreateStoreAsync();
        var nsA = NewNamespace();
        var nsB = NewNamespace();
        var inA = File(nsA, "/same.txt");
        var inB = File(nsB, "/same.txt");

        await store.MustApplyAsync(Put(inA));
        await store.MustApplyAsync(Put(inB));

        Assert.Equal(inA, await store.GetEntryAsync(nsA, "/same.txt", None));
        Assert.Equal(inB, await store.GetEntryAsync(nsB, "/same.txt", None));
        Assert.Equal([inA], await store.ListAsync(nsA, "", recursive: true, None));
    }

    private static List<string> Keys(IEnumerable<FileEntry> entries) => entries.Select(e => e.PathKey).ToList();

    private static void AssertSameRevision(FileRevision expected, FileRevision? actual)
    {
        Assert.NotNull(actual);
        // Blocks are compared by content below; the record compares lists by reference.
        Assert.Equal(expected with { Blocks = NoBlocks }, actual with { Blocks = NoBlocks });
        Assert.Equal<BlockRef>(expected.Blocks, actual.Blocks);
    }
}
