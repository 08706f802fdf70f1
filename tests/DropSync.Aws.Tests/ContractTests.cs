using Amazon.S3.Model;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.S3;
using DropSync.Aws.Tests.Infrastructure;
using DropSync.Contracts;
using DropSync.Core.Content;
using DropSync.Core.Ports;

namespace DropSync.Aws.Tests;

[Collection(DynamoDbCollection.Name)]
public sealed class DynamoDbFileMetadataStoreTests(DynamoDbServer server) : FileMetadataStoreContract
{
    protected override async Task<IFileMetadataStore> CreateStoreAsync() => new DynamoDbFileMetadataStore(await server.CreateTablesAsync());
}

[Collection(DynamoDbCollection.Name)]
public sealed class DynamoDbAccountStoreTests(DynamoDbServer server) : AccountStoreContract
{
    protected override async Task<IAccountStore> CreateStoreAsync() => new DynamoDbAccountStore(await server.CreateTablesAsync());
}

[Collection(DynamoDbCollection.Name)]
public sealed class DynamoDbAppPasswordStoreTests(DynamoDbServer server) : AppPasswordStoreContract
{
    protected override async Task<(IAccountStore Accounts, IAppPasswordStore AppPasswords)> CreateStoresAsync()
    {
        var db = await server.CreateTablesAsync();
        return (new DynamoDbAccountStore(db), new DynamoDbAppPasswordStore(db));
    }
}

[Collection(DynamoDbCollection.Name)]
public sealed class DynamoDbBlockIndexTests(DynamoDbServer server) : BlockIndexContract
{
    protected override async Task<BlockIndexSubjects> CreateStoresAsync()
    {
        var db = await server.CreateTablesAsync();
        return new BlockIndexSubjects(new DynamoDbBlockIndex(db), new DynamoDbFileMetadataStore(db), new DynamoDbUploadSessionStore(db));
    }
}

[Collection(DynamoDbCollection.Name)]
public sealed class DynamoDbUploadSessionStoreTests(DynamoDbServer server) : UploadSessionStoreContract
{
    protected override async Task<IUploadSessionStore> CreateStoreAsync() => new DynamoDbUploadSessionStore(await server.CreateTablesAsync());
}

[Collection(S3Collection.Name)]
public sealed class S3BlockStoreTests(S3Server server) : BlockStoreContract
{
    private S3BlockStore? _store;
    private string _bucket = "";

    protected override async Task<IBlockStore> CreateStoreAsync()
    {
        _bucket = await server.CreateBucketAsync();
        _store = new S3BlockStore(server.Client, new S3BlockStoreOptions { BucketName = _bucket, KmsKeyId = "alias/dropsync-test" });
        return _store;
    }

    protected override async Task CorruptAsync(BlockHash hash)
    {
        var key = _store!.KeyOf(hash);
        byte[] bytes;
        using (var response = await server.Client.GetObjectAsync(_bucket, key))
        using (var buffer = new MemoryStream())
        {
            await response.ResponseStream.CopyToAsync(buffer);
            bytes = buffer.ToArray();
        }

        bytes[bytes.Length / 2] ^= 0x55;
        await server.Client.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = key, InputStream = new MemoryStream(bytes) });
    }
}

[Collection(DynamoDbCollection.Name)]
public sealed class DynamoDbSharingStoreTests(DynamoDbServer server) : SharingStoreContract
{
    protected override async Task<SharingStoreSubjects> CreateStoresAsync()
    {
        var db = await server.CreateTablesAsync();
        return new SharingStoreSubjects(new DynamoDbSharingStore(db), new DynamoDbFileMetadataStore(db));
    }
}

[Collection(DynamoDbCollection.Name)]
public sealed class DynamoDbInvitationStoreTests(DynamoDbServer server) : InvitationStoreContract
{
    protected override async Task<IInvitationStore> CreateStoreAsync() => new DynamoDbInvitationStore(await server.CreateTablesAsync());
}

[Collection(DynamoDbCollection.Name)]
public sealed class DynamoDbNotificationStoreTests(DynamoDbServer server) : NotificationStoreContract
{
    protected override async Task<INotificationStore> CreateStoreAsync() => new DynamoDbNotificationStore(await server.CreateTablesAsync());
}

[Collection(DynamoDbCollection.Name)]
public sealed class DynamoDbJournalCompactionTests(DynamoDbServer server) : JournalCompactionContract
{
    protected override async Task<IFileMetadataStore> CreateStoreAsync() => new DynamoDbFileMetadataStore(await server.CreateTablesAsync());
}

[Collection(DynamoDbCollection.Name)]
public sealed class DynamoDbRetentionStoreTests(DynamoDbServer server) : RetentionStoreContract
{
    protected override async Task<RetentionStoreSubjects> CreateStoresAsync()
    {
        var db = await server.CreateTablesAsync();
        return new RetentionStoreSubjects(new DynamoDbRetentionStore(db), new DynamoDbFileMetadataStore(db), new DynamoDbBlockIndex(db));
    }
}

/// <summary>The same contract with every namespace sharded four ways before its first batch (docs/architecture.md, "Hot partitions").</summary>
[Collection(DynamoDbCollection.Name)]
public sealed class DynamoDbShardedFileMetadataStoreTests(DynamoDbServer server) : FileMetadataStoreContract
{
    protected override async Task<IFileMetadataStore> CreateStoreAsync() =>
        new DynamoDbFileMetadataStore(await server.CreateTablesAsync()) { NewNamespaceShards = 4, ReshardSettle = TimeSpan.Zero };
}
