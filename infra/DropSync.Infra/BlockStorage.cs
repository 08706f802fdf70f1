using Amazon.CDK;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.S3;
using Constructs;

namespace DropSync.Infra;

/// <summary>Where a replica of the blocks goes: a bucket and its key, in another region (see <see cref="ReplicaStack"/>).</summary>
public sealed record ReplicaTarget(IBucket Bucket, IKey Key);

/// <summary>
/// The blocks bucket: private, TLS only, SSE-KMS with the data key and S3 Bucket Keys, versioned (so GC mistakes and
/// deletes can be undone for <see cref="DropSyncSettings.NoncurrentVersionDays"/> and so replication can work), CORS for
/// browsers that PUT/GET blocks by presigned URL, lifecycle rules for cold tiering and clean-up, and optionally
/// replication to a bucket in another region.
/// </summary>
public sealed class BlockStorage : Construct
{
    public Bucket Bucket { get; }

    /// <summary>The role S3 assumes to replicate, when replication is on.</summary>
    public Role? ReplicationRole { get; }

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
                    Id = "replicate-blocks",
                    Status = "Enabled",
                    Priority = 1,
                    Filter = new CfnBucket.ReplicationRuleFilterProperty { Prefix = "" },
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
                    },
                },
            },
        };
        return role;
    }
}
