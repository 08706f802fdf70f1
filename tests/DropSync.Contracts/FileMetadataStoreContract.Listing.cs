using DropSync.Core.Ports;
using Xunit;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Contracts;

/// <summary>Listings: a folder's children or everything below, exact for any name; deleted entries; a move's tombstone.</summary>
public abstract partial class FileMetadataStoreContract
{
    [Fact]
    public async Task Listing_gives_direct_children_or_everything_below_ordered_by_key_without_tombstones()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        await store.MustApplyAsync(AwkwardTree(ns));

        Assert.Equal(["/a", "/a!x", "/a.txt", "/a0", "/ab"], Keys(await store.ListAsync(ns, "", recursive: false, None)));
        Assert.Equal(["/a/b.txt", "/a/sub"], Keys(await store.ListAsync(ns, "/a", recursive: false, None)));
        Assert.Equal(["/a/b.txt", "/a/sub", "/a/sub/c.txt"], Keys(await store.ListAsync(ns, "/a", recursive: true, None)));
        Assert.Equal(
            ["/a", "/a!x", "/a.txt", "/a/b.txt", "/a/sub", "/a/sub/c.txt", "/a0", "/ab", "/ab/d.txt"],
            Keys(await store.ListAsync(ns, "", recursive: true, None)));
        Assert.Empty(await store.ListAsync(ns, "/a/sub/c.txt", recursive: true, None));
        Assert.Empty(await store.ListAsync(ns, "/nowhere", recursive: false, None));
    }

    [Fact]
    public async Task Listing_is_exact_for_hostile_names()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var writes = new List<MetadataWrite>();
        var display = "";
        var displays = new List<string>();
        foreach (var component in HostileComponents)
        {
            display += "/" + component;
            displays.Add(display);
            writes.Add(Put(component == HostileComponents[^1] ? File(ns, display) : Folder(ns, display)));
        }

        // Folders whose names are LIKE patterns, each beside a folder the pattern would also match.
        string[] patterns = ["/50%", "/50% off", "/a_b", "/axb", "/😀 emoji", "/😀", "/Ωμέγα", "/שלום", "/it's \"quoted\""];
        foreach (var folder in patterns)
        {
            writes.Add(Put(Folder(ns, folder)));
            writes.Add(Put(File(ns, folder + "/inside " + folder.Length + ".txt")));
        }

        await store.MustApplyAsync([.. writes]);

        foreach (var path in displays)
        {
            Assert.Equal(path, (await store.GetEntryAsync(ns, KeyOf(path), None))?.PathDisplay);
        }

        Assert.Equal(displays.Select(KeyOf).Skip(1), Keys(await store.ListAsync(ns, KeyOf(displays[0]), recursive: true, None)));
        Assert.Equal([KeyOf(displays[^1])], Keys(await store.ListAsync(ns, KeyOf(displays[^2]), recursive: false, None)));
        foreach (var folder in patterns)
        {
            var expected = new[] { KeyOf(folder + "/inside " + folder.Length + ".txt") };
            Assert.Equal(expected, Keys(await store.ListAsync(ns, KeyOf(folder), recursive: true, None)));
            Assert.Equal(expected, Keys(await store.ListAsync(ns, KeyOf(folder), recursive: false, None)));
        }

        // No name here has a UTF-16 code unit in U+E000..U+FFFF, so ordinal order is also UTF-8 byte (code point) order.
        var all = Keys(await store.ListAsync(ns, "", recursive: true, None));
        Assert.Equal(writes.Count, all.Count);
        Assert.Equal(all.Order(StringComparer.Ordinal), all);
    }

    [Fact]
    public async Task Deleted_entries_below_a_folder_are_listed_newest_first_up_to_the_limit()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        await store.MustApplyAsync(
            Put(Folder(ns, "/f")),
            Put(File(ns, "/f/old", at: At(1)) with { IsDeleted = true }),
            Put(File(ns, "/f/new", at: At(3)) with { IsDeleted = true }),
            Put(File(ns, "/f/sub/middle", at: At(2)) with { IsDeleted = true }),
            Put(File(ns, "/f/live", at: At(4))),
            Put(File(ns, "/f2/outside", at: At(5)) with { IsDeleted = true }));

        Assert.Equal(["/f/new", "/f/sub/middle", "/f/old"], Keys(await store.ListDeletedAsync(ns, "/f", 10, None)));
        Assert.Equal(["/f/new", "/f/sub/middle"], Keys(await store.ListDeletedAsync(ns, "/f", 2, None)));
        Assert.Equal(["/f2/outside", "/f/new", "/f/sub/middle", "/f/old"], Keys(await store.ListDeletedAsync(ns, "", 10, None)));
        Assert.All(await store.ListDeletedAsync(ns, "", 10, None), e => Assert.True(e.IsDeleted));
    }

    [Fact]
    public async Task A_tombstone_left_by_a_move_round_trips_and_is_not_listed_as_deleted_until_deleted_for_real()
    {
        var store = await CreateStoreAsync();
        var ns = NewNamespace();
        var movedAway = File(ns, "/f/moved", at: At(2)) with { IsDeleted = true, MovedAway = true };
        await store.MustApplyAsync(Put(Folder(ns, "/f")), Put(movedAway), Put(File(ns, "/f/gone", at: At(1)) with { IsDeleted = true }));

        var read = await store.GetEntryAsync(ns, "/f/moved", None);
        Assert.Equal(["/f/gone"], Keys(await store.ListDeletedAsync(ns, "", 10, None)));
        Assert.True(read is { IsDeleted: true, MovedAway: true });
        Assert.False((await store.GetEntryAsync(ns, "/f/gone", None))!.MovedAway);

        // A new file at that path, deleted in turn, is an ordinary deleted file.
        var again = File(ns, "/f/moved", at: At(3));
        await store.MustApplyAsync(Put(again, new EntryExpectation.HasRev(movedAway.Rev)));
        await store.MustApplyAsync(Put(again with { Rev = NewRev(), IsDeleted = true }, new EntryExpectation.HasRev(again.Rev)));

        Assert.Equal(["/f/moved", "/f/gone"], Keys(await store.ListDeletedAsync(ns, "", 10, None)));
        Assert.False((await store.GetEntryAsync(ns, "/f/moved", None))!.MovedAway);
    }
}
