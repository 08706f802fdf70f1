using System.Globalization;
using Amazon.DynamoDBv2.Model;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.Tests.Infrastructure;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using DropSync.Core.Retention;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Aws.Tests;

/// <summary>
/// What a commit reads instead of writing (DynamoDbFileMetadataStore.CommitReads.cs): parent folders checked by a read
/// under the namespace version, the replaced revision's by-path pointer written before the transaction, and the
/// retention index keys of a path already due left alone.
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class DynamoDbCommitReadsTests(DynamoDbServer server)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task No_file_lands_in_a_folder_after_the_folder_was_deleted()
    {
        var files = new DynamoDbFileMetadataStore(await server.CreateTablesAsync());
        var ns = NewNamespace();
        var folder = Folder(ns, "/dir");
        await files.MustApplyAsync(Put(folder), Append(folder));
        var tombstone = folder with { Rev = NewRev(), IsDeleted = true };

        var creates = Enumerable.Range(0, 12).Select(i => Task.Run(async () =>
        {
            var file = File(ns, $"/dir/f{i}.txt");
            return (await files.ApplyAsync([new MetadataWrite.CheckEntry(ns, "/dir", EntryExpectation.IsLiveFolder), Put(file), Append(file)], None)).Applied;
        })).ToList();
        await Task.Delay(5);
        await files.MustApplyAsync(Put(tombstone, new EntryExpectation.HasRev(folder.Rev)), Append(tombstone, ChangeKind.Deleted));
        var landed = await Task.WhenAll(creates);

        // Every create that landed is ordered before the deletion; every later one failed its parent check.
        var journal = await files.ReadJournalAsync(ns, 0, 100, None);
        var deletedAt = Assert.Single(journal, c => c.Kind == ChangeKind.Deleted).Sequence;
        Assert.All(journal.Where(c => c.Kind == ChangeKind.Added && c.PathDisplay.StartsWith("/dir/", StringComparison.Ordinal)), c => Assert.True(c.Sequence < deletedAt));
        Assert.Equal(landed.Count(l => l), journal.Count(c => c.PathDisplay.StartsWith("/dir/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_pointer_written_by_a_replacing_commit_that_never_landed_names_the_current_revision_once()
    {
        var db = await server.CreateTablesAsync();
        var files = new DynamoDbFileMetadataStore(db);
        var retention = new DynamoDbRetentionStore(db);
        var ns = NewNamespace();
        var file = File(ns, "/kept.txt", at: At(7));
        await files.MustApplyAsync(CreateFile(file, Block("kept")));

        // What a commit replacing it leaves when it crashes between that put and its transaction.
        await db.Client.PutItemAsync(
            new PutItemRequest
            {
                TableName = db.Tables.Revisions,
                Item = new()
                {
                    [DynamoDbTables.RevisionsPartitionKey] = new AttributeValue { S = ns },
                    [DynamoDbTables.RevisionsSortKey] = new AttributeValue { S = "p#" + KeyOf("/kept.txt") + "\u0001" + At(7).ToUnixTimeMilliseconds().ToString("D15", CultureInfo.InvariantCulture) + "#" + file.Rev },
                    ["r"] = new AttributeValue { S = file.Rev },
                },
            },
            None);

        Assert.Equal([file.Rev], (await files.ListRevisionsAsync(ns, KeyOf("/kept.txt"), 10, None)).Select(r => r.Rev));
        Assert.Equal([file.Rev], (await retention.GetHistoryAsync(ns, KeyOf("/kept.txt"), 10, None))!.Revisions.Select(r => r.Rev));
    }

    [Fact]
    public async Task Replaced_and_deleted_revisions_stay_listed_newest_first()
    {
        var files = new DynamoDbFileMetadataStore(await server.CreateTablesAsync());
        var ns = NewNamespace();
        var v1 = File(ns, "/doc.txt", at: At(1));
        var v2 = v1 with { Rev = NewRev(), ServerModified = At(2) };
        await files.MustApplyAsync(CreateFile(v1, Block("v1")));
        await files.MustApplyAsync(Put(v2, new EntryExpectation.HasRev(v1.Rev)), new MetadataWrite.AddRevision(Revision(v2, Block("v2"))), Append(v2));
        Assert.Equal([v2.Rev, v1.Rev], (await files.ListRevisionsAsync(ns, KeyOf("/doc.txt"), 10, None)).Select(r => r.Rev));

        await files.MustApplyAsync(Put(v2 with { Rev = NewRev(), IsDeleted = true, ServerModified = At(3) }, new EntryExpectation.HasRev(v2.Rev)));

        Assert.Equal([v2.Rev, v1.Rev], (await files.ListRevisionsAsync(ns, KeyOf("/doc.txt"), 10, None)).Select(r => r.Rev));
        Assert.Equal([v2.Rev], (await files.ListRevisionsAsync(ns, KeyOf("/doc.txt"), 1, None)).Select(r => r.Rev));
    }

    [Fact]
    public async Task An_overwrite_before_the_retention_check_keeps_the_due_time_and_one_after_it_sets_it_again()
    {
        var db = await server.CreateTablesAsync();
        var files = new DynamoDbFileMetadataStore(db);
        var retention = new DynamoDbRetentionStore(db);
        var ns = NewNamespace();
        var v1 = File(ns, "/due.txt", at: At(10));
        var v2 = v1 with { Rev = NewRev(), ServerModified = At(20) };
        var v3 = v1 with { Rev = NewRev(), ServerModified = At(40) };
        await files.MustApplyAsync(CreateFile(v1, Block("due")));
        await files.MustApplyAsync(Put(v2, new EntryExpectation.HasRev(v1.Rev)), new MetadataWrite.AddRevision(Revision(v2, Block("due"))));
        Assert.Equal(At(10).ToUnixTimeMilliseconds(), await DueAsync(db, ns, "/due.txt"));

        var history = Assert.Single(await retention.ListDueAsync(At(30), 10, None), h => h.Entry.NamespaceId == ns);
        Assert.True(await retention.ForgetAsync(history, new RetentionVerdict([], false, At(1_000_000)), At(30), None));
        Assert.Equal(At(1_000_000).ToUnixTimeMilliseconds(), await DueAsync(db, ns, "/due.txt"));

        await files.MustApplyAsync(Put(v3, new EntryExpectation.HasRev(v2.Rev)), new MetadataWrite.AddRevision(Revision(v3, Block("due"))));
        Assert.Equal(At(40).ToUnixTimeMilliseconds(), await DueAsync(db, ns, "/due.txt"));
        Assert.Contains(await retention.ListDueAsync(At(40), 10, None), h => h.Entry.NamespaceId == ns);
    }

    private static async Task<long?> DueAsync(DynamoDbContext db, string ns, string display)
    {
        var item = (await db.Client.GetItemAsync(
            new GetItemRequest
            {
                TableName = db.Tables.Entries,
                Key = new()
                {
                    [DynamoDbTables.EntriesPartitionKey] = new AttributeValue { S = ns },
                    [DynamoDbTables.EntriesSortKey] = new AttributeValue { S = KeyOf(display) },
                },
                ConsistentRead = true,
            },
            None)).Item;
        return item.TryGetValue(DynamoDbTables.RetentionIndexSortKey, out var due) ? long.Parse(due.N, CultureInfo.InvariantCulture) : null;
    }
}
