using DropSync.Core.Model;
using DropSync.Core.Ports;
using Xunit;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Contracts;

/// <summary>All-or-nothing batches with optimistic concurrency: expectations, the failed write's index, first-wins races, and reads that never see half a batch.</summary>
public abstract partial class FileMetadataStoreContract
{
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
}
