using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using Xunit;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Contracts;

/// <summary>The behaviour every <see cref="IUploadSessionStore"/> adapter must have.</summary>
public abstract class UploadSessionStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly BlockRef[] NoBlocks = [];

    /// <summary>A new, empty store, isolated from every other test's; the subclass cleans it up.</summary>
    protected abstract Task<IUploadSessionStore> CreateStoreAsync();

    [Fact]
    public async Task A_session_round_trips_with_its_blocks_in_order()
    {
        var store = await CreateStoreAsync();
        var session = NewSession(At(100), Block("b", 5), Block("a", 7), Block("b", 5), Block("c", 1)) with
        {
            Mode = WriteMode.Update,
            ExpectedRev = NewRev(),
            ClientContentHash = new string('c', 64),
        };

        await store.CreateAsync(session, None);

        AssertSameSession(session, await store.GetAsync(session.UploadId, None));
        Assert.Null(await store.GetAsync("up_unknown", None));
    }

    [Fact]
    public async Task A_sessions_content_hash_kind_round_trips_with_and_without_a_declared_hash()
    {
        var store = await CreateStoreAsync();
        var wanted = NewSession(At(100), Block("k", 5)) with { ContentHashKind = ContentHashKind.BlockList };
        var declared = NewSession(At(100), Block("k", 5)) with
        {
            ContentHashKind = ContentHashKind.BlockList,
            ClientContentHash = ContentHash.BlockListPrefix + new string('d', 64),
        };
        var pieces = NewSession(At(100), Block("k", 5));

        await store.CreateAsync(wanted, None);
        await store.CreateAsync(declared, None);
        await store.CreateAsync(pieces, None);

        AssertSameSession(wanted, await store.GetAsync(wanted.UploadId, None));
        AssertSameSession(declared, await store.GetAsync(declared.UploadId, None));
        AssertSameSession(pieces, await store.GetAsync(pieces.UploadId, None));
        Assert.Equal(ContentHashKind.Pieces, (await store.GetAsync(pieces.UploadId, None))!.ContentHashKind);
    }

    [Fact]
    public async Task A_session_of_an_empty_file_and_one_of_many_blocks_round_trip()
    {
        var store = await CreateStoreAsync();
        var empty = NewSession(At(100));
        var large = NewSession(At(100), Enumerable.Range(0, 5000).Select(i => Block("part " + i, 1 + (i % 4096))).ToArray());

        await store.CreateAsync(empty, None);
        await store.CreateAsync(large, None);

        AssertSameSession(empty, await store.GetAsync(empty.UploadId, None));
        AssertSameSession(large, await store.GetAsync(large.UploadId, None));
    }

    [Fact]
    public async Task Marking_a_session_committed_records_the_rev_and_keeps_the_rest()
    {
        var store = await CreateStoreAsync();
        var session = NewSession(At(100), Block("x"));
        var other = NewSession(At(100), Block("y"));
        await store.CreateAsync(session, None);
        await store.CreateAsync(other, None);
        var rev = NewRev();

        await store.MarkCommittedAsync(session.UploadId, rev, None);

        AssertSameSession(session with { CommittedRev = rev }, await store.GetAsync(session.UploadId, None));
        AssertSameSession(other, await store.GetAsync(other.UploadId, None));
    }

    [Fact]
    public async Task Blocks_appended_in_parts_extend_the_list_in_order_and_a_stale_append_changes_nothing()
    {
        var store = await CreateStoreAsync();
        var first = new[] { Block("p0", 5), Block("p1", 7) };
        var part = new[] { Block("p2", 3), Block("p0", 5), Block("p3", 1) };
        var session = NewSession(At(100), first) with { Size = 21 };
        await store.CreateAsync(session, None);

        Assert.True(await store.AppendBlocksAsync(session, part, None));
        // Appending again from the old count (a concurrent or retried part): refused, nothing written.
        Assert.False(await store.AppendBlocksAsync(session, [Block("other", 4)], None));

        var extended = session with { Blocks = [.. first, .. part] };
        AssertSameSession(extended, await store.GetAsync(session.UploadId, None));
        Assert.False(await store.AppendBlocksAsync(session with { UploadId = "up_unknown" }, part, None));
    }

    [Fact]
    public async Task Parts_that_cross_the_stores_item_boundaries_round_trip()
    {
        // 8,192 blocks fit one DynamoDB item: the parts below move the list out of the head item into chunks, then add chunks.
        var store = await CreateStoreAsync();
        BlockRef[] Blocks(int from, int count) => Enumerable.Range(from, count).Select(i => Block("many " + i, 1 + (i % 4096))).ToArray();
        var session = NewSession(At(100), Blocks(0, 8000));
        await store.CreateAsync(session, None);

        foreach (var (from, count) in new[] { (8000, 192), (8192, 1), (8193, 9000), (17193, 7) })
        {
            Assert.True(await store.AppendBlocksAsync(session, Blocks(from, count), None));
            session = session with { Blocks = [.. session.Blocks, .. Blocks(from, count)] };
            AssertSameSession(session, await store.GetAsync(session.UploadId, None));
        }
    }

    [Fact]
    public async Task A_committed_session_takes_no_more_blocks()
    {
        var store = await CreateStoreAsync();
        var session = NewSession(At(100), Block("c0"));
        await store.CreateAsync(session, None);
        var rev = NewRev();
        await store.MarkCommittedAsync(session.UploadId, rev, None);

        Assert.False(await store.AppendBlocksAsync(session, [Block("c1")], None));

        AssertSameSession(session with { CommittedRev = rev }, await store.GetAsync(session.UploadId, None));
    }

    [Fact]
    public async Task Only_sessions_that_expired_before_now_are_deleted()
    {
        var store = await CreateStoreAsync();
        var expired = NewSession(At(10), Block("e1"));
        var alsoExpired = NewSession(At(20), Block("e2"));
        var live = NewSession(At(31), Block("l"));
        foreach (var session in new[] { expired, alsoExpired, live })
        {
            await store.CreateAsync(session, None);
        }

        Assert.Equal(2, await store.DeleteExpiredAsync(At(30), None));

        Assert.Null(await store.GetAsync(expired.UploadId, None));
        Assert.Null(await store.GetAsync(alsoExpired.UploadId, None));
        AssertSameSession(live, await store.GetAsync(live.UploadId, None));
        Assert.Equal(0, await store.DeleteExpiredAsync(At(30), None));
    }

    [Fact]
    public async Task Only_the_users_unfinished_unexpired_sessions_count_against_the_cap()
    {
        var store = await CreateStoreAsync();
        var open = NewSession(At(100), Block("o1"));
        var alsoOpen = NewSession(At(50));
        var finished = NewSession(At(100), Block("f"));
        var expired = NewSession(At(10), Block("x"));
        var others = NewSession(At(100)) with { UserId = "u_bob" };
        foreach (var session in new[] { open, alsoOpen, finished, expired, others })
        {
            await store.CreateAsync(session, None);
        }

        await store.MarkCommittedAsync(finished.UploadId, NewRev(), None);

        Assert.Equal(2, await store.CountOpenAsync("u_alice", At(30), None));
        Assert.Equal(1, await store.CountOpenAsync("u_alice", At(60), None));
        Assert.Equal(1, await store.CountOpenAsync("u_bob", At(30), None));
        Assert.Equal(0, await store.CountOpenAsync("u_carol", At(30), None));
        await store.RequireRoomForSessionAsync("u_alice", 3, At(30), None);
        var full = await Assert.ThrowsAsync<DropSyncException>(() => store.RequireRoomForSessionAsync("u_alice", 2, At(30), None));
        Assert.Equal(ErrorCodes.TooManyUploadSessions, full.Code);
    }

    [Fact]
    public async Task An_aborted_session_no_longer_counts_as_open_takes_no_blocks_and_keeps_its_first_abort()
    {
        var store = await CreateStoreAsync();
        var aborted = NewSession(At(100), Block("ab1"));
        var open = NewSession(At(100), Block("ab2"));
        await store.CreateAsync(aborted, None);
        await store.CreateAsync(open, None);
        Assert.Equal(2, await store.CountOpenAsync("u_alice", At(30), None));

        await store.MarkAbortedAsync(aborted.UploadId, At(40), None);

        // Out of the cap's count at once, not when it expires.
        Assert.Equal(1, await store.CountOpenAsync("u_alice", At(30), None));
        await store.RequireRoomForSessionAsync("u_alice", 2, At(30), None);
        Assert.False(await store.AppendBlocksAsync(aborted, [Block("ab3")], None));
        AssertSameSession(aborted with { AbortedAt = At(40) }, await store.GetAsync(aborted.UploadId, None));

        // Again (a retried abort): nothing changes, the first time is kept.
        await store.MarkAbortedAsync(aborted.UploadId, At(50), None);
        Assert.Equal(1, await store.CountOpenAsync("u_alice", At(30), None));
        AssertSameSession(aborted with { AbortedAt = At(40) }, await store.GetAsync(aborted.UploadId, None));
        AssertSameSession(open, await store.GetAsync(open.UploadId, None));
    }

    [Fact]
    public async Task Aborting_a_committed_or_unknown_session_changes_nothing_and_an_aborted_one_expires_as_any()
    {
        var store = await CreateStoreAsync();
        var committed = NewSession(At(100), Block("ac1"));
        var aborted = NewSession(At(20), Block("ac2"));
        await store.CreateAsync(committed, None);
        await store.CreateAsync(aborted, None);
        var rev = NewRev();
        await store.MarkCommittedAsync(committed.UploadId, rev, None);

        await store.MarkAbortedAsync(committed.UploadId, At(10), None);
        await store.MarkAbortedAsync("up_unknown", At(10), None);
        await store.MarkAbortedAsync(aborted.UploadId, At(10), None);

        AssertSameSession(committed with { CommittedRev = rev }, await store.GetAsync(committed.UploadId, None));
        Assert.Null(await store.GetAsync("up_unknown", None));
        Assert.Equal(0, await store.CountOpenAsync("u_alice", At(5), None));
        Assert.Equal(1, await store.DeleteExpiredAsync(At(30), None));
        Assert.Null(await store.GetAsync(aborted.UploadId, None));
    }

    private static UploadSession NewSession(DateTimeOffset expiresAt, params BlockRef[] blocks) => new()
    {
        UploadId = "up_" + Guid.NewGuid().ToString("N"),
        UserId = "u_alice",
        DeviceId = "dev_laptop",
        NamespaceId = NewNamespace(),
        PathDisplay = "/Uploads/hello? sausage/Hello, 世界.bin",
        Size = blocks.Sum(b => (long)b.Size),
        Blocks = blocks,
        Mode = WriteMode.Add,
        CreatedAt = At(1),
        ExpiresAt = expiresAt,
    };

    private static void AssertSameSession(UploadSession expected, UploadSession? actual)
    {
        Assert.NotNull(actual);
        // Blocks are compared by content below; the record compares lists by reference.
        Assert.Equal(expected with { Blocks = NoBlocks }, actual with { Blocks = NoBlocks });
        Assert.Equal<BlockRef>(expected.Blocks, actual.Blocks);
    }
}
