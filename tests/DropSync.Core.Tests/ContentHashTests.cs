using DropSync.Core.Content;

namespace DropSync.Core.Tests;

/// <summary>
/// The block-list content hash (<c>b1:</c>): SHA-256 over each block's 32-byte name and 8-byte little-endian length, in
/// file order. The expected values were computed apart from this code (Python's hashlib and struct.pack('&lt;q')), so a
/// change of the encoding fails here.
/// </summary>
public sealed class ContentHashTests
{
    private const string Abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; // SHA-256("abc")
    private const string Zeros4MiB = "bb9f8df61474d25e71fa00722318cd387396ca1736605e1248821cc0de3d3af8"; // SHA-256 of 4 MiB of zeros

    public static TheoryData<string[], int[], string> BlockLists => new()
    {
        { [], [], "b1:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
        { [Abc], [3], "b1:39e6ecbb90eec724b8db13f608fbf85c4ead558d6dfbbf2942ab4d6a6d536457" },
        { [Abc, Zeros4MiB], [3, 4 * 1024 * 1024], "b1:fff89f3ed1aeb3e315d3550d4e4e1e1c00bc95a19eedd747db43a9706ff58717" },
        { [Zeros4MiB, Abc], [4 * 1024 * 1024, 3], "b1:de5a6b1c6c6c31acf48a6d8f7b459b9fd23d56240d3ca68aac7b433fa9aff0c5" },
    };

    [Theory]
    [MemberData(nameof(BlockLists))]
    public void The_block_list_hash_is_sha256_over_names_and_little_endian_lengths(string[] names, int[] sizes, string expected)
    {
        var blocks = names.Select((n, i) => new BlockRef(BlockHash.Parse(n), sizes[i])).ToList();

        var hash = ContentHash.OfBlockList(blocks);

        Assert.Equal(expected, hash.ToString());
        Assert.Equal(ContentHashKind.BlockList, hash.Kind);
        Assert.Equal(expected, ContentHash.FromNames(blocks, ContentHashKind.BlockList));
    }

    [Fact]
    public void The_length_is_part_of_the_hash()
    {
        var three = ContentHash.OfBlockList([new BlockRef(BlockHash.Parse(Abc), 3)]);
        var four = ContentHash.OfBlockList([new BlockRef(BlockHash.Parse(Abc), 4)]);

        Assert.NotEqual(three, four);
    }

    [Theory]
    [InlineData("b1:" + Abc, true, ContentHashKind.BlockList, "b1:" + Abc)]
    [InlineData(Abc, true, ContentHashKind.Pieces, Abc)]
    [InlineData("B1:" + Abc, false, ContentHashKind.Pieces, null)]
    [InlineData("b1:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", true, ContentHashKind.BlockList, "b1:" + Abc)]
    [InlineData("b1:", false, ContentHashKind.Pieces, null)]
    [InlineData("b2:" + Abc, false, ContentHashKind.Pieces, null)]
    [InlineData("b1:" + Abc + "0", false, ContentHashKind.Pieces, null)]
    [InlineData("", false, ContentHashKind.Pieces, null)]
    public void Parsing_reads_the_kind_from_the_tag(string text, bool valid, ContentHashKind kind, string? written)
    {
        Assert.Equal(valid, ContentHash.TryParse(text, out var hash));
        if (valid)
        {
            Assert.Equal(kind, hash.Kind);
            Assert.Equal(written, hash.ToString());
        }
    }

    [Theory]
    [InlineData(Abc, Abc, true)]
    [InlineData(Abc, Zeros4MiB, false)]
    [InlineData("b1:" + Abc, "b1:" + Abc, true)]
    [InlineData("b1:" + Abc, "b1:" + Zeros4MiB, false)]
    [InlineData(Abc, "b1:" + Abc, null)]
    [InlineData("b1:" + Zeros4MiB, Abc, null)]
    [InlineData(null, Abc, null)]
    public void Content_hashes_compare_only_within_a_kind(string? a, string? b, bool? same)
    {
        Assert.Equal(same, ContentHash.SameContent(a, b));
    }

    [Fact]
    public void The_pieces_kind_follows_from_names_only_for_aligned_blocks()
    {
        var aligned = new List<BlockRef> { new(BlockHash.Parse(Zeros4MiB), 4 * 1024 * 1024), new(BlockHash.Parse(Abc), 3) };
        var unaligned = new List<BlockRef> { new(BlockHash.Parse(Abc), 3), new(BlockHash.Parse(Zeros4MiB), 4 * 1024 * 1024) };

        Assert.Equal(ContentHasher.FromAlignedBlocks(aligned), ContentHash.FromNames(aligned, ContentHashKind.Pieces));
        Assert.Null(ContentHash.FromNames(unaligned, ContentHashKind.Pieces));
        Assert.StartsWith("b1:", ContentHash.FromNames(unaligned, ContentHashKind.BlockList));
    }

    [Theory]
    [InlineData(ContentHashKind.Pieces, null, null)]
    [InlineData(ContentHashKind.Pieces, Abc, Abc)]
    [InlineData(ContentHashKind.BlockList, null, "b1:")]
    [InlineData(ContentHashKind.BlockList, "b1:" + Abc, "b1:" + Abc)]
    public void An_upload_sessions_kind_and_declared_hash_share_one_stored_field(ContentHashKind kind, string? declared, string? stored)
    {
        var session = new Model.UploadSession
        {
            UploadId = "up_1",
            UserId = "u",
            DeviceId = "d",
            NamespaceId = "ns",
            PathDisplay = "/a",
            Size = 0,
            Blocks = [],
            Mode = Model.WriteMode.Add,
            ClientContentHash = declared,
            ContentHashKind = kind,
            CreatedAt = DateTimeOffset.UnixEpoch,
            ExpiresAt = DateTimeOffset.UnixEpoch,
        };

        Assert.Equal(stored, session.StoredClientHash);
        Assert.Equal((kind, declared), Model.UploadSession.ParseStoredClientHash(session.StoredClientHash));
    }
}
