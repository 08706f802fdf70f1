using DropSync.Core.Content;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using Xunit;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Contracts;

/// <summary>
/// The behaviour every <see cref="IBlockIndex"/> adapter must have: dedup never answers for another user's blocks, and
/// a block that a revision references or a live upload session pins, or that is within its grace period, is never
/// collected.
/// </summary>
public abstract class BlockIndexContract
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly DateTimeOffset Far = At(1_000_000);

    /// <summary>A new, empty index with its file and session stores, isolated from every other test's; the subclass cleans up.</summary>
    protected abstract Task<BlockIndexSubjects> CreateStoresAsync();

    [Fact]
    public async Task A_user_is_told_only_of_blocks_that_user_stored()
    {
        var (index, _, _) = await CreateStoresAsync();
        var block = Block("alice's secret", 1234);

        await index.RecordAsync("u_alice", block.Hash, block.Size, At(0), None);

        Assert.Equal(new Dictionary<BlockHash, int> { [block.Hash] = 1234 }, await index.FindHeldAsync("u_alice", [block.Hash], None));
        Assert.Empty(await index.FindHeldAsync("u_bob", [block.Hash], None));

        await index.RecordAsync("u_bob", block.Hash, block.Size, At(1), None);
        Assert.Equal(new Dictionary<BlockHash, int> { [block.Hash] = 1234 }, await index.FindHeldAsync("u_bob", [block.Hash], None));
    }

    [Fact]
    public async Task Held_blocks_are_found_among_65536_asked_for()
    {
        var (index, _, _) = await CreateStoresAsync();
        var asked = Enumerable.Range(0, Limits.MaxBlocksPerFile).Select(i => Hash("asked " + i)).ToList();
        int[] heldAt = [0, 499, 500, 31_337, Limits.MaxBlocksPerFile - 1];
        foreach (var i in heldAt)
        {
            await index.RecordAsync("u_alice", asked[i], 100 + i, At(0), None);
        }

        await index.RecordAsync("u_alice", Hash("not asked"), 7, At(0), None);

        var held = await index.FindHeldAsync("u_alice", [.. asked, asked[0]], None);

        Assert.Equal(heldAt.ToDictionary(i => asked[i], i => 100 + i), held);
        Assert.Empty(await index.FindHeldAsync("u_alice", [], None));
    }

    [Fact]
    public async Task A_block_is_known_once_recorded()
    {
        var (index, _, _) = await CreateStoresAsync();
        var block = Block("known");

        Assert.False(await index.IsKnownAsync(block.Hash, None));
        await index.RecordAsync("u_alice", block.Hash, block.Size, At(0), None);
        Assert.True(await index.IsKnownAsync(block.Hash, None));
    }

    [Fact]
    public async Task Only_blocks_stored_before_the_grace_cutoff_are_candidates()
    {
        var (index, _, _) = await CreateStoresAsync();
        var old = Block("old");
        var fresh = Block("fresh");
        await index.RecordAsync("u_alice", old.Hash, old.Size, At(10), None);
        await index.RecordAsync("u_alice", fresh.Hash, fresh.Size, At(20), None);

        Assert.Empty(await index.ListUnreferencedAsync(At(10), Far, 100, None));
        Assert.Equal([new StoredBlock(old.Hash, old.Size, At(10))], await index.ListUnreferencedAsync(At(11), Far, 100, None));
        Assert.Equal(2, (await index.ListUnreferencedAsync(At(21), Far, 100, None)).Count);
        Assert.Single(await index.ListUnreferencedAsync(At(21), Far, 1, None));
    }

    [Fact]
    public async Task Recording_a_block_again_restarts_its_grace_period()
    {
        var (index, _, _) = await CreateStoresAsync();
        var block = Block("again");
        await index.RecordAsync("u_alice", block.Hash, block.Size, At(10), None);

        await index.RecordAsync("u_bob", block.Hash, block.Size, At(50), None);

        Assert.Empty(await index.ListUnreferencedAsync(At(40), Far, 100, None));
        Assert.False(await index.TryForgetAsync(block.Hash, At(40), None));
        Assert.Equal([block.Hash], (await index.ListUnreferencedAsync(At(51), Far, 100, None)).Select(b => b.Hash));
    }

    [Fact]
    public async Task A_block_referenced_by_a_revision_is_never_a_candidate_nor_forgotten()
    {
        var (index, files, _) = await CreateStoresAsync();
        var referenced = Block("referenced");
        var deletedFilesBlock = Block("deleted file's");
        await index.RecordAsync("u_alice", referenced.Hash, referenced.Size, At(0), None);
        await index.RecordAsync("u_alice", deletedFilesBlock.Hash, deletedFilesBlock.Size, At(0), None);
        var ns = NewNamespace();
        var file = File(ns, "/kept.bin");
        await files.MustApplyAsync(CreateFile(file, Block("x"), referenced));
        var deleted = File(ns, "/deleted.bin");
        await files.MustApplyAsync(CreateFile(deleted, deletedFilesBlock));
        await files.MustApplyAsync(Put(deleted with { Rev = NewRev(), IsDeleted = true }, new EntryExpectation.HasRev(deleted.Rev)));

        Assert.Empty(await index.ListUnreferencedAsync(Far, Far, 100, None));
        Assert.False(await index.TryForgetAsync(referenced.Hash, Far, None));
        Assert.False(await index.TryForgetAsync(deletedFilesBlock.Hash, Far, None));
        Assert.True(await index.IsKnownAsync(referenced.Hash, None));
        Assert.Single(await index.FindHeldAsync("u_alice", [referenced.Hash], None));
    }

    [Fact]
    public async Task A_block_pinned_by_a_live_upload_session_is_kept_until_the_session_expires()
    {
        var (index, _, sessions) = await CreateStoresAsync();
        var pinned = Block("pinned");
        await index.RecordAsync("u_alice", pinned.Hash, pinned.Size, At(0), None);
        await sessions.CreateAsync(PinningSession("u_alice", At(0), At(100), Block("other"), pinned), None);

        Assert.Empty(await index.ListUnreferencedAsync(At(50), At(99), 100, None));
        Assert.False(await index.TryForgetAsync(pinned.Hash, At(99), None));

        Assert.Equal([pinned.Hash], (await index.ListUnreferencedAsync(At(50), At(101), 100, None)).Select(b => b.Hash));
        Assert.True(await index.TryForgetAsync(pinned.Hash, At(101), None));
    }

    [Fact]
    public async Task A_block_appended_to_a_live_upload_session_is_pinned_as_its_first_blocks_are()
    {
        var (index, _, sessions) = await CreateStoresAsync();
        var appended = Block("appended");
        await index.RecordAsync("u_alice", appended.Hash, appended.Size, At(0), None);
        var session = PinningSession("u_alice", At(0), At(100), Block("first")) with { Size = Block("first").Size + appended.Size };
        await sessions.CreateAsync(session, None);

        Assert.True(await sessions.AppendBlocksAsync(session, [appended], None));

        Assert.Empty(await index.ListUnreferencedAsync(At(50), At(99), 100, None));
        Assert.False(await index.TryForgetAsync(appended.Hash, At(99), None));
        Assert.True(await index.TryForgetAsync(appended.Hash, At(101), None));
    }

    [Fact]
    public async Task An_aborted_sessions_blocks_are_candidates_at_once_except_those_a_file_or_a_later_session_holds()
    {
        var (index, files, sessions) = await CreateStoresAsync();
        var alone = Block("aborted, nothing else holds it");
        var inFile = Block("aborted, a file holds it");
        var inLater = Block("aborted, a later session pins it");
        foreach (var block in new[] { alone, inFile, inLater })
        {
            await index.RecordAsync("u_alice", block.Hash, block.Size, At(0), None);
        }

        await files.MustApplyAsync(CreateFile(File(NewNamespace(), "/kept.bin"), inFile));
        var aborted = PinningSession("u_alice", At(0), At(100), alone, inFile, inLater);
        await sessions.CreateAsync(aborted, None);
        await sessions.CreateAsync(PinningSession("u_alice", At(1), At(200), inLater), None);
        Assert.Empty(await index.ListUnreferencedAsync(At(50), At(20), 100, None));

        await sessions.MarkAbortedAsync(aborted.UploadId, At(10), None);

        // Long before the session's expiry (At(100)), once past the grace cutoff: only the block nothing else holds.
        Assert.Equal([alone.Hash], (await index.ListUnreferencedAsync(At(50), At(20), 100, None)).Select(b => b.Hash));
        Assert.False(await index.TryForgetAsync(inFile.Hash, At(20), None));
        Assert.False(await index.TryForgetAsync(inLater.Hash, At(20), None));
        Assert.True(await index.TryForgetAsync(alone.Hash, At(20), None));
        Assert.Single(await index.FindHeldAsync("u_alice", [inFile.Hash], None));
        Assert.Single(await index.FindHeldAsync("u_alice", [inLater.Hash], None));
    }

    [Fact]
    public async Task Forgetting_an_unreferenced_block_removes_every_record_of_it_once()
    {
        var (index, _, _) = await CreateStoresAsync();
        var block = Block("garbage");
        var other = Block("other garbage");
        await index.RecordAsync("u_alice", block.Hash, block.Size, At(0), None);
        await index.RecordAsync("u_bob", block.Hash, block.Size, At(0), None);
        await index.RecordAsync("u_bob", other.Hash, other.Size, At(0), None);

        Assert.True(await index.TryForgetAsync(block.Hash, At(10), None));

        // No one holds it from the moment it is given up; the caller deletes the bytes, then completes.
        Assert.Empty(await index.FindHeldAsync("u_alice", [block.Hash], None));
        Assert.Empty(await index.FindHeldAsync("u_bob", [block.Hash], None));
        await index.CompleteForgetAsync(block.Hash, None);

        Assert.False(await index.IsKnownAsync(block.Hash, None));
        Assert.Equal([other.Hash], (await index.ListUnreferencedAsync(At(10), At(10), 100, None)).Select(b => b.Hash));
        Assert.False(await index.TryForgetAsync(block.Hash, At(10), None));
        Assert.False(await index.TryForgetAsync(Hash("never recorded"), At(10), None));
        await index.CompleteForgetAsync(Hash("never recorded"), None);
    }

    [Fact]
    public async Task A_block_forgotten_and_completed_can_be_stored_again_and_is_then_kept_for_a_fresh_grace_period()
    {
        var (index, _, _) = await CreateStoresAsync();
        var block = Block("comes back");
        await index.RecordAsync("u_alice", block.Hash, block.Size, At(0), None);
        Assert.True(await index.TryForgetAsync(block.Hash, At(10), None));
        await index.CompleteForgetAsync(block.Hash, None);

        await index.RecordAsync("u_bob", block.Hash, block.Size, At(20), None);

        Assert.True(await index.IsKnownAsync(block.Hash, None));
        Assert.Equal(new Dictionary<BlockHash, int> { [block.Hash] = block.Size }, await index.FindHeldAsync("u_bob", [block.Hash], None));
        Assert.Empty(await index.FindHeldAsync("u_alice", [block.Hash], None));
        Assert.Empty(await index.ListUnreferencedAsync(At(20), At(30), 100, None));
        Assert.False(await index.TryForgetAsync(block.Hash, At(20), None));
        Assert.True(await index.TryForgetAsync(block.Hash, At(21), None));
    }

    [Fact]
    public async Task A_candidate_that_becomes_referenced_before_it_is_forgotten_is_kept()
    {
        var (index, files, sessions) = await CreateStoresAsync();
        var byRevision = Block("revision arrives");
        var bySession = Block("session arrives");
        await index.RecordAsync("u_alice", byRevision.Hash, byRevision.Size, At(0), None);
        await index.RecordAsync("u_alice", bySession.Hash, bySession.Size, At(0), None);
        var candidates = await index.ListUnreferencedAsync(At(10), At(10), 100, None);
        Assert.Equal(2, candidates.Count);

        await files.MustApplyAsync(CreateFile(File(NewNamespace(), "/late.bin"), byRevision));
        await sessions.CreateAsync(PinningSession("u_alice", At(0), At(1000), bySession), None);

        Assert.False(await index.TryForgetAsync(byRevision.Hash, At(10), None));
        Assert.False(await index.TryForgetAsync(bySession.Hash, At(10), None));
        Assert.True(await index.IsKnownAsync(byRevision.Hash, None));
        Assert.True(await index.IsKnownAsync(bySession.Hash, None));
    }

    [Fact]
    public async Task A_candidate_stored_again_at_or_after_the_collectors_now_is_kept()
    {
        // The collector takes "now", lists candidates, then forgets them one by one; a block uploaded again meanwhile
        // is about to be referenced by a commit that does not exist yet.
        var (index, _, _) = await CreateStoresAsync();
        var block = Block("uploaded again");
        await index.RecordAsync("u_alice", block.Hash, block.Size, At(0), None);
        Assert.Single(await index.ListUnreferencedAsync(At(10), At(100), 100, None));

        await index.RecordAsync("u_alice", block.Hash, block.Size, At(100), None);

        Assert.False(await index.TryForgetAsync(block.Hash, At(100), None));
        Assert.Single(await index.FindHeldAsync("u_alice", [block.Hash], None));
    }
}
