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
}
