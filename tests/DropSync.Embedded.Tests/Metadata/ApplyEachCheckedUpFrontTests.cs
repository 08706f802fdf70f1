using DropSync.Core.Model;
using DropSync.Core.Ports;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Embedded.Tests.Metadata;

/// <summary>
/// <see cref="SqliteMetadataStore.ApplyEachAsync"/> checks a file commit's expectations before writing it, without a
/// savepoint, and keeps savepoints for batches that write a key twice: either way a failed batch leaves no trace and
/// a later batch sees what the earlier ones wrote (first-wins per batch).
/// </summary>
public sealed class ApplyEachCheckedUpFrontTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly TempMetadataDatabase _database = new();

    [Fact]
    public async Task A_commit_into_a_new_folder_that_fails_its_last_check_creates_neither_the_folder_nor_a_journal_entry()
    {
        var store = _database.Open();
        var ns = NewNamespace();
        var taken = File(ns, "/d/taken.txt");
        var loser = File(ns, "/d/taken.txt");
        var other = File(ns, "/e/ok.txt");
        var otherFolder = Folder(ns, "/e");
        var setUp = await store.ApplyEachAsync([[Put(Folder(ns, "/d")), .. CreateFile(taken)]], None);
        Assert.True(setUp.Single().Applied);

        var results = await store.ApplyEachAsync(
            [
                // A new folder "/x" and a file in it whose expectation (absent) fails on "/d/taken.txt": nothing of it may stay.
                [Put(Folder(ns, "/x")), Append(Folder(ns, "/x"), ChangeKind.FolderCreated), new MetadataWrite.CheckEntry(ns, "/d", EntryExpectation.IsLiveFolder), Put(loser), Append(loser)],
                [Put(otherFolder), Append(otherFolder, ChangeKind.FolderCreated), .. CreateFile(other)],
            ],
            None);

        Assert.False(results[0].Applied);
        Assert.Equal(3, results[0].FailedWriteIndex);
        Assert.True(results[1].Applied);
        Assert.Null(await store.GetEntryAsync(ns, "/x", None));
        Assert.Equal(taken.Rev, (await store.GetEntryAsync(ns, "/d/taken.txt", None))!.Rev);
        Assert.Equal(["/d/taken.txt", "/e", "/e/ok.txt"], (await store.ReadJournalAsync(ns, 0, 100, None)).Select(c => c.PathDisplay));
    }

    [Fact]
    public async Task A_batch_writing_one_key_twice_is_rolled_back_whole_when_its_second_write_fails()
    {
        var store = _database.Open();
        var ns = NewNamespace();
        var first = File(ns, "/a.txt");
        var second = File(ns, "/a.txt");

        var results = await store.ApplyEachAsync(
            [
                // The second put expects a rev the first one did not write: the batch fails at it, and the first put goes too.
                [Put(first), Append(first), Put(second, new EntryExpectation.HasRev("not-" + first.Rev))],
                CreateFile(File(ns, "/b.txt")),
            ],
            None);

        Assert.False(results[0].Applied);
        Assert.Equal(2, results[0].FailedWriteIndex);
        Assert.True(results[1].Applied);
        Assert.Null(await store.GetEntryAsync(ns, "/a.txt", None));
        Assert.Equal([1L], results[1].Changes.Select(c => c.Sequence));
    }

    [Fact]
    public async Task A_later_commit_of_a_batch_sees_the_folder_an_earlier_one_made()
    {
        var store = _database.Open();
        var ns = NewNamespace();
        var folder = Folder(ns, "/f");
        var inside = File(ns, "/f/in.txt");

        var results = await store.ApplyEachAsync(
            [
                [Put(folder), Append(folder, ChangeKind.FolderCreated)],
                [new MetadataWrite.CheckEntry(ns, "/f", EntryExpectation.IsLiveFolder), .. CreateFile(inside)],
                // Made by the first batch, so no longer absent: this one fails.
                [Put(Folder(ns, "/f"))],
            ],
            None);

        Assert.Equal([true, true, false], results.Select(r => r.Applied));
        Assert.Equal(inside.Rev, (await store.GetEntryAsync(ns, "/f/in.txt", None))!.Rev);
        Assert.Equal(folder.Rev, (await store.GetEntryAsync(ns, "/f", None))!.Rev);
    }

    public void Dispose() => _database.Dispose();
}
