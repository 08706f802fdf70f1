using Amazon.DynamoDBv2.Model;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.Tests.Infrastructure;
using DropSync.Contracts;
using DropSync.Core.Ports;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Aws.Tests;

/// <summary>
/// Revision items are written before a batch's transaction (DynamoDbFileMetadataStore.CommitWrites.cs): a batch that
/// does not land removes only the items it created, never a revision an earlier, landed batch stored. A namespace's
/// newest change rides in its head item until the next batch copies it to the Journal table (….Journal.cs).
/// </summary>
[Collection(DynamoDbCollection.Name)]
public sealed class DynamoDbCommitWritesTests(DynamoDbServer server)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task A_batch_that_fails_its_expectation_leaves_no_revision_item()
    {
        var files = new DynamoDbFileMetadataStore(await server.CreateTablesAsync());
        var ns = NewNamespace();
        await files.MustApplyAsync(CreateFile(File(ns, "/taken.txt")));
        var loser = File(ns, "/taken.txt");

        var result = await files.ApplyAsync(CreateFile(loser, Block("loser")), None);

        Assert.False(result.Applied);
        Assert.Equal(0, result.FailedWriteIndex);
        Assert.Null(await files.GetRevisionAsync(ns, loser.Rev, None));
    }

    [Fact]
    public async Task A_landed_batch_sent_again_fails_and_keeps_its_revision()
    {
        var files = new DynamoDbFileMetadataStore(await server.CreateTablesAsync());
        var ns = NewNamespace();
        var file = File(ns, "/once.txt");
        var batch = CreateFile(file, Block("once"));
        await files.MustApplyAsync(batch);

        var again = await files.ApplyAsync(batch, None);

        Assert.False(again.Applied);
        Assert.Equal(file.Rev, (await files.GetEntryAsync(ns, KeyOf("/once.txt"), None))!.Rev);
        var revision = await files.GetRevisionAsync(ns, file.Rev, None);
        Assert.NotNull(revision);
        Assert.Equal(Block("once"), Assert.Single(revision.Blocks));
    }

    [Fact]
    public async Task A_rev_already_stored_with_other_content_fails_that_write_and_leaves_the_stored_revision()
    {
        var files = new DynamoDbFileMetadataStore(await server.CreateTablesAsync());
        var ns = NewNamespace();
        var first = File(ns, "/first.txt");
        await files.MustApplyAsync(CreateFile(first, Block("first")));
        var second = File(ns, "/second.txt", rev: first.Rev, size: 99);

        var result = await files.ApplyAsync([Put(second), new MetadataWrite.AddRevision(Revision(second, Block("second"))), Append(second)], None);

        Assert.False(result.Applied);
        Assert.Equal(1, result.FailedWriteIndex);
        Assert.Null(await files.GetEntryAsync(ns, KeyOf("/second.txt"), None));
        Assert.Equal(Block("first"), Assert.Single((await files.GetRevisionAsync(ns, first.Rev, None))!.Blocks));
    }

    [Fact]
    public async Task The_newest_change_is_read_from_the_head_until_the_next_commit_copies_it_to_the_journal_table()
    {
        var db = await server.CreateTablesAsync();
        var files = new DynamoDbFileMetadataStore(db);
        var ns = NewNamespace();
        var first = File(ns, "/first.txt");
        var second = File(ns, "/second.txt");

        await files.MustApplyAsync(CreateFile(first));
        Assert.Empty(await JournalItemsAsync(db, ns));
        Assert.Equal(["/first.txt"], (await files.ReadJournalAsync(ns, 0, 10, None)).Select(c => c.PathDisplay));

        await files.MustApplyAsync(CreateFile(second));
        Assert.Equal([1L], await JournalItemsAsync(db, ns));
        var changes = await files.ReadJournalAsync(ns, 0, 10, None);
        Assert.Equal(["/first.txt", "/second.txt"], changes.Select(c => c.PathDisplay));
        Assert.Equal([1L, 2L], changes.Select(c => c.Sequence));
        Assert.Equal(["/second.txt"], (await files.ReadJournalAsync(ns, 1, 10, None)).Select(c => c.PathDisplay));
        Assert.Equal(["/first.txt"], (await files.ReadJournalAsync(ns, 0, 1, None)).Select(c => c.PathDisplay));

        await files.CompactJournalAsync(ns, 2, None);
        Assert.Empty(await files.ReadJournalAsync(ns, 2, 10, None));
        var third = File(ns, "/third.txt");
        await files.MustApplyAsync(CreateFile(third));
        Assert.Equal(["/third.txt"], (await files.ReadJournalAsync(ns, 2, 10, None)).Select(c => c.PathDisplay));
    }

    private static async Task<List<long>> JournalItemsAsync(DynamoDbContext db, string ns)
    {
        var response = await db.Client.QueryAsync(
            new QueryRequest
            {
                TableName = db.Tables.Journal,
                KeyConditionExpression = "#pk = :ns",
                ExpressionAttributeNames = new() { ["#pk"] = DynamoDbTables.JournalPartitionKey },
                ExpressionAttributeValues = new() { [":ns"] = new AttributeValue { S = ns } },
                ConsistentRead = true,
            },
            None);
        return (response.Items ?? []).Select(i => long.Parse(i[DynamoDbTables.JournalSortKey].N, System.Globalization.CultureInfo.InvariantCulture)).ToList();
    }
}
