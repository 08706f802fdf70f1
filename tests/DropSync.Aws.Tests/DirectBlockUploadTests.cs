using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Amazon.DynamoDBv2.Model;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.S3;
using DropSync.Aws.Tests.Infrastructure;
using DropSync.Core.Content;
using DropSync.Core.Errors;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using DropSync.Testing;
using Microsoft.Extensions.Time.Testing;
using static DropSync.Contracts.MetadataSamples;

namespace DropSync.Aws.Tests;

/// <summary>
/// One S3 request per new block: the first user to ask for a block no one stored reserves it in the block index and gets
/// a presigned PUT straight to blocks/{sha256}; anyone else asking gets a staged URL, so dedup still needs one's own bytes.
/// And the collector's tombstone: while a block's bytes are being deleted, it cannot be reserved, recorded or referenced.
/// </summary>
[Collection(AwsModeCollection.Name)]
public sealed class DirectBlockUploadTests(DynamoDbServer dynamo, S3Server s3)
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly HttpClient Http = new();

    [Fact]
    public async Task The_first_asker_of_a_new_block_puts_it_to_its_key_and_a_later_one_is_staged_and_adopted()
    {
        var (db, options, urls, index) = await CreateAsync();
        var data = RandomNumberGenerator.GetBytes(20_000);
        var block = new BlockRef(BlockHash.Of(data), data.Length);
        await PinAsync(db, "u_alice", DateTimeOffset.UtcNow.AddHours(1), block);

        var alice = (await urls.UploadUrlsAsync("u_alice", [block], TimeSpan.FromMinutes(5), None)).Single();
        var bob = (await urls.UploadUrlsAsync("u_bob", [block], TimeSpan.FromMinutes(5), None)).Single();

        Assert.EndsWith("/" + options.KeyPrefix + block.Hash.Hex, new Uri(alice.Url).AbsolutePath, StringComparison.Ordinal);
        Assert.Equal("*", alice.Headers["If-None-Match"]);
        Assert.Contains("if-none-match", new Uri(alice.Url).Query, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("/" + S3StagedBlockUrls.StagingKey("u_bob", block.Hash), Uri.UnescapeDataString(new Uri(bob.Url).AbsolutePath), StringComparison.Ordinal);

        // Alice's reservation made her the holder (finish trusts her PUT); Bob holds nothing until his staged copy is adopted.
        Assert.Equal(data.Length, (await index.FindHeldAsync("u_alice", [block.Hash], None))[block.Hash]);
        Assert.Empty(await new DynamoDbBlockIndex(db).FindHeldAsync("u_bob", [block.Hash], None));
        await SignedBlockUploads.PutAsync(Http, Missing(block, alice), data);
        Assert.Equal(data, await new S3BlockStore(s3.Client, options).ReadAsync(block.Hash, None));

        await SignedBlockUploads.PutAsync(Http, Missing(block, bob), data);
        Assert.Equal(data.Length, (await index.FindHeldAsync("u_bob", [block.Hash], None))[block.Hash]);

        // Asking again for a reserved block (say after a failed PUT) stages: a reservation is made once.
        var again = (await urls.UploadUrlsAsync("u_carol", [block], TimeSpan.FromMinutes(5), None)).Single();
        Assert.Contains("/incoming/", Uri.UnescapeDataString(again.Url), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_block_whose_bytes_are_being_deleted_cannot_be_reserved_recorded_or_referenced_until_that_completes()
    {
        var (db, _, urls, index) = await CreateAsync();
        var block = Block("collected soon", 10);
        await index.RecordAsync("u_alice", block.Hash, block.Size, At(0), None);
        Assert.True(await index.TryForgetAsync(block.Hash, At(10), None));

        Assert.Contains("/incoming/", Uri.UnescapeDataString((await urls.UploadUrlsAsync("u_bob", [block], TimeSpan.FromMinutes(5), None)).Single().Url), StringComparison.Ordinal);
        var busy = await Assert.ThrowsAsync<DropSyncException>(() => index.RecordAsync("u_bob", block.Hash, block.Size, At(20), None));
        Assert.Equal(ErrorCodes.MetadataBusy, busy.Code);
        await new DynamoDbFileMetadataStore(db).MustApplyAsync(CreateFile(File(NewNamespace(), "/late.bin"), block));
        Assert.Null((await BlockItemAsync(db, block.Hash))!.GetValueOrDefault("rc"));

        // A run that died here leaves the tombstone a candidate; the next run finishes it whatever the pins say.
        Assert.Equal([block.Hash], (await index.ListUnreferencedAsync(At(10), At(10), 10, None)).Select(b => b.Hash));
        Assert.True(await index.TryForgetAsync(block.Hash, At(10), None));
        await index.CompleteForgetAsync(block.Hash, None);

        Assert.Null(await BlockItemAsync(db, block.Hash));
        await PinAsync(db, "u_bob", DateTimeOffset.UtcNow.AddHours(1), block);
        Assert.EndsWith("/blocks/" + block.Hash.Hex, new Uri((await urls.UploadUrlsAsync("u_bob", [block], TimeSpan.FromMinutes(5), None)).Single().Url).AbsolutePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reserved_block_is_no_gc_candidate_while_its_session_lives_and_an_uncommitted_sessions_expiry_hands_it_over()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (db, _, urls, index) = await CreateAsync(clock);
        var sessions = new DynamoDbUploadSessionStore(db, clock);
        var (abandoned, committed, late) = (Block("abandoned " + Guid.NewGuid()), Block("committed " + Guid.NewGuid()), Block("late " + Guid.NewGuid()));
        var expiry = clock.GetUtcNow().AddHours(1);
        var abandonedSession = await PinAsync(db, "u_alice", expiry, abandoned);
        var committedSession = await PinAsync(db, "u_carol", expiry, committed);
        await PinAsync(db, "u_dave", clock.GetUtcNow() + DynamoDbBlockIndex.ReservationMargin - TimeSpan.FromSeconds(1), late);

        Assert.DoesNotContain("/incoming/", Uri.UnescapeDataString((await urls.UploadUrlsAsync("u_alice", [abandoned], TimeSpan.FromMinutes(5), None)).Single().Url), StringComparison.Ordinal);
        Assert.DoesNotContain("/incoming/", Uri.UnescapeDataString((await urls.UploadUrlsAsync("u_carol", [committed], TimeSpan.FromMinutes(5), None)).Single().Url), StringComparison.Ordinal);
        // Too near its session's expiry to be reserved (a sweep could hand the session over first): staged instead.
        Assert.Contains("/incoming/", Uri.UnescapeDataString((await urls.UploadUrlsAsync("u_dave", [late], TimeSpan.FromMinutes(5), None)).Single().Url), StringComparison.Ordinal);

        // Reserved, not candidates (no index write now, none when the commit first references one).
        var far = expiry.AddDays(10);
        Assert.Empty(await index.ListUnreferencedAsync(far, clock.GetUtcNow(), 100, None));
        Assert.Null((await BlockItemAsync(db, abandoned.Hash))!.GetValueOrDefault(DynamoDbTables.BlocksGcIndexPartitionKey));
        await new DynamoDbFileMetadataStore(db).MustApplyAsync(CreateFile(File(NewNamespace(), "/kept.bin"), committed));
        await sessions.MarkCommittedAsync(committedSession.UploadId, NewRev(), None);

        // Expired: the sweep hands the uncommitted session's block over with a fresh grace period, and never the committed one's.
        clock.Advance(TimeSpan.FromHours(2));
        var swept = clock.GetUtcNow();
        Assert.Equal(3, await sessions.DeleteExpiredAsync(swept, None));
        Assert.Empty(await index.ListUnreferencedAsync(swept, swept, 100, None));
        var after = swept.AddMilliseconds(1);
        Assert.Equal([abandoned.Hash], (await index.ListUnreferencedAsync(after, after, 100, None)).Select(b => b.Hash));
        Assert.False(await index.TryForgetAsync(committed.Hash, far, None));
        Assert.True(await index.TryForgetAsync(abandoned.Hash, after, None));
        Assert.Equal(0, await sessions.DeleteExpiredAsync(swept, None));
    }

    [Fact]
    public async Task A_sweep_that_died_after_handing_blocks_over_hands_them_over_again_and_a_reference_meanwhile_wins()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (db, _, urls, index) = await CreateAsync(clock);
        var (first, second) = (Block("first " + Guid.NewGuid()), Block("second " + Guid.NewGuid()));
        var session = await PinAsync(db, "u_alice", clock.GetUtcNow().AddHours(1), first, second);
        await urls.UploadUrlsAsync("u_alice", [first, second], TimeSpan.FromMinutes(5), None);
        clock.Advance(TimeSpan.FromHours(2));

        // The first sweep handed both over and died before deleting the session; then a commit (another session, say)
        // referenced one of them.
        await new DynamoDbBlockIndex(db).JoinGcIndexIfUnreferencedAsync(session.Blocks, clock.GetUtcNow(), "test", None);
        await new DynamoDbFileMetadataStore(db).MustApplyAsync(CreateFile(File(NewNamespace(), "/later.bin"), second));
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await new DynamoDbUploadSessionStore(db, clock).DeleteExpiredAsync(clock.GetUtcNow(), None));

        var after = clock.GetUtcNow().AddMilliseconds(1);
        Assert.Equal([first.Hash], (await index.ListUnreferencedAsync(after, after, 100, None)).Select(b => b.Hash));
        Assert.False(await index.TryForgetAsync(second.Hash, after, None));
    }

    private async Task<(DynamoDbContext Db, S3BlockStoreOptions Options, S3DirectBlockUrls Urls, S3StagedBlockIndex Index)> CreateAsync(TimeProvider? clock = null)
    {
        var db = await dynamo.CreateTablesAsync();
        var options = new S3BlockStoreOptions { BucketName = await s3.CreateBucketAsync() };
        var blocks = new DynamoDbBlockIndex(db);
        return (db, options, new S3DirectBlockUrls(s3.Client, options, blocks, clock), new S3StagedBlockIndex(blocks, s3.Client, options, clock, stagesOnlyStoredBlocks: true));
    }

    /// <summary>An upload session declaring the blocks: what pins them, as a reservation needs.</summary>
    private static async Task<UploadSession> PinAsync(DynamoDbContext db, string userId, DateTimeOffset expiresAt, params BlockRef[] blocks)
    {
        var session = PinningSession(userId, expiresAt.AddHours(-1), expiresAt, blocks);
        await new DynamoDbUploadSessionStore(db).CreateAsync(session, None);
        return session;
    }

    private static async Task<Dictionary<string, AttributeValue>?> BlockItemAsync(DynamoDbContext db, BlockHash hash)
    {
        var response = await db.Client.GetItemAsync(new GetItemRequest
        {
            TableName = db.Tables.Blocks,
            Key = new() { [DynamoDbTables.BlocksPartitionKey] = new AttributeValue(hash.Hex), [DynamoDbTables.BlocksSortKey] = new AttributeValue("b") },
            ConsistentRead = true,
        });
        return response.IsItemSet ? response.Item : null;
    }

    private static JsonNode Missing(BlockRef block, Core.Ports.BlockTransferUrl url) => new JsonObject
    {
        ["hash"] = block.Hash.Hex,
        ["url"] = url.Url,
        ["headers"] = new JsonObject(url.Headers.Select(h => KeyValuePair.Create(h.Key, (JsonNode?)JsonValue.Create(h.Value)))),
    };
}
