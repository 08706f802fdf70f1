using Amazon.CDK.Assertions;
using Newtonsoft.Json.Linq;

namespace DropSync.Infra.Tests;

using Props = Dictionary<string, object>;

public sealed class BlockBucketTests
{
    private static Deployment D => Stacks.WithoutReplica;

    [Fact]
    public void One_bucket_encrypted_with_the_customer_managed_key_and_bucket_keys()
    {
        D.Primary.ResourceCountIs("AWS::S3::Bucket", 1);
        var keyId = D.LogicalId("AWS::KMS::Key", "DataKey");
        D.Primary.HasResourceProperties("AWS::S3::Bucket", new Props
        {
            ["BucketEncryption"] = new Props
            {
                ["ServerSideEncryptionConfiguration"] = new object[]
                {
                    new Props
                    {
                        ["BucketKeyEnabled"] = true,
                        ["ServerSideEncryptionByDefault"] = new Props
                        {
                            ["SSEAlgorithm"] = "aws:kms",
                            ["KMSMasterKeyID"] = new Props { ["Fn::GetAtt"] = new object[] { keyId, "Arn" } },
                        },
                    },
                },
            },
        });
    }

    [Fact]
    public void The_data_key_rotates_and_is_retained()
    {
        D.Primary.ResourceCountIs("AWS::KMS::Key", 1);
        D.Primary.HasResource("AWS::KMS::Key", new Props
        {
            ["Properties"] = Match.ObjectLike(new Props { ["EnableKeyRotation"] = true }),
            ["DeletionPolicy"] = "Retain",
        });
    }

    [Fact]
    public void All_public_access_is_blocked_and_acls_are_off()
    {
        D.Primary.HasResourceProperties("AWS::S3::Bucket", new Props
        {
            ["PublicAccessBlockConfiguration"] = new Props
            {
                ["BlockPublicAcls"] = true,
                ["BlockPublicPolicy"] = true,
                ["IgnorePublicAcls"] = true,
                ["RestrictPublicBuckets"] = true,
            },
            ["OwnershipControls"] = new Props { ["Rules"] = new object[] { new Props { ["ObjectOwnership"] = "BucketOwnerEnforced" } } },
        });
    }

    [Fact]
    public void The_bucket_policy_denies_every_request_without_tls()
    {
        var bucketId = D.LogicalId("AWS::S3::Bucket", "StorageBlocks");
        D.Primary.HasResourceProperties("AWS::S3::BucketPolicy", new Props
        {
            ["Bucket"] = new Props { ["Ref"] = bucketId },
            ["PolicyDocument"] = Match.ObjectLike(new Props
            {
                ["Statement"] = Match.ArrayWith(new object[]
                {
                    Match.ObjectLike(new Props
                    {
                        ["Effect"] = "Deny",
                        ["Action"] = "s3:*",
                        ["Principal"] = new Props { ["AWS"] = "*" },
                        ["Condition"] = new Props { ["Bool"] = new Props { ["aws:SecureTransport"] = "false" } },
                    }),
                }),
            }),
        });
    }

    [Fact]
    public void The_bucket_is_versioned_and_retained()
    {
        D.Primary.HasResource("AWS::S3::Bucket", new Props
        {
            ["Properties"] = Match.ObjectLike(new Props { ["VersioningConfiguration"] = new Props { ["Status"] = "Enabled" } }),
            ["DeletionPolicy"] = "Retain",
            ["UpdateReplacePolicy"] = "Retain",
        });
    }

    [Fact]
    public void Cold_tagged_blocks_move_to_glacier_instant_retrieval_after_the_configured_days()
    {
        D.Primary.HasResourceProperties("AWS::S3::Bucket", new Props
        {
            ["LifecycleConfiguration"] = new Props
            {
                ["Rules"] = Match.ArrayWith(new object[]
                {
                    new Props
                    {
                        ["Id"] = "cold-blocks-to-glacier-ir",
                        ["Status"] = "Enabled",
                        ["TagFilters"] = new object[] { new Props { ["Key"] = "cold", ["Value"] = "true" } },
                        ["ObjectSizeGreaterThan"] = 131072,
                        ["Transitions"] = new object[]
                        {
                            new Props { ["StorageClass"] = "GLACIER_IR", ["TransitionInDays"] = Stacks.ColdAfterDays },
                        },
                    },
                }),
            },
        });
    }

    [Fact]
    public void Incomplete_multipart_uploads_are_aborted_and_noncurrent_versions_expire()
    {
        D.Primary.HasResourceProperties("AWS::S3::Bucket", new Props
        {
            ["LifecycleConfiguration"] = new Props
            {
                ["Rules"] = Match.ArrayWith(new object[]
                {
                    new Props { ["Id"] = "expire-staged-uploads", ["Status"] = "Enabled", ["Prefix"] = "incoming/", ["ExpirationInDays"] = 3 },
                    new Props { ["Id"] = "abort-incomplete-multipart-uploads", ["Status"] = "Enabled", ["AbortIncompleteMultipartUpload"] = new Props { ["DaysAfterInitiation"] = 2 } },
                    new Props
                    {
                        ["Id"] = "expire-noncurrent-versions",
                        ["Status"] = "Enabled",
                        ["NoncurrentVersionExpiration"] = new Props { ["NoncurrentDays"] = 30 },
                        ["ExpiredObjectDeleteMarker"] = true,
                    },
                }),
            },
        });
    }

    [Fact]
    public void Cors_lets_the_web_app_and_configured_origins_put_and_get_blocks()
    {
        var origins = new Capture();
        D.Primary.HasResourceProperties("AWS::S3::Bucket", new Props
        {
            ["CorsConfiguration"] = new Props
            {
                ["CorsRules"] = new object[]
                {
                    Match.ObjectLike(new Props
                    {
                        ["AllowedMethods"] = new object[] { "GET", "PUT", "HEAD" },
                        ["AllowedOrigins"] = origins,
                    }),
                },
            },
        });
        var list = JArray.FromObject(origins.AsArray());
        Assert.Equal(2, list.Count);
        Assert.Contains(Stacks.WebOrigin, list.Select(o => o.Type == JTokenType.String ? (string?)o : null));
        // The HTTP API's own origin (it serves the web app) is the other one: https://{api id}.execute-api....
        var apiId = D.LogicalId("AWS::ApiGatewayV2::Api", "HttpApi");
        Assert.Contains(list, o => o.Type == JTokenType.Object && o.ToString().Contains(apiId, StringComparison.Ordinal));
    }

    [Fact]
    public void Without_a_replica_region_nothing_is_replicated()
    {
        D.Primary.HasResourceProperties("AWS::S3::Bucket", new Props { ["ReplicationConfiguration"] = Match.Absent() });
        D.Primary.ResourceCountIs("AWS::IAM::Role", 4); // the four functions' roles, no replication role
        Assert.Null(D.Replica);
    }
}
