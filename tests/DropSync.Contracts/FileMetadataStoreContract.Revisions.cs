using DropSync.Core.Content;
using DropSync.Core.Ports;
using Xunit;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Contracts;

/// <summary>Revisions: listed newest first with their blocks in order, found by rev within their namespace only.</summary>
public abstract partial class FileMetadataStoreContract
{
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
}
