using System.Security.Cryptography;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.S3;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.S3;
using DropSync.Core.Blocks;
using DropSync.Core.Feed;
using DropSync.Core.Files;
using DropSync.Core.Model;
using DropSync.Core.Ports;
using DropSync.Core.Sharing;

namespace DropSync.Aws.Benchmarks;

/// <summary>
/// The core services composed as AWS mode composes them (see AwsModeServices): every metadata port on its DynamoDB
/// adapter, presigned S3 URLs with direct uploads (signing needs no server), and block bytes in memory instead of S3. Changes are not
/// published (SQS is not DynamoDB).
/// </summary>
internal sealed class AwsStack : IDisposable
{
    private readonly AmazonS3Client _s3;

    public AwsStack(AmazonDynamoDBClient client, DynamoDbTableNames tables)
    {
        var clock = TimeProvider.System;
        Db = new DynamoDbContext(client, tables);
        var meta = new DynamoDbFileMetadataStore(Db);
        Meta = meta;
        var sharing = new DynamoDbSharingStore(Db);
        var sessions = new DynamoDbUploadSessionStore(Db, clock);
        var index = new DynamoDbBlockIndex(Db);
        Index = index;
        var store = new InMemoryBlockStore();
        BlockBytes = store;
        _s3 = new AmazonS3Client(
            new BasicAWSCredentials("local", "local"),
            new AmazonS3Config { ServiceURL = "http://127.0.0.1:9", ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        // As AWS mode signs upload URLs: a block no one stored is reserved for a direct PUT to its key (the client's PUT
        // is the benchmark's write to BlockBytes), others are staged.
        var urls = new S3DirectBlockUrls(_s3, new S3BlockStoreOptions { BucketName = "dropsync-bench" }, index, clock);
        var publisher = new NoChangePublisher();
        var options = new DropSyncOptions();
        var resolver = new PathResolver(sharing);
        Blocks = new BlockService(store, Index, new BlockLocks(), clock);
        var quota = new StorageQuota(new DynamoDbRetentionStore(Db), options, clock);
        Committer = new FileCommitter(meta, publisher, clock, quota);
        Resolver = resolver;
        Uploads = new UploadService(Blocks, store, Index, sessions, urls, meta, Committer, resolver, options, clock, quota);
        Files = new FileService(meta, sharing, store, urls, Committer, resolver, publisher, options, clock, quota);
        Feed = new ChangeFeed(meta, resolver, new CursorSigner(RandomNumberGenerator.GetBytes(32)));
    }

    public DynamoDbContext Db { get; }

    public DynamoDbFileMetadataStore Meta { get; }

    public IBlockIndex Index { get; }

    /// <summary>Where block bytes are (S3 in AWS mode): a direct upload's PUT lands here.</summary>
    public IBlockStore BlockBytes { get; }

    public BlockService Blocks { get; }

    public FileCommitter Committer { get; }

    public PathResolver Resolver { get; }

    public UploadService Uploads { get; }

    public FileService Files { get; }

    public ChangeFeed Feed { get; }

    public void Dispose() => _s3.Dispose();

    private sealed class NoChangePublisher : IChangePublisher
    {
        public ValueTask PublishAsync(IReadOnlyList<ChangeRecord> changes, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
