using DropSync.Client.Api;
using DropSync.Client.Sync;
using DropSync.Core.Content;

namespace DropSync.Client.Tests;

/// <summary>When the planner takes a server revision to hold the bytes the index recorded (no download, no conflict).</summary>
public sealed class SameContentTests
{
    private static readonly BlockRef[] Blocks = [new(BlockHash.Of("one"u8), 3), new(BlockHash.Of("two"u8), 3)];
    private static readonly string Pieces = ContentHasher.Compute("onetwo"u8.ToArray());
    private static readonly string BlockList = ContentHash.OfBlockList(Blocks).ToString();
    private static readonly string OtherBlockList = ContentHash.OfBlockList([new(BlockHash.Of("onetwo"u8), 6)]).ToString();

    public static TheoryData<string, string?, long, string?, bool> Cases => new()
    {
        { "same hash, same size", Pieces, 6, Pieces, true },
        { "same hash, other size", Pieces, 7, Pieces, false },
        { "other hash of the same kind", Pieces, 6, ContentHasher.Compute("other!"u8.ToArray()), false },
        { "the server's revision has no content hash", Pieces, 6, null, false },
        { "the index has no content hash", null, 6, Pieces, false },
        { "Dropbox's hash indexed, b1 of the index's own blocks on the server", Pieces, 6, BlockList, true },
        { "Dropbox's hash indexed, b1 of other blocks on the server", Pieces, 6, OtherBlockList, false },
        { "b1 indexed, Dropbox's hash on the server (not derivable from names)", BlockList, 6, Pieces, false },
        { "b1 on both sides", BlockList, 6, BlockList, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_revision_is_the_indexed_bytes_only_when_a_hash_proves_it(string why, string? indexed, long remoteSize, string? remote, bool same)
    {
        var entry = new IndexEntry("/f", "/f", false, 6, 0, "r1", indexed, Blocks);
        var revision = new RemoteEntry("file", "/f", "f", "r2", remoteSize, remote, null, null);

        Assert.True(same == SyncPlanner.SameContent(entry, revision), why);
    }

    public static TheoryData<string, long, string, long?, string?, ContentCheck> BeforeAddCases => new()
    {
        { "other size: different, nothing hashed", 6, "file", 7, BlockList, ContentCheck.Different },
        { "no content hash on the server", 6, "file", 6, null, ContentCheck.Different },
        { "a folder", 6, "folder", null, null, ContentCheck.Different },
        { "a malformed hash", 6, "file", 6, "b1:zz", ContentCheck.Different },
        { "Dropbox's hash: no cut changes it, hash the local pieces", 6, "file", 6, Pieces, ContentCheck.HashPieces },
        { "b1: depends on the cut, hash at the server's cuts", 6, "file", 6, OtherBlockList, ContentCheck.HashAtRemoteCuts },
    };

    [Theory]
    [MemberData(nameof(BeforeAddCases))]
    public void Before_an_add_onto_a_server_file_only_equal_sizes_are_hashed_and_by_the_revisions_kind(
        string why, long localSize, string tag, long? remoteSize, string? remote, ContentCheck expected)
    {
        var revision = new RemoteEntry(tag, "/f", "f", "r2", remoteSize, remote, null, null);

        Assert.True(expected == ContentMatch.BeforeAdd(localSize, revision), why);
    }

    public static TheoryData<string, BlockHash[], string, bool> AtCutsCases => new()
    {
        { "every range is the revision's block: same bytes though the local cut differs", [Blocks[0].Hash, Blocks[1].Hash], BlockList, true },
        { "the second range differs", [Blocks[0].Hash, BlockHash.Of("tw0"u8)], BlockList, false },
        { "hashing stopped at the first mismatch", [], BlockList, false },
        { "the blocks match but do not make the revision's value", [Blocks[0].Hash, Blocks[1].Hash], OtherBlockList, false },
    };

    [Theory]
    [MemberData(nameof(AtCutsCases))]
    public void At_the_servers_cuts_every_name_and_the_value_must_match(string why, BlockHash[] local, string remote, bool same)
    {
        var revision = new RemoteEntry("file", "/f", "f", "r2", 6, remote, null, null);

        Assert.True(same == ContentMatch.SameAtCuts(Blocks, local, revision), why);
    }

    [Fact]
    public void Pieces_compare_by_dropboxs_hash_only()
    {
        var revision = new RemoteEntry("file", "/f", "f", "r2", 6, Pieces, null, null);

        Assert.True(ContentMatch.SamePieces(ContentHasher.Compute("onetwo"u8.ToArray()), revision));
        Assert.False(ContentMatch.SamePieces(ContentHasher.Compute("onetwO"u8.ToArray()), revision));
    }

    [Fact]
    public void An_index_entry_is_known_by_its_hash_and_by_the_b1_value_its_blocks_make()
    {
        Assert.Equal([Pieces, BlockList], SyncPlanner.ContentKeys(new IndexEntry("/f", "/f", false, 6, 0, "r1", Pieces, Blocks)));
        Assert.Equal([BlockList], SyncPlanner.ContentKeys(new IndexEntry("/f", "/f", false, 6, 0, "r1", BlockList, Blocks)));
        // Blocks that do not cover the size (an entry from before blocks were recorded) make no b1 value.
        Assert.Equal([Pieces], SyncPlanner.ContentKeys(new IndexEntry("/f", "/f", false, 7, 0, "r1", Pieces, Blocks)));
    }

    [Fact]
    public void A_server_move_of_a_file_indexed_with_dropboxs_hash_is_a_move_when_its_b1_value_follows_from_the_indexed_blocks()
    {
        var indexed = new IndexEntry("a.bin", "/a.bin", false, 6, 5, "r1", Pieces, Blocks);
        var input = new PlannerInput(
            new Dictionary<string, LocalItem> { ["a.bin"] = new("a.bin", "a.bin", false, 6, 5) },
            new Dictionary<string, IndexEntry> { ["a.bin"] = indexed },
            new Dictionary<string, RemoteEntry> { ["b.bin"] = new("file", "/b.bin", "b.bin", "r2", 6, BlockList, null, null) },
            new Dictionary<string, (long, long)>());

        var plan = SyncPlanner.Plan(input);

        var move = Assert.Single(plan.MovesLocal);
        Assert.Equal("/a.bin", move.From.Path);
        Assert.Empty(plan.Downloads);
        Assert.Empty(plan.DeleteLocal);
    }

    [Theory]
    [InlineData(6, true)]
    [InlineData(7, false)]
    public void A_file_new_on_both_sides_is_compared_before_its_add_only_when_the_sizes_are_equal(long remoteSize, bool compared)
    {
        var input = new PlannerInput(
            new Dictionary<string, LocalItem> { ["a.bin"] = new("a.bin", "a.bin", false, 6, 5) },
            new Dictionary<string, IndexEntry>(),
            new Dictionary<string, RemoteEntry> { ["a.bin"] = new("file", "/a.bin", "a.bin", "r2", remoteSize, OtherBlockList, null, null) },
            new Dictionary<string, (long, long)>());

        var upload = Assert.Single(SyncPlanner.Plan(input).Uploads);

        Assert.Equal("add", upload.Mode);
        Assert.Equal(compared, upload.Over is not null);
    }
}

