using Amazon.CDK;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.S3;
using Constructs;

namespace DropSync.Infra;

/// <summary>
/// The replica of the blocks bucket, in the replica region: private, TLS only, versioned (replication requires it),
/// SSE-KMS with its own customer-managed key (KMS keys are regional) and S3 Bucket Keys. Deployed before the primary
/// stack, which references the bucket and key through CDK's cross-region references.
/// </summary>
public sealed class ReplicaStack : Stack
{
    public Key Key { get; }

    public Bucket Bucket { get; }

    public ReplicaTarget Target => new(Bucket, Key);

    public ReplicaStack(Construct scope, string id, DropSyncSettings settings, IStackProps? stackProps = null)
        : base(scope, id, stackProps)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Key = new Key(this, "ReplicaKey", new KeyProps
        {
            Alias = $"alias/dropsync-{settings.Stage}-replica",
            Description = "DropSync: encrypts the replica of the blocks.",
            EnableKeyRotation = true,
            PendingWindow = Duration.Days(30),
            RemovalPolicy = RemovalPolicy.RETAIN,
        });
        Bucket = new Bucket(this, "ReplicaBlocks", new BucketProps
        {
            BlockPublicAccess = BlockPublicAccess.BLOCK_ALL,
            ObjectOwnership = ObjectOwnership.BUCKET_OWNER_ENFORCED,
            EnforceSSL = true,
            Encryption = BucketEncryption.KMS,
            EncryptionKey = Key,
            BucketKeyEnabled = true,
            Versioned = true,
            RemovalPolicy = RemovalPolicy.RETAIN,
            LifecycleRules =
            [
                new LifecycleRule
                {
                    Id = "expire-noncurrent-versions",
                    NoncurrentVersionExpiration = Duration.Days(settings.NoncurrentVersionDays),
                    ExpiredObjectDeleteMarker = true,
                },
            ],
        });
    }
}
