using DropSync.Core.Files;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using DropSync.Core.Retention;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Contracts;

/// <summary>What <see cref="RetentionStoreContract"/> tests: the retention store with the file store and block index it shares data with.</summary>
public sealed record RetentionStoreSubjects(IRetentionStore Retention, IFileMetadataStore Files, IBlockIndex Index);

/// <summary>
/// The behaviour every <see cref="IRetentionStore"/> adapter must have, driven through the core's
/// <see cref="HistoryCollector"/> and <see cref="RetentionRule"/>: history disappears exactly when the policy says (a
/// minute and 3 revisions here), the current revision of a live file never does, the blocks of forgotten revisions become
/// collectable after a fresh grace period while blocks a kept revision shares stay referenced, and a write racing the
/// collector wins.
/// </summary>
public abstract class RetentionStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(1);

    protected abstract Task<RetentionStoreSubjects> CreateStoresAsync();

    [Fact]
    public async Task A_replaced_revision_is_kept_until_the_retention_then_forgotten_and_its_blocks_freed_after_the_grace()
    {
        var (retention, files, index) = await CreateStoresAsync();
        var ns = NewNamespace();
        var (oldBlock, newBlock) = (Block("old content " + ns), Block("new content " + ns));
        await RecordAsync(index, At(0), oldBlock, newBlock);
        var first = File(ns, "/report.txt", at: At(0));
        await files.MustApplyAsync(CreateFile(first, oldBlock));
        var second = File(ns, "/report.txt", at: At(1000));
        await files.MustApplyAsync(Put(second, new EntryExpectation.HasRev(first.Rev)), new MetadataWrite.AddRevision(Revision(second, newBlock)), Append(second));

        var collector = Collector(retention, out var clock);
        clock.SetUtcNow(At(1000) + Retention - TimeSpan.FromMilliseconds(1));
        var early = await collector.RunOnceAsync(None);
        Assert.Equal(0, early.ForgottenRevisions);
        Assert.NotNull(await files.GetRevisionAsync(ns, first.Rev, None));

        clock.SetUtcNow(At(1000) + Retention);
        var late = await collector.RunOnceAsync(None);

        Assert.Equal(1, late.ForgottenRevisions);
        Assert.Null(await files.GetRevisionAsync(ns, first.Rev, None));
        Assert.Equal([second.Rev], (await files.ListRevisionsAsync(ns, KeyOf("/report.txt"), 10, None)).Select(r => r.Rev));
        Assert.Equal(second.Rev, (await files.GetEntryAsync(ns, KeyOf("/report.txt"), None))!.Rev);

        // The old block is unreferenced from the moment its revision went, not from when it was stored.
        var forgottenAt = clock.GetUtcNow();
        Assert.DoesNotContain(oldBlock.Hash, (await index.ListUnreferencedAsync(forgottenAt, At(10_000_000), 100, None)).Select(b => b.Hash));
        var candidates = (await index.ListUnreferencedAsync(forgottenAt.AddMilliseconds(1), At(10_000_000), 100, None)).Select(b => b.Hash).ToList();
        Assert.Contains(oldBlock.Hash, candidates);
        Assert.DoesNotContain(newBlock.Hash, candidates);
        Assert.True(await index.TryForgetAsync(oldBlock.Hash, forgottenAt.AddMilliseconds(1), None));
        Assert.False(await index.TryForgetAsync(newBlock.Hash, forgottenAt.AddMilliseconds(1), None));
    }

    [Fact]
    public async Task Beyond_the_newest_revisions_the_oldest_go_at_the_next_pass()
    {
        var (retention, files, index) = await CreateStoresAsync();
        var ns = NewNamespace();
        var block = Block("same " + ns);
        await RecordAsync(index, At(0), block);
        var revs = new List<string>();
        FileEntry? previous = null;
        for (var i = 0; i < 5; i++)
        {
            var file = File(ns, "/busy.txt", at: At(i));
            await files.MustApplyAsync(Put(file, EntryExpectation.Matching(previous)), new MetadataWrite.AddRevision(Revision(file, block)), Append(file));
            revs.Add(file.Rev);
            previous = file;
        }

        var collector = Collector(retention, out var clock);
        clock.SetUtcNow(At(10));
        var report = await collector.RunOnceAsync(None);

        Assert.Equal(2, report.ForgottenRevisions);
        Assert.Equal(revs.AsEnumerable().Reverse().Take(3), (await files.ListRevisionsAsync(ns, KeyOf("/busy.txt"), 10, None)).Select(r => r.Rev));

        // The block is still referenced by the kept revisions.
        Assert.False(await index.TryForgetAsync(block.Hash, At(10_000_000), None));
    }

    [Fact]
    public async Task A_deleted_file_and_its_history_go_at_deletion_plus_retention_and_a_shared_block_survives()
    {
        var (retention, files, index) = await CreateStoresAsync();
        var ns = NewNamespace();
        var (shared, own) = (Block("shared " + ns), Block("own " + ns));
        await RecordAsync(index, At(0), shared, own);
        var doomed = File(ns, "/doomed.txt", at: At(0));
        var keeper = File(ns, "/keeper.txt", at: At(0));
        await files.MustApplyAsync([.. CreateFile(doomed, shared, own), .. CreateFile(keeper, shared)]);
        var tombstone = doomed with { Rev = NewRev(), IsDeleted = true, ServerModified = At(500) };
        await files.MustApplyAsync(Put(tombstone, new EntryExpectation.HasRev(doomed.Rev)), Append(tombstone, ChangeKind.Deleted));

        var collector = Collector(retention, out var clock);
        clock.SetUtcNow(At(500) + Retention - TimeSpan.FromMilliseconds(1));
        await collector.RunOnceAsync(None);
        Assert.NotNull(await files.GetEntryAsync(ns, KeyOf("/doomed.txt"), None));
        Assert.NotNull(await files.GetRevisionAsync(ns, doomed.Rev, None));

        clock.SetUtcNow(At(500) + Retention);
        var report = await collector.RunOnceAsync(None);

        Assert.Equal((1, 1), (report.ForgottenRevisions, report.ForgottenEntries));
        Assert.Null(await files.GetEntryAsync(ns, KeyOf("/doomed.txt"), None));
        Assert.Null(await files.GetRevisionAsync(ns, doomed.Rev, None));
        Assert.Empty(await files.ListDeletedAsync(ns, "", 10, None));
        var later = clock.GetUtcNow().AddMilliseconds(1);
        Assert.True(await index.TryForgetAsync(own.Hash, later, None));
        Assert.False(await index.TryForgetAsync(shared.Hash, later, None));
        Assert.NotNull(await files.GetRevisionAsync(ns, keeper.Rev, None));
    }

    [Fact]
    public async Task A_write_after_the_read_wins_over_the_verdict()
    {
        var (retention, files, index) = await CreateStoresAsync();
        var ns = NewNamespace();
        var block = Block("raced " + ns);
        await RecordAsync(index, At(0), block);
        var file = File(ns, "/raced.txt", at: At(0));
        await files.MustApplyAsync(CreateFile(file, block));
        var tombstone = file with { Rev = NewRev(), IsDeleted = true, ServerModified = At(1) };
        await files.MustApplyAsync(Put(tombstone, new EntryExpectation.HasRev(file.Rev)), Append(tombstone, ChangeKind.Deleted));

        var now = At(1) + Retention;
        var due = Assert.Single(await retention.ListDueAsync(now, 10, None), h => h.Entry.NamespaceId == ns);
        var restored = File(ns, "/raced.txt", at: now);
        await files.MustApplyAsync(Put(restored, EntryExpectation.IsAbsent), new MetadataWrite.AddRevision(Revision(restored, block)), Append(restored));

        Assert.False(await retention.ForgetAsync(due, RetentionRule.Apply(due, Policy, now), now, None));
        Assert.Equal(restored.Rev, (await files.GetEntryAsync(ns, KeyOf("/raced.txt"), None))!.Rev);
        Assert.NotNull(await files.GetRevisionAsync(ns, file.Rev, None));
    }

    [Fact]
    public async Task Due_files_come_oldest_first_a_page_at_a_time_and_a_settled_file_is_not_due_again()
    {
        var (retention, files, _) = await CreateStoresAsync();
        var ns = NewNamespace();
        for (var i = 0; i < 3; i++)
        {
            await files.MustApplyAsync(CreateFile(File(ns, $"/f{i}.txt", at: At(100 - i))));
        }

        await files.MustApplyAsync(Put(Folder(ns, "/folder", at: At(0))), Append(Folder(ns, "/folder", at: At(0))));

        var page = (await retention.ListDueAsync(At(200), 2, None)).Where(h => h.Entry.NamespaceId == ns).ToList();
        Assert.Equal(["/f2.txt", "/f1.txt"], page.Select(h => h.Entry.PathDisplay));
        Assert.Single(page[0].Revisions);
        Assert.DoesNotContain(await retention.ListDueAsync(At(97), 10, None), h => h.Entry.NamespaceId == ns);

        foreach (var history in await retention.ListDueAsync(At(200), 10, None))
        {
            Assert.True(await retention.ForgetAsync(history, RetentionRule.Apply(history, Policy, At(200)), At(200), None));
        }

        Assert.Empty(await retention.ListDueAsync(At(10_000_000), 10, None));
    }

    [Fact]
    public async Task Space_usage_counts_current_files_and_history_apart()
    {
        var (retention, files, index) = await CreateStoresAsync();
        var ns = NewNamespace();
        var (a, b) = (Block("a " + ns, 700), Block("b " + ns, 300));
        await RecordAsync(index, At(0), a, b);
        var first = File(ns, "/x.bin", at: At(0));
        await files.MustApplyAsync(CreateFile(first, a));
        var second = File(ns, "/x.bin", at: At(1));
        await files.MustApplyAsync(Put(second, new EntryExpectation.HasRev(first.Rev)), new MetadataWrite.AddRevision(Revision(second, b)), Append(second));
        var gone = File(ns, "/gone.bin", at: At(2));
        await files.MustApplyAsync(CreateFile(gone, a, b));
        await files.MustApplyAsync(Put(gone with { Rev = NewRev(), IsDeleted = true, ServerModified = At(3) }, new EntryExpectation.HasRev(gone.Rev)));

        var usage = await retention.MeasureAsync(ns, None);

        // Current: the live entry's size; history: the replaced revision and the deleted file's.
        Assert.Equal(new SpaceUsage(second.Size, 700 + 1000), usage);
        Assert.Equal(new SpaceUsage(0, 0), await retention.MeasureAsync(NewNamespace(), None));
    }

    private static readonly RetentionPolicy Policy = new(Retention, 3);

    private static HistoryCollector Collector(IRetentionStore retention, out FakeTimeProvider clock)
    {
        clock = new FakeTimeProvider(At(0));
        return new HistoryCollector(retention, new DropSyncOptions { VersionRetention = Retention, MaxRevisionsPerFile = 3 }, clock);
    }

    private static async Task RecordAsync(IBlockIndex index, DateTimeOffset at, params Core.Content.BlockRef[] blocks)
    {
        foreach (var block in blocks)
        {
            await index.RecordAsync("u_test", block.Hash, block.Size, at, None);
        }
    }
}
