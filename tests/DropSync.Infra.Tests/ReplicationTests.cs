using Amazon.CDK.Assertions;
using Newtonsoft.Json.Linq;

namespace DropSync.Infra.Tests;

using Props = Dictionary<string, object>;

public sealed class ReplicationTests
{
    private static Deployment D => Stacks.WithReplica;

    [Fact]
    public void A_replica_region_adds_a_private_encrypted_versioned_replica_bucket_there()
    {
        var replica = D.Replica!;
        replica.ResourceCountIs("AWS::S3::Bucket", 1);
        replica.HasResourceProperties("AWS::KMS::Key", new Props { ["EnableKeyRotation"] = true });
        replica.HasResourceProperties("AWS::S3::Bucket", new Props
        {
            ["VersioningConfiguration"] = new Props { ["Status"] = "Enabled" },
            ["PublicAccessBlockConfiguration"] = new Props
            {
                ["BlockPublicAcls"] = true,
                ["BlockPublicPolicy"] = true,
                ["IgnorePublicAcls"] = true,
                ["RestrictPublicBuckets"] = true,
            },
            ["BucketEncryption"] = new Props
            {
                ["ServerSideEncryptionConfiguration"] = new object[]
                {
                    Match.ObjectLike(new Props
                    {
                        ["BucketKeyEnabled"] = true,
                        ["ServerSideEncryptionByDefault"] = Match.ObjectLike(new Props { ["SSEAlgorithm"] = "aws:kms" }),
                    }),
                },
            },
        });
        replica.HasResourceProperties("AWS::S3::BucketPolicy", new Props
        {
            ["PolicyDocument"] = Match.ObjectLike(new Props
            {
                ["Statement"] = Match.ArrayWith(new object[]
                {
                    Match.ObjectLike(new Props { ["Effect"] = "Deny", ["Condition"] = new Props { ["Bool"] = new Props { ["aws:SecureTransport"] = "false" } } }),
                }),
            }),
        });
    }

    [Fact]
    public void The_primary_bucket_replicates_kms_encrypted_objects_with_the_replica_key()
    {
        var role = new Capture();
        D.Primary.HasResourceProperties("AWS::S3::Bucket", new Props
        {
            ["ReplicationConfiguration"] = new Props
            {
                ["Role"] = role,
                ["Rules"] = new object[]
                {
                    Match.ObjectLike(new Props
                    {
                        ["Status"] = "Enabled",
                        // Only blocks/: staged uploads (incoming/) are not worth copying.
                        ["Filter"] = new Props { ["Prefix"] = "blocks/" },
                        ["DeleteMarkerReplication"] = new Props { ["Status"] = "Enabled" },
                        ["SourceSelectionCriteria"] = new Props { ["SseKmsEncryptedObjects"] = new Props { ["Status"] = "Enabled" } },
                        ["Destination"] = Match.ObjectLike(new Props
                        {
                            ["Bucket"] = Match.AnyValue(),
                            ["StorageClass"] = "STANDARD_IA",
                            ["EncryptionConfiguration"] = new Props { ["ReplicaKmsKeyID"] = Match.AnyValue() },
                            // Replication Time Control and its metrics (ReplicationLatency, OperationsPendingReplication, ...).
                            ["ReplicationTime"] = new Props { ["Status"] = "Enabled", ["Time"] = new Props { ["Minutes"] = 15 } },
                            ["Metrics"] = new Props { ["Status"] = "Enabled", ["EventThreshold"] = new Props { ["Minutes"] = 15 } },
                        }),
                    }),
                },
            },
        });
        var roleId = JObject.FromObject(role.AsObject())["Fn::GetAtt"]![0]!.ToString();
        Assert.StartsWith("StorageReplicationRole", roleId, StringComparison.Ordinal);
        D.Primary.HasResourceProperties("AWS::IAM::Role", new Props
        {
            ["AssumeRolePolicyDocument"] = Match.ObjectLike(new Props
            {
                ["Statement"] = new object[] { Match.ObjectLike(new Props { ["Principal"] = new Props { ["Service"] = "s3.amazonaws.com" } }) },
            }),
        });
    }

    [Fact]
    public void The_replication_role_may_only_touch_the_two_buckets_and_the_two_keys()
    {
        var policy = D.Resources("AWS::IAM::Policy").Single(p => p.Id.StartsWith("StorageReplicationRole", StringComparison.Ordinal)).Properties;
        var statements = (JArray)policy["PolicyDocument"]!["Statement"]!;
        Assert.NotEmpty(statements);
        foreach (var statement in statements)
        {
            Assert.Equal("Allow", (string?)statement["Effect"]);
            var resources = statement["Resource"] is JArray array ? array.ToList() : [statement["Resource"]!];
            foreach (var resource in resources)
            {
                Assert.NotEqual(JTokenType.String, resource.Type); // no literal ARNs and never "*"
            }
        }

        var text = policy.ToString();
        Assert.Contains("s3:ReplicateObject", text, StringComparison.Ordinal);
        Assert.Contains("s3:GetObjectVersionForReplication", text, StringComparison.Ordinal);
        // The replica's bucket and key arrive as cross-region references (SSM parameters the replica stack writes).
        Assert.Contains("{{resolve:ssm:", D.PrimaryJson.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Replication_lag_and_failures_raise_alarms()
    {
        var bucket = D.LogicalId("AWS::S3::Bucket", "StorageBlocks");
        D.Primary.HasResourceProperties("AWS::CloudWatch::Alarm", new Props
        {
            ["Namespace"] = "AWS/S3",
            ["MetricName"] = "ReplicationLatency",
            ["Statistic"] = "Maximum",
            ["Threshold"] = 900,
            ["Dimensions"] = Match.ArrayWith(new object[]
            {
                new Props { ["Name"] = "RuleId", ["Value"] = BlockStorage.ReplicationRuleId },
                new Props { ["Name"] = "SourceBucket", ["Value"] = new Props { ["Ref"] = bucket } },
            }),
            ["AlarmActions"] = Match.AnyValue(),
        });
        D.Primary.HasResourceProperties("AWS::CloudWatch::Alarm", new Props { ["Namespace"] = "AWS/S3", ["MetricName"] = "OperationsFailedReplication" });
        Stacks.WithoutReplica.Primary.ResourcePropertiesCountIs("AWS::CloudWatch::Alarm", new Props { ["Namespace"] = "AWS/S3" }, 0);
    }

    [Fact]
    public void The_master_key_secret_is_replicated_to_the_replica_region_under_its_key()
    {
        var secret = D.Resources("AWS::SecretsManager::Secret").Single().Properties;
        var replica = Assert.Single((JArray)secret["ReplicaRegions"]!);
        Assert.Equal("eu-central-1", (string?)replica["Region"]);
        Assert.Contains("ReplicaKey", replica["KmsKeyId"]!.ToString(), StringComparison.Ordinal);
        Assert.Null(Stacks.WithoutReplica.Resources("AWS::SecretsManager::Secret").Single().Properties["ReplicaRegions"]);
    }
}
