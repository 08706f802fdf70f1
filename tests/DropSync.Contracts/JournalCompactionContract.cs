using DropSync.Core.Feed;
using DropSync.Core.Files;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Contracts;

/// <summary>
/// Journal compaction of <see cref="IFileMetadataStore"/>: old entries go, the compaction point is kept (only ever
/// rising), and sequence numbers go on from the true latest even when every entry was compacted away; the core's
/// retention rules (<see cref="JournalRetention"/>) over the store compact exactly what has outlived them.
/// </summary>
public abstract class JournalCompactionContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>A new, empty store, isolated from every other test's; the subclass cleans it up.</summary>
    protected abstract Task<IFileMetadataStore> CreateStoreAsync();

    [Fact]
    public async Task A_namespace_never_compacted_reports_zero()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        await AppendAsync(store, ns, 2);

        Assert.Equal(0, await store.GetCompactedThroughAsync(ns, None));
        Assert.Equal(0, await store.GetCompactedThroughAsync(NewNamespace(), None));
    }

    [Fact]
    public async Task Compaction_drops_entries_through_the_sequence_and_keeps_the_rest()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        await AppendAsync(store, ns, 5);

        await store.CompactJournalAsync(ns, 3, None);

        Assert.Equal([4L, 5L], (await store.ReadJournalAsync(ns, 0, 100, None)).Select(c => c.Sequence));
        Assert.Equal([5L], (await store.ReadJournalAsync(ns, 4, 100, None)).Select(c => c.Sequence));
        Assert.Equal(3, await store.GetCompactedThroughAsync(ns, None));
        Assert.Equal(5, await store.GetLatestSequenceAsync(ns, None));
        var next = await store.MustApplyAsync(Append(File(ns, "/next")));
        Assert.Equal(6, next.Changes[0].Sequence);
    }

    [Fact]
    public async Task Sequences_go_on_from_the_true_latest_after_everything_was_compacted()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        await AppendAsync(store, ns, 4);

        await store.CompactJournalAsync(ns, 4, None);

        Assert.Empty(await store.ReadJournalAsync(ns, 0, 100, None));
        Assert.Equal(4, await store.GetLatestSequenceAsync(ns, None));
        Assert.Equal(4, await store.GetCompactedThroughAsync(ns, None));

        var next = await store.MustApplyAsync(Append(File(ns, "/a")), Append(File(ns, "/b")));

        Assert.Equal([5L, 6L], next.Changes.Select(c => c.Sequence));
        Assert.Equal(next.Changes, await store.ReadJournalAsync(ns, 4, 100, None));
        Assert.Equal(6, await store.GetLatestSequenceAsync(ns, None));
    }

    [Fact]
    public async Task The_compaction_point_only_rises_and_never_passes_the_latest_sequence()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        await AppendAsync(store, ns, 5);

        await store.CompactJournalAsync(ns, 4, None);
        await store.CompactJournalAsync(ns, 2, None);

        Assert.Equal(4, await store.GetCompactedThroughAsync(ns, None));
        Assert.Equal([5L], (await store.ReadJournalAsync(ns, 0, 100, None)).Select(c => c.Sequence));

        await store.CompactJournalAsync(ns, 1_000, None);

        Assert.Equal(5, await store.GetCompactedThroughAsync(ns, None));
        var next = await store.MustApplyAsync(Append(File(ns, "/later")));
        Assert.Equal(6, next.Changes[0].Sequence);
        Assert.Equal(next.Changes, await store.ReadJournalAsync(ns, 5, 100, None));
    }

    [Fact]
    public async Task Compacting_one_namespace_leaves_the_others_alone()
    {
        var store = await CreateStoreAsync();
        var nsA = NewNamespace();
        var nsB = NewNamespace();
        await AppendAsync(store, nsA, 3);
        await AppendAsync(store, nsB, 3);

        await store.CompactJournalAsync(nsA, 3, None);
        await store.CompactJournalAsync(NewNamespace(), 10, None);

        Assert.Empty(await store.ReadJournalAsync(nsA, 0, 100, None));
        Assert.Equal([1L, 2L, 3L], (await store.ReadJournalAsync(nsB, 0, 100, None)).Select(c => c.Sequence));
        Assert.Equal(0, await store.GetCompactedThroughAsync(nsB, None));
        Assert.Equal(3, await store.GetLatestSequenceAsync(nsB, None));
    }

    [Fact]
    public async Task A_failed_batch_after_compaction_uses_no_sequence_number()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        await AppendAsync(store, ns, 2);
        await store.CompactJournalAsync(ns, 2, None);

        var failed = await store.ApplyAsync([Append(File(ns, "/x")), new MetadataWrite.CheckEntry(ns, "/missing", EntryExpectation.IsLiveFolder)], None);
        var next = await store.MustApplyAsync(Append(File(ns, "/y")));

        Assert.False(failed.Applied);
        Assert.Equal(3, next.Changes[0].Sequence);
        Assert.Equal(3, await store.GetLatestSequenceAsync(ns, None));
    }

    [Fact]
    public async Task Retention_compacts_the_entries_older_than_the_period_and_keeps_the_young_ones()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-06-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await AppendAsync(store, ns, 3, clock.GetUtcNow().AddDays(-100));
        await AppendAsync(store, ns, 2, clock.GetUtcNow().AddDays(-1), first: 3);
        var retention = new JournalRetention(store, new DropSyncOptions { JournalRetention = TimeSpan.FromDays(90) }, clock);

        Assert.Equal(3, await retention.CompactAsync(ns, None));
        Assert.Equal(3, await store.GetCompactedThroughAsync(ns, None));
        Assert.Equal([4L, 5L], (await store.ReadJournalAsync(ns, 0, 100, None)).Select(c => c.Sequence));

        // Nothing more until the young entries age too; then everything, and the sequence still goes on.
        Assert.Equal(3, await retention.CompactAsync(ns, None));
        clock.Advance(TimeSpan.FromDays(90));
        Assert.Equal(5, await retention.CompactAsync(ns, None));
        Assert.Empty(await store.ReadJournalAsync(ns, 0, 100, None));
        Assert.Equal(6, (await store.MustApplyAsync(Append(File(ns, "/after")))).Changes[0].Sequence);
    }

    [Fact]
    public async Task Retention_keeps_at_most_the_newest_max_entries_however_young()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await AppendAsync(store, ns, 5, clock.GetUtcNow());
        var retention = new JournalRetention(store, new DropSyncOptions { JournalMaxEntries = 2 }, clock);

        Assert.Equal(3, await retention.CompactAsync(ns, None));
        Assert.Equal([4L, 5L], (await store.ReadJournalAsync(ns, 0, 100, None)).Select(c => c.Sequence));
    }

    [Fact]
    public async Task One_retention_pass_compacts_at_most_its_share_and_the_next_goes_on()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await AppendAsync(store, ns, 5, clock.GetUtcNow().AddDays(-365));
        var retention = new JournalRetention(store, new DropSyncOptions { JournalMaxCompactedPerRun = 2 }, clock);

        Assert.Equal(2, await retention.CompactAsync(ns, None));
        Assert.Equal(4, await retention.CompactAsync(ns, None));
        Assert.Equal(5, await retention.CompactAsync(ns, None));
        Assert.Equal(5, await retention.CompactAsync(ns, None));
        Assert.Equal(0, await retention.CompactAsync(NewNamespace(), None));
    }

    private static async Task AppendAsync(IFileMetadataStore store, string ns, int count, DateTimeOffset time, int first = 0)
    {
        for (var i = first; i < first + count; i++)
        {
            await store.MustApplyAsync(Append(File(ns, $"/f{i}", at: time), ChangeKind.Added));
        }
    }

    private static Task AppendAsync(IFileMetadataStore store, string ns, int count) => AppendAsync(store, ns, count, T0);
}
