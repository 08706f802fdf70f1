using DropSync.Aws.DynamoDb;
using DropSync.Aws.Tests.Infrastructure;
using DropSync.Contracts;
using DropSync.Core.Ports;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Aws.Tests;

/// <summary>
/// Revision items are written before a batch's transaction (DynamoDbFileMetadataStore.CommitWrites.cs): a batch that
/// does not land removes only the items it created, never a revision an earlier, landed batch stored.
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
}
