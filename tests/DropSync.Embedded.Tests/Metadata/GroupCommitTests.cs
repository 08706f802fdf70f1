using DropSync.Core.Model;
using DropSync.Core.Ports;
using DropSync.Embedded.Metadata;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Embedded.Tests.Metadata;

/// <summary>
/// The embedded store's group commit: concurrent writes share transactions, and each one is still all-or-nothing and
/// first-wins on its own. Writes are queued without awaiting in between (each call queues synchronously), so while the
/// writer commits one group the others pile up behind it: that is what makes them share transactions here.
/// </summary>
public sealed class GroupCommitTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly TempMetadataDatabase _database = new();

    /// <summary>
    /// A store holding one file at <paramref name="path"/> (sequence 1), and its group-transaction count after that
    /// write, from which a test counts the transactions its own writes took.
    /// </summary>
    private async Task<(SqliteMetadataStore Store, string Ns, FileEntry Existing, long TransactionsBefore)> OpenWithOneFileAsync(string path)
    {
        var store = _database.Open();
        var ns = NewNamespace();
        var existing = File(ns, path);
        await store.MustApplyAsync(CreateFile(existing));
        return (store, ns, existing, store.CommittedMetadataBatchTransactions);
    }

    [Fact]
    public async Task Concurrent_commits_share_transactions_and_all_apply_with_consecutive_sequences()
    {
        var store = _database.Open();
        var ns = NewNamespace();
        var transactionsBefore = store.CommittedMetadataBatchTransactions;

        var pending = Enumerable.Range(0, 200).Select(i => store.ApplyAsync(CreateFile(File(ns, $"/f{i}"), Block("g" + i)), None)).ToList();
        var results = await Task.WhenAll(pending);

        Assert.All(results, r => Assert.True(r.Applied));
        var transactions = store.CommittedMetadataBatchTransactions - transactionsBefore;
        Assert.InRange(transactions, 1, 50);
        // Queued in this order, applied in this order: sequences follow the queue.
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), results.Select(r => r.Changes.Single().Sequence));
        var journal = await store.ReadJournalAsync(ns, 0, 1000, None);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"/f{i}"), journal.Select(c => c.PathDisplay));
    }

    [Fact]
    public async Task Of_commits_racing_for_one_path_in_one_group_exactly_one_wins_and_the_others_fail_as_they_would_alone()
    {
        var (store, ns, existing, transactionsBefore) = await OpenWithOneFileAsync("/update-me.txt");

        var creates = Enumerable.Range(0, 40).Select(i => store.ApplyAsync(CreateFile(File(ns, "/same.txt"), Block("c" + i)), None)).ToList();
        var updates = Enumerable.Range(0, 40).Select(_ =>
        {
            var edit = File(ns, "/update-me.txt");
            return store.ApplyAsync([Put(edit, new EntryExpectation.HasRev(existing.Rev)), Append(edit, ChangeKind.Edited)], None);
        }).ToList();
        var created = await Task.WhenAll(creates);
        var updated = await Task.WhenAll(updates);

        Assert.InRange(store.CommittedMetadataBatchTransactions - transactionsBefore, 1, 20);
        Assert.Single(created, r => r.Applied);
        Assert.All(created.Where(r => !r.Applied), r => Assert.Equal(0, r.FailedWriteIndex));
        Assert.Single(updated, r => r.Applied);
        Assert.All(updated.Where(r => !r.Applied), r => Assert.Equal(0, r.FailedWriteIndex));
        // Only the winners reached the journal: 1 for the setup, 1 create, 1 update.
        Assert.Equal([1L, 2L, 3L], (await store.ReadJournalAsync(ns, 0, 100, None)).Select(c => c.Sequence));
    }

    [Fact]
    public async Task A_commit_that_fails_or_throws_inside_a_group_is_undone_alone_and_the_others_commit()
    {
        var (store, ns, _, transactionsBefore) = await OpenWithOneFileAsync("/taken.txt");

        var good = new List<Task<BatchResult>>();
        var failing = new List<Task<BatchResult>>();
        var throwing = new List<Task<BatchResult>>();
        for (var i = 0; i < 30; i++)
        {
            good.Add(store.ApplyAsync(CreateFile(File(ns, $"/good{i}.txt")), None));
            // A journal entry and a head written before the write whose expectation fails: both must vanish.
            var loser = File(ns, $"/loser{i}.txt");
            failing.Add(store.ApplyAsync([Append(loser), Put(loser), Put(File(ns, "/taken.txt"))], None));
            // Writes, then an exception in the middle of the batch: they must vanish too.
            var broken = File(ns, $"/broken{i}.txt");
            throwing.Add(store.ApplyAsync([Append(broken), Put(broken), null!], None));
        }

        var goodResults = await Task.WhenAll(good);
        var failedResults = await Task.WhenAll(failing);
        foreach (var thrown in throwing)
        {
            await Assert.ThrowsAsync<ArgumentException>(() => thrown);
        }

        Assert.InRange(store.CommittedMetadataBatchTransactions - transactionsBefore, 1, 22);
        Assert.All(goodResults, r => Assert.True(r.Applied));
        Assert.All(failedResults, r => Assert.Equal((false, 2), (r.Applied, r.FailedWriteIndex)));
        for (var i = 0; i < 30; i++)
        {
            Assert.NotNull(await store.GetEntryAsync(ns, $"/good{i}.txt", None));
            Assert.Null(await store.GetEntryAsync(ns, $"/loser{i}.txt", None));
            Assert.Null(await store.GetEntryAsync(ns, $"/broken{i}.txt", None));
        }

        var journal = await store.ReadJournalAsync(ns, 0, 1000, None);
        Assert.Equal(["/taken.txt", .. Enumerable.Range(0, 30).Select(i => $"/good{i}.txt")], journal.Select(c => c.PathDisplay));
        Assert.Equal(Enumerable.Range(1, 31).Select(i => (long)i), journal.Select(c => c.Sequence));
        Assert.Equal(31, await store.GetLatestSequenceAsync(ns, None));
    }

    [Fact]
    public async Task A_block_and_commit_write_that_throws_without_a_savepoint_reruns_its_group_and_is_undone_alone()
    {
        // Block + commit writes run without the group's savepoint; when one throws, its group is rolled back and runs
        // again with every write in a savepoint: the thrower leaves no block, no entry and no journal row, and the
        // writes around it (with and without savepoints, applied or declined) end as they would have alone.
        var (store, ns, _, transactionsBefore) = await OpenWithOneFileAsync("/taken.txt");

        var carried = new List<Task<BatchResult>>();
        var declined = new List<Task<BatchResult>>();
        var throwing = new List<Task<BatchResult>>();
        var plain = new List<Task<BatchResult>>();
        for (var i = 0; i < 30; i++)
        {
            carried.Add(PutBlockAndApplyAsync(store, "kept" + i, CreateFile(File(ns, $"/carried{i}.txt"), Block("kept" + i))));
            // Its expectation fails: the batch is undone by its own savepoint, the block is kept.
            declined.Add(PutBlockAndApplyAsync(store, "declined" + i, [Put(File(ns, "/taken.txt"))]));
            var broken = File(ns, $"/broken{i}.txt");
            throwing.Add(PutBlockAndApplyAsync(store, "thrown" + i, [Append(broken), Put(broken), null!]));
            plain.Add(store.ApplyAsync(CreateFile(File(ns, $"/plain{i}.txt")), None));
        }

        Assert.All(await Task.WhenAll(carried), r => Assert.True(r.Applied));
        Assert.All(await Task.WhenAll(declined), r => Assert.Equal((false, 0), (r.Applied, r.FailedWriteIndex)));
        Assert.All(await Task.WhenAll(plain), r => Assert.True(r.Applied));
        foreach (var thrown in throwing)
        {
            await Assert.ThrowsAsync<ArgumentException>(() => thrown);
        }

        Assert.InRange(store.CommittedMetadataBatchTransactions - transactionsBefore, 1, 60);
        for (var i = 0; i < 30; i++)
        {
            Assert.NotNull(await store.GetEntryAsync(ns, $"/carried{i}.txt", None));
            Assert.NotNull(await store.GetEntryAsync(ns, $"/plain{i}.txt", None));
            Assert.Null(await store.GetEntryAsync(ns, $"/broken{i}.txt", None));
            Assert.NotNull(await store.ReadInlineBlockAsync(Hash("kept" + i), None));
            Assert.NotNull(await store.ReadInlineBlockAsync(Hash("declined" + i), None));
            Assert.Null(await store.ReadInlineBlockAsync(Hash("thrown" + i), None));
        }

        var journal = await store.ReadJournalAsync(ns, 0, 1000, None);
        Assert.Equal(
            ["/taken.txt", .. Enumerable.Range(0, 30).SelectMany(i => new[] { $"/carried{i}.txt", $"/plain{i}.txt" })],
            journal.Select(c => c.PathDisplay));
        Assert.Equal(Enumerable.Range(1, 61).Select(i => (long)i), journal.Select(c => c.Sequence));
    }

    private static Task<BatchResult> PutBlockAndApplyAsync(SqliteMetadataStore store, string seed, IReadOnlyList<MetadataWrite> writes) =>
        store.PutInlineBlockAndApplyAsync(Hash(seed), [1, 2, 3], ("user_group_commit", 3, T0), writes, None);

    [Fact]
    public async Task Apply_each_commits_500_batches_in_one_transaction()
    {
        var store = _database.Open();
        var ns = NewNamespace();
        var batches = Enumerable.Range(0, 500).Select(i => (IReadOnlyList<MetadataWrite>)CreateFile(File(ns, $"/b{i}.txt"), Block("b" + i))).ToList();
        var transactionsBefore = store.CommittedWriteTransactions;

        var results = await store.ApplyEachAsync(batches, None);

        Assert.Equal(1, store.CommittedWriteTransactions - transactionsBefore);
        Assert.All(results, r => Assert.True(r.Applied));
        Assert.Equal(Enumerable.Range(1, 500).Select(i => (long)i), results.Select(r => r.Changes.Single().Sequence));
    }

    [Fact]
    public async Task Commits_of_a_group_survive_reopening_the_database()
    {
        var ns = NewNamespace();
        var store = _database.Open();
        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => store.ApplyAsync(CreateFile(File(ns, $"/kept{i}")), None)));
        Assert.All(results, r => Assert.True(r.Applied));
        await store.DisposeAsync();

        var reopened = _database.Open();

        Assert.Equal(100, await reopened.GetLatestSequenceAsync(ns, None));
        Assert.Equal(100, (await reopened.ListAsync(ns, "", recursive: true, None)).Count);
    }

    [Fact]
    public async Task A_write_whose_caller_gave_up_while_it_was_queued_is_not_applied()
    {
        var store = _database.Open();
        var ns = NewNamespace();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var write = store.ApplyAsync(CreateFile(File(ns, "/never.txt")), cancelled.Token);
        var after = await store.ApplyAsync(CreateFile(File(ns, "/after.txt")), None);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write);
        Assert.True(after.Applied);
        Assert.Null(await store.GetEntryAsync(ns, "/never.txt", None));
        Assert.Equal([1L], (await store.ReadJournalAsync(ns, 0, 10, None)).Select(c => c.Sequence));
    }

    [Fact]
    public async Task Writes_after_disposal_fail_with_ObjectDisposedException()
    {
        var store = _database.Open();
        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.ApplyAsync(CreateFile(File(NewNamespace(), "/late.txt")), None));
    }

    public void Dispose() => _database.Dispose();
}
