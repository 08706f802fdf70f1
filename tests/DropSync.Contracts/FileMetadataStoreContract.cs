using DropSync.Core.Content;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using Xunit;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Contracts;

/// <summary>
/// The behaviour every <see cref="IFileMetadataStore"/> adapter must have: all-or-nothing batches with optimistic
/// concurrency, per-namespace journal sequences, consistent reads, and exact listing of any name. Each concern is a
/// part of its own (FileMetadataStoreContract.*.cs); this one holds entries and namespaces and what the parts share.
/// </summary>
public abstract partial class FileMetadataStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly BlockRef[] NoBlocks = [];

    /// <summary>A new, empty store, isolated from every other test's; the subclass cleans it up.</summary>
    protected abstract Task<IFileMetadataStore> CreateStoreAsync();

    [Fact]
    public async Task Unknown_path_has_no_entry()
    {
        var store = await CreateStoreAsync();

        Assert.Null(await store.GetEntryAsync(NewNamespace(), "/nothing", None));
    }

    [Fact]
    public async Task Entries_round_trip_every_field()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var folder = Folder(ns, "/Docs", at: At(1));
        var file = File(ns, "/Docs/Report.PDF", size: 123_456_789_012, at: At(2)) with { DeviceId = "dev_a" };

        await store.MustApplyAsync(Put(folder), Put(file));

        Assert.Equal(folder, await store.GetEntryAsync(ns, "/docs", None));
        Assert.Equal(file, await store.GetEntryAsync(ns, "/docs/report.pdf", None));
        Assert.Null(await store.GetEntryAsync(ns, "/Docs/Report.PDF", None));
    }

    [Fact]
    public async Task A_tombstone_is_returned_with_IsDeleted()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var file = File(ns, "/a.txt");
        await store.MustApplyAsync(Put(file));
        var tombstone = file with { Rev = NewRev(), IsDeleted = true, ServerModified = At(5) };

        await store.MustApplyAsync(Put(tombstone, new EntryExpectation.HasRev(file.Rev)));

        Assert.Equal(tombstone, await store.GetEntryAsync(ns, "/a.txt", None));
    }

    [Fact]
    public async Task Namespaces_are_independent()
    {
        var store = await CreateStoreAsync();
        var nsA = NewNamespace();
        var nsB = NewNamespace();
        var inA = File(nsA, "/same.txt");
        var inB = File(nsB, "/same.txt");

        await store.MustApplyAsync(Put(inA));
        await store.MustApplyAsync(Put(inB));

        Assert.Equal(inA, await store.GetEntryAsync(nsA, "/same.txt", None));
        Assert.Equal(inB, await store.GetEntryAsync(nsB, "/same.txt", None));
        Assert.Equal([inA], await store.ListAsync(nsA, "", recursive: true, None));
    }

    /// <summary>
    /// A tree with names that sort around "/A/" by key ("/A!x", "/A.txt", "/A0", "/Ab"), tombstones below it, then
    /// <paramref name="more"/>, and a file of another namespace: what listings and their pages must get exactly right.
    /// </summary>
    private static MetadataWrite[] AwkwardTree(string ns, params MetadataWrite[] more) =>
    [
        Put(Folder(ns, "/A")), Put(File(ns, "/A/b.txt")), Put(Folder(ns, "/A/Sub")), Put(File(ns, "/A/Sub/c.txt")),
        Put(File(ns, "/A/Sub/Deleted.txt") with { IsDeleted = true }), Put(Folder(ns, "/A/Gone") with { IsDeleted = true }),
        Put(File(ns, "/A!x")), Put(File(ns, "/A.txt")), Put(File(ns, "/A0")), Put(Folder(ns, "/Ab")), Put(File(ns, "/Ab/d.txt")),
        .. more,
        Put(File(NewNamespace(), "/A/other-namespace.txt")),
    ];

    private static List<string> Keys(IEnumerable<FileEntry> entries) => entries.Select(e => e.PathKey).ToList();

    private static void AssertSameRevision(FileRevision expected, FileRevision? actual)
    {
        Assert.NotNull(actual);
        // Blocks are compared by content below; the record compares lists by reference.
        Assert.Equal(expected with { Blocks = NoBlocks }, actual with { Blocks = NoBlocks });
        Assert.Equal<BlockRef>(expected.Blocks, actual.Blocks);
    }
}
