using Amazon.CDK;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.S3;
using Constructs;

namespace DropSync.Infra;

/// <summary>
/// The second region's own resources: the replica of the blocks bucket (private, TLS only, versioned as replication
/// requires, SSE-KMS with S3 Bucket Keys) and the customer-managed key (KMS keys are regional) that encrypts it and the
/// replicas the primary stack creates here: the DynamoDB global tables' replicas and the master-key secret's replica.
/// Deployed before the primary stack, which references the bucket and key through CDK's cross-region references.
/// </summary>
public sealed class ReplicaStack : Stack
{
    public Key Key { get; }

    public Bucket Bucket { get; }

    public ReplicaTarget Target { get; }

    public ReplicaStack(Construct scope, string id, DropSyncSettings settings, IStackProps? stackProps = null)
        : base(scope, id, stackProps)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Key = new Key(this, "ReplicaKey", new KeyProps
        {
            Alias = $"alias/dropsync-{settings.Stage}-replica",
            Description = "DropSync: encrypts the replicas of the blocks, the tables and the master-key secret.",
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
        Target = new ReplicaTarget(Bucket, Key, settings.ReplicaRegion!);
        DropSyncNagSuppressions.Apply(this);
    }
}
