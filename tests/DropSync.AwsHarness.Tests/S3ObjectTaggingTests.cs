using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using DropSync.AwsHarness.Recording;

namespace DropSync.AwsHarness.Tests;

/// <summary>
/// Object tagging through the maintenance function's S3 proxy (the calls the cold-tiering job makes), as S3 answers
/// them: fauxqs has none, so without the proxy a GET ?tagging answered the object's bytes and a PUT ?tagging overwrote it.
/// </summary>
[Collection(HarnessCollection.Name)]
[Trait("Category", "AwsHarness")]
public sealed class S3ObjectTaggingTests(HarnessFixture fixture)
{
    [Fact]
    public async Task Tags_are_set_read_replaced_by_a_write_and_dropped_with_the_object_and_the_content_is_untouched()
    {
        var harness = fixture.Harness;
        using var s3 = ClientOf(harness, "maintenance");
        using var writer = ClientOf(harness, "http"); // blocks are written by the http function (maintenance may not put)
        var bucket = harness.Template.Buckets.Single().Name;
        var key = "blocks/" + Guid.NewGuid().ToString("N");
        await writer.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = "block bytes" });

        Assert.Empty(await TagsAsync(s3, bucket, key));
        await s3.PutObjectTaggingAsync(new PutObjectTaggingRequest
        {
            BucketName = bucket,
            Key = key,
            Tagging = new Tagging { TagSet = [new Tag { Key = "cold", Value = "true" }] },
        });
        var tags = await TagsAsync(s3, bucket, key);
        Assert.Equal(("cold", "true"), (Assert.Single(tags).Key, tags[0].Value));
        using (var content = await s3.GetObjectAsync(bucket, key))
        using (var reader = new StreamReader(content.ResponseStream))
        {
            Assert.Equal("block bytes", await reader.ReadToEndAsync());
        }

        Assert.Contains(new AwsCall("maintenance", "s3:PutObjectTagging", $"arn:aws:s3:::{bucket}/{key}"), harness.Calls.Snapshot());

        // A new write without tags replaces them; a missing object has none to read.
        await writer.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = "again" });
        Assert.Empty(await TagsAsync(s3, bucket, key));
        await s3.DeleteObjectAsync(bucket, key);
        var missing = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = key }));
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchKey"), (missing.StatusCode, missing.ErrorCode));
    }

    /// <summary>The object's tags (the v4 SDK answers an empty tag set as null).</summary>
    private static async Task<List<Tag>> TagsAsync(AmazonS3Client s3, string bucket, string key) =>
        (await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = key })).Tagging ?? [];

    /// <summary>An S3 client signing as <paramref name="role"/>'s function, through that function's S3 proxy.</summary>
    private static AmazonS3Client ClientOf(AwsHarness harness, string role)
    {
        var environment = harness.Functions[role].Environment;
        return new AmazonS3Client(
            new BasicAWSCredentials(environment["AWS_ACCESS_KEY_ID"], environment["AWS_SECRET_ACCESS_KEY"]),
            new AmazonS3Config { ServiceURL = environment["DROPSYNC_S3_ENDPOINT"], ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
    }
}
