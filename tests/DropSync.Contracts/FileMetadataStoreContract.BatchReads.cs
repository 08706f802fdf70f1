using DropSync.Core.Model;
using DropSync.Core.Ports;
using Xunit;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Contracts;

/// <summary>Batch point reads answer what the single reads would, key by key, tombstones included and unknown keys left out.</summary>
public abstract partial class FileMetadataStoreContract
{
    private static async Task ApplyInChunksAsync(IFileMetadataStore store, IEnumerable<MetadataWrite[]> groups)
    {
        var size = Math.Min(store.MaxWritesPerBatch, 300);
        var chunk = new List<MetadataWrite>();
        foreach (var group in groups)
        {
            if (chunk.Count + group.Length > size)
            {
                await store.MustApplyAsync([.. chunk]);
                chunk.Clear();
            }

            chunk.AddRange(group);
        }

        if (chunk.Count > 0)
        {
            await store.MustApplyAsync([.. chunk]);
        }
    }

    [Fact]
    public async Task Entries_are_read_in_a_batch_with_tombstones_and_without_unknown_keys()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var other = NewNamespace();
        var files = Enumerable.Range(0, 1100).Select(i => File(ns, $"/Many/f{i:D4}.txt")).ToList();
        await ApplyInChunksAsync(store, files.Select(f => new MetadataWrite[] { Put(f) }).Prepend([Put(Folder(ns, "/Many"))]));
        var deleted = File(ns, "/Gone.txt") with { IsDeleted = true };
        var movedAway = File(ns, "/Moved.txt") with { IsDeleted = true, MovedAway = true };
        await store.MustApplyAsync(Put(deleted), Put(movedAway), Put(File(other, "/Elsewhere.txt")));

        string[] unknown = ["/nowhere.txt", "/many/f9999.txt", "/elsewhere.txt"];
        var keys = files.Select(f => f.PathKey).Concat(["/gone.txt", "/moved.txt", "/many"]).Concat(unknown).Append(files[7].PathKey).ToList();
        var found = await store.GetEntriesAsync(ns, keys, None);

        Assert.Equal(1103, found.Count);
        foreach (var key in keys.Except(unknown))
        {
            Assert.Equal(await store.GetEntryAsync(ns, key, None), found[key]);
        }

        Assert.True(found["/gone.txt"].IsDeleted);
        Assert.False(found["/gone.txt"].MovedAway);
        Assert.True(found["/moved.txt"].MovedAway);
        Assert.All(unknown, key => Assert.False(found.ContainsKey(key)));
        Assert.Empty(await store.GetEntriesAsync(ns, [], None));
        Assert.Equal(["/elsewhere.txt"], (await store.GetEntriesAsync(other, keys, None)).Keys);
    }

    [Fact]
    public async Task Revisions_are_read_in_a_batch_with_their_blocks_in_order_and_without_unknown_revs()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var files = Enumerable.Range(0, 1100).Select(i => File(ns, $"/r{i:D4}.bin")).ToList();
        var blocksOf = files.ToDictionary(f => f.Rev, f => new[] { Block(f.Rev + " a", 10), Block(f.Rev + " b", 20) });
        await ApplyInChunksAsync(store, files.Select(f => CreateFile(f, blocksOf[f.Rev])));
        var big = File(ns, "/big.bin");
        var bigBlocks = Enumerable.Range(0, 3000).Select(i => Block("block " + (i % 1000), 1 + i)).ToArray();
        await store.MustApplyAsync(CreateFile(big, bigBlocks));
        var elsewhere = File(NewNamespace(), "/elsewhere.bin");
        await store.MustApplyAsync(CreateFile(elsewhere, Block("elsewhere")));

        var revs = files.Select(f => f.Rev).Append(big.Rev).Append(NewRev()).Append(elsewhere.Rev).Append(files[3].Rev).ToList();
        var found = await store.GetRevisionsAsync(ns, revs, None);

        Assert.Equal(1101, found.Count);
        foreach (var file in files)
        {
            AssertSameRevision(Revision(file, blocksOf[file.Rev]), found[file.Rev]);
        }

        AssertSameRevision(Revision(big, bigBlocks), found[big.Rev]);
        Assert.False(found.ContainsKey(elsewhere.Rev));
        Assert.Empty(await store.GetRevisionsAsync(ns, [], None));
    }
}
