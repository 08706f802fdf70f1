using DropSync.Core.Model;
using Xunit;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Contracts;

/// <summary>Keyset pages of a listing: the pages, joined, are the listing, whatever the page size.</summary>
public abstract partial class FileMetadataStoreContract
{
    private static async Task<List<FileEntry>> AllPagesAsync(Core.Ports.IFileMetadataStore store, string ns, string folder, bool recursive, int limit)
    {
        var all = new List<FileEntry>();
        string? after = null;
        while (true)
        {
            var page = await store.ListPageAsync(ns, folder, recursive, after, limit, None);
            Assert.True(page.Count <= limit);
            all.AddRange(page);
            if (page.Count < limit)
            {
                return all;
            }

            after = page[^1].PathKey;
        }
    }

    [Fact]
    public async Task Five_thousand_entries_page_by_key_a_thousand_at_a_time()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var files = Enumerable.Range(0, 5000).Select(i => File(ns, $"/Big/f{i:D5}")).Prepend(Folder(ns, "/Big")).ToList();
        foreach (var chunk in files.Chunk(Math.Min(store.MaxWritesPerBatch, 500)))
        {
            await store.MustApplyAsync([.. chunk.Select(e => Put(e))]);
        }

        var children = await AllPagesAsync(store, ns, "/big", recursive: false, 1000);
        var below = await AllPagesAsync(store, ns, "", recursive: true, 1000);
        var second = await store.ListPageAsync(ns, "/big", recursive: false, "/big/f00999", 1000, None);

        Assert.Equal(Enumerable.Range(0, 5000).Select(i => $"/big/f{i:D5}"), Keys(children));
        Assert.Equal(Keys(await store.ListAsync(ns, "", recursive: true, None)), Keys(below));
        Assert.Equal(5001, below.Count);
        Assert.Equal("/big/f01000", second[0].PathKey);
        Assert.Equal("/big/f01999", second[^1].PathKey);
    }

    [Fact]
    public async Task Pages_of_one_skip_tombstones_and_keep_key_order_for_awkward_names()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        await store.MustApplyAsync(AwkwardTree(ns, Put(File(ns, "/A/Hello, 世界"))));

        foreach (var (folder, recursive) in new[] { ("", false), ("", true), ("/a", false), ("/a", true), ("/a/sub", true), ("/nowhere", true) })
        {
            Assert.Equal(Keys(await store.ListAsync(ns, folder, recursive, None)), Keys(await AllPagesAsync(store, ns, folder, recursive, 1)));
        }

        // A key that is not an entry's still places the page: everything after it.
        Assert.Equal(["/a.txt", "/a/b.txt"], Keys(await store.ListPageAsync(ns, "", recursive: true, "/a!z", 2, None)));
        Assert.Equal(["/ab"], Keys(await store.ListPageAsync(ns, "", recursive: false, "/a1", 5, None)));
    }
}
