using System.Security.Cryptography;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using DropSync.Embedded.Blocks;
using DropSync.Embedded.Metadata;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Embedded.Tests;

/// <summary>
/// A small upload's block carried by its file commit (<see cref="IRecordingBlockStore.PutRecordAndApplyAsync"/>): the
/// block, its index record and the commit are one write transaction; the block is kept when the commit loses its race.
/// </summary>
public sealed class TieredBlockStoreCommitTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly TempTieredBlockStore _tiered = new();

    private SqliteMetadataStore Metadata => _tiered.Metadata;

    private TieredBlockStore Store => _tiered.Store;

    [Fact]
    public async Task A_carried_block_its_record_and_the_commit_are_one_write_transaction()
    {
        var data = RandomNumberGenerator.GetBytes(1024);
        var hash = BlockHash.Of(data);
        var file = File(NewNamespace(), "/small.txt", size: data.Length);
        var before = Metadata.CommittedWriteTransactions;

        var sealedBlock = Store.SealForCommit("u_a", hash, data, hashedHere: false, DateTimeOffset.UtcNow)!;
        var result = await Store.PutRecordAndApplyAsync(sealedBlock, CreateFile(file, new BlockRef(hash, data.Length)), None);

        Assert.True(result.Applied);
        Assert.Equal(before + 1, Metadata.CommittedWriteTransactions);
        Assert.Equal(file.Rev, (await Metadata.GetEntryAsync(file.NamespaceId, file.PathKey, None))!.Rev);
        Assert.Equal(data.Length, (await Metadata.FindHeldAsync("u_a", [hash], None))[hash]);
        Assert.Equal(data, await Store.ReadAsync(hash, None));
        // Sealed: the row does not hold the plaintext.
        Assert.NotEqual(data, (await Metadata.ReadInlineBlockAsync(hash, None))!);
    }

    [Fact]
    public async Task A_commit_that_loses_its_race_applies_nothing_but_its_block_is_stored_and_recorded()
    {
        var ns = NewNamespace();
        var winner = File(ns, "/race.txt");
        await Metadata.MustApplyAsync(CreateFile(winner));
        var data = RandomNumberGenerator.GetBytes(2000);
        var hash = BlockHash.Of(data);
        var loser = File(ns, "/race.txt", size: data.Length);

        var sealedBlock = Store.SealForCommit("u_b", hash, data, hashedHere: true, DateTimeOffset.UtcNow)!;
        var result = await Store.PutRecordAndApplyAsync(sealedBlock, CreateFile(loser, new BlockRef(hash, data.Length)), None);

        Assert.False(result.Applied);
        Assert.Equal(0, result.FailedWriteIndex);
        Assert.Equal(winner.Rev, (await Metadata.GetEntryAsync(ns, winner.PathKey, None))!.Rev);
        Assert.Null(await Metadata.GetRevisionAsync(ns, loser.Rev, None));
        Assert.Single(await Metadata.ReadJournalAsync(ns, 0, 10, None));
        Assert.Equal(data.Length, (await Metadata.FindHeldAsync("u_b", [hash], None))[hash]);
        Assert.Equal(data, await Store.ReadAsync(hash, None));
    }

    [Fact]
    public async Task Many_carried_commits_in_turn_reuse_the_writers_statements_and_all_apply()
    {
        var ns = NewNamespace();
        for (var i = 0; i < 50; i++)
        {
            var data = RandomNumberGenerator.GetBytes(100 + i);
            var hash = BlockHash.Of(data);
            var sealedBlock = Store.SealForCommit("u_c", hash, data, hashedHere: true, DateTimeOffset.UtcNow)!;
            var result = await Store.PutRecordAndApplyAsync(sealedBlock, CreateFile(File(ns, $"/f{i}.txt", size: data.Length), new BlockRef(hash, data.Length)), None);
            Assert.True(result.Applied);
            Assert.Equal(i + 1, result.Changes.Single().Sequence);
        }

        Assert.Equal(50, (await Metadata.ListAsync(ns, "", recursive: false, None)).Count);
    }

    [Fact]
    public async Task Large_blocks_blocks_stored_as_files_and_bytes_that_do_not_hash_to_the_name_are_not_sealed_for_a_commit()
    {
        var large = RandomNumberGenerator.GetBytes(TieredBlockStore.MaxInlineSize + 1);
        var asFile = RandomNumberGenerator.GetBytes(500);
        await Store.Files.PutAsync(BlockHash.Of(asFile), asFile, None);
        var data = RandomNumberGenerator.GetBytes(500);

        Assert.Null(Store.SealForCommit("u_d", BlockHash.Of(large), large, hashedHere: true, DateTimeOffset.UtcNow));
        Assert.Null(Store.SealForCommit("u_d", BlockHash.Of(asFile), asFile, hashedHere: true, DateTimeOffset.UtcNow));
        var error = Assert.Throws<DropSyncException>(() => Store.SealForCommit("u_d", BlockHash.Of(large), data, hashedHere: false, DateTimeOffset.UtcNow));
        Assert.Equal(ErrorCodes.BlockHashMismatch, error.Code);
    }

    public void Dispose() => _tiered.Dispose();
}
