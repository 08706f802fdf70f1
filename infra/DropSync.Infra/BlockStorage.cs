using Amazon.CDK;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.S3;
using Constructs;

namespace DropSync.Infra;

/// <summary>
/// The second region (see <see cref="ReplicaStack"/>): its name, the replica bucket of the blocks, and the key that
/// encrypts what is stored there (the blocks' replica, the tables' replicas and the master-key secret's replica).
/// </summary>
public sealed record ReplicaTarget(IBucket Bucket, IKey Key, string Region);

/// <summary>
/// The blocks bucket: private, TLS only, SSE-KMS with the data key and S3 Bucket Keys, versioned (so GC mistakes and
/// deletes can be undone for <see cref="DropSyncSettings.NoncurrentVersionDays"/> and so replication can work), CORS for
/// browsers that PUT/GET blocks by presigned URL, lifecycle rules for cold tiering and clean-up, and optionally
/// replication to a bucket in another region.
/// </summary>
public sealed class BlockStorage : Construct
{
    public Bucket Bucket { get; }

    /// <summary>The id of the replication rule (a dimension of S3's replication metrics).</summary>
    public const string ReplicationRuleId = "replicate-blocks";

    /// <summary>Minutes S3 Replication Time Control replicates 99.99 % of objects within, and the lag the alarm fires at.</summary>
    public const int ReplicationTimeMinutes = 15;

    /// <summary>The role S3 assumes to replicate, when replication is on.</summary>
    public Role? ReplicationRole { get; }

    /// <summary>The replica bucket, when replication is on.</summary>
    public IBucket? ReplicaBucket { get; }

    public BlockStorage(Construct scope, string id, DropSyncSettings settings, IKey dataKey, IReadOnlyList<string> corsOrigins, ReplicaTarget? replica)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(corsOrigins);

        Bucket = new Bucket(this, "Blocks", new BucketProps
        {
            BlockPublicAccess = BlockPublicAccess.BLOCK_ALL,
            ObjectOwnership = ObjectOwnership.BUCKET_OWNER_ENFORCED,
            EnforceSSL = true,
            Encryption = BucketEncryption.KMS,
            EncryptionKey = dataKey,
            BucketKeyEnabled = true,
            Versioned = true,
            RemovalPolicy = RemovalPolicy.RETAIN,
            Cors =
            [
                new CorsRule
                {
                    // Browsers PUT missing blocks to presigned URLs and GET blocks they lack; both are cross-origin.
                    AllowedOrigins = [.. corsOrigins],
                    AllowedMethods = [HttpMethods.GET, HttpMethods.PUT, HttpMethods.HEAD],
                    AllowedHeaders = ["*"],
                    ExposedHeaders = ["ETag", "Content-Length", "Content-Range", "x-amz-checksum-sha256"],
                    MaxAge = 3600,
                },
            ],
            LifecycleRules =
            [
                new LifecycleRule
                {
                    Id = "cold-blocks-to-glacier-ir",
                    // The tiering job tags blocks that only old revisions reference; S3 counts the days from upload.
                    TagFilters = new Dictionary<string, object> { [StorageConventions.ColdTagKey] = StorageConventions.ColdTagValue },
                    // Glacier IR bills at least 128 KiB per object, so smaller blocks stay where they are.
                    ObjectSizeGreaterThan = 128 * 1024,
                    Transitions =
                    [
                        new Transition
                        {
                            StorageClass = StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            TransitionAfter = Duration.Days(settings.ColdAfterDays),
                        },
                    ],
                },
                new LifecycleRule
                {
                    // Staged uploads are verified and moved within an upload session's life (48 h); leftovers go.
                    Id = "expire-staged-uploads",
                    Prefix = StorageConventions.IncomingKeyPrefix,
                    Expiration = Duration.Days(3),
                },
                new LifecycleRule
                {
                    Id = "abort-incomplete-multipart-uploads",
                    AbortIncompleteMultipartUploadAfter = Duration.Days(2),
                },
                new LifecycleRule
                {
                    Id = "expire-noncurrent-versions",
                    NoncurrentVersionExpiration = Duration.Days(settings.NoncurrentVersionDays),
                    ExpiredObjectDeleteMarker = true,
                },
            ],
        });

        if (replica is not null)
        {
            ReplicationRole = AddReplication(dataKey, replica);
            ReplicaBucket = replica.Bucket;
        }
    }

    private Role AddReplication(IKey dataKey, ReplicaTarget replica)
    {
        var role = new Role(this, "ReplicationRole", new RoleProps
        {
            AssumedBy = new ServicePrincipal("s3.amazonaws.com"),
            Description = "S3 replicates DropSync blocks to the replica bucket with this role.",
        });

        // Exactly what S3 replication needs, on exactly the two buckets and two keys.
        role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["s3:GetReplicationConfiguration", "s3:ListBucket"],
            Resources = [Bucket.BucketArn],
        }));
        role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
            Resources = [Bucket.ArnForObjects("*")],
        }));
        role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
            Resources = [replica.Bucket.ArnForObjects("*")],
        }));
        role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["kms:Decrypt"],
            Resources = [dataKey.KeyArn],
        }));
        role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["kms:Encrypt", "kms:GenerateDataKey"],
            Resources = [replica.Key.KeyArn],
        }));

        var cfnBucket = (CfnBucket)Bucket.Node.DefaultChild!;
        cfnBucket.ReplicationConfiguration = new CfnBucket.ReplicationConfigurationProperty
        {
            Role = role.RoleArn,
            Rules = new object[]
            {
                new CfnBucket.ReplicationRuleProperty
                {
                    Id = ReplicationRuleId,
                    Status = "Enabled",
                    Priority = 1,
                    // Only the blocks: staged uploads under incoming/ live for minutes and are deleted once adopted, so
                    // copying them would be paid for nothing.
                    Filter = new CfnBucket.ReplicationRuleFilterProperty { Prefix = StorageConventions.BlocksKeyPrefix },
                    // Deletes (GC) reach the replica too, so it does not keep paying for collected blocks.
                    DeleteMarkerReplication = new CfnBucket.DeleteMarkerReplicationProperty { Status = "Enabled" },
                    SourceSelectionCriteria = new CfnBucket.SourceSelectionCriteriaProperty
                    {
                        SseKmsEncryptedObjects = new CfnBucket.SseKmsEncryptedObjectsProperty { Status = "Enabled" },
                    },
                    Destination = new CfnBucket.ReplicationDestinationProperty
                    {
                        Bucket = replica.Bucket.BucketArn,
                        // Read only after losing a region: the cheaper infrequent-access class.
                        StorageClass = "STANDARD_IA",
                        EncryptionConfiguration = new CfnBucket.EncryptionConfigurationProperty { ReplicaKmsKeyId = replica.Key.KeyArn },
                        // S3 Replication Time Control: 99.99 % of objects within 15 minutes (an SLA), and the metrics
                        // (ReplicationLatency, OperationsPendingReplication, OperationsFailedReplication) the lag alarm
                        // reads. https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-time-control.html
                        ReplicationTime = new CfnBucket.ReplicationTimeProperty
                        {
                            Status = "Enabled",
                            Time = new CfnBucket.ReplicationTimeValueProperty { Minutes = ReplicationTimeMinutes },
                        },
                        Metrics = new CfnBucket.MetricsProperty
                        {
                            Status = "Enabled",
                            EventThreshold = new CfnBucket.ReplicationTimeValueProperty { Minutes = ReplicationTimeMinutes },
                        },
                    },
                },
            },
        };
        return role;
    }
}
