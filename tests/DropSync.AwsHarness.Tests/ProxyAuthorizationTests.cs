using System.Net;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SQS;
using Amazon.SQS.Model;
using DropSync.AwsHarness.Iam;
using DropSync.AwsHarness.Recording;

namespace DropSync.AwsHarness.Tests;

/// <summary>
/// The recording proxies refuse what the calling function's role does not allow, in each service's own error format,
/// and record the refused call: here with the template's policies minus the grants of s3:DeleteObject.
/// </summary>
[Collection(HarnessCollection.Name)]
[Trait("Category", "AwsHarness")]
public sealed class ProxyAuthorizationTests(HarnessFixture fixture)
{
    private const string Function = "http";

    /// <summary>Proxies in front of the harness's servers whose http function lost every statement granting s3:DeleteObject.</summary>
    private static async Task<(RecordingProxies Proxies, AwsCallLog Log)> ProxiesWithoutDeleteAsync(AwsHarness harness)
    {
        var policies = IamPolicies.ForFunctions(harness.Template.Template, harness.Template.Resolve)
            .ToDictionary(
                p => p.Function,
                p => p.Statements.Where(s => !s.Actions.Any(a => IamEvaluator.ActionMatches(a, "s3:DeleteObject"))).ToList(),
                StringComparer.Ordinal);
        var log = new AwsCallLog();
        var proxies = new RecordingProxies(
            new Dictionary<AwsService, Uri>
            {
                [AwsService.DynamoDb] = new(harness.Servers.DynamoDbEndpoint),
                [AwsService.S3] = new(harness.Servers.FauxqsEndpoint),
                [AwsService.Sqs] = new(harness.Servers.FauxqsEndpoint),
            },
            new ResourceArns(harness.Template),
            log,
            new ProxyAuthorization(
                call => IamEvaluator.Allows(policies[call.Function], call.Action, call.Resource),
                function => "arn:aws:sts::000000000000:assumed-role/test-role/" + function));
        await proxies.StartAsync([Function]);
        return (proxies, log);
    }

    private static readonly BasicAWSCredentials Credentials = new("AKIDEXAMPLE", "secret");

    [Fact]
    public async Task A_delete_the_role_no_longer_allows_is_access_denied_and_recorded_while_a_put_it_allows_goes_through()
    {
        var harness = fixture.Harness;
        var (proxies, log) = await ProxiesWithoutDeleteAsync(harness);
        await using var _ = proxies;
        using var s3 = new AmazonS3Client(Credentials, new AmazonS3Config
        {
            ServiceURL = proxies.Endpoint(Function, AwsService.S3),
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
        });
        var bucket = harness.Template.Buckets.Single().Name;
        var key = "incoming/" + Guid.NewGuid().ToString("N");

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = "staged" });
        var denied = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.DeleteObjectAsync(bucket, key));
        Assert.Equal("AccessDenied", denied.ErrorCode);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("Access Denied", denied.Message);

        // Refused, so the object is still there; the refused call is in the log like any other.
        using (var still = await s3.GetObjectAsync(bucket, key))
        {
            Assert.Equal(HttpStatusCode.OK, still.HttpStatusCode);
        }

        Assert.Contains(new AwsCall(Function, "s3:DeleteObject", $"arn:aws:s3:::{bucket}/{key}"), log.Snapshot());

        // The bucket is the harness's: leave no staged object that is no block for the maintenance function to meet.
        await harness.Servers.S3.DeleteObjectAsync(bucket, key);
    }

    [Fact]
    public async Task DynamoDB_and_SQS_calls_the_role_does_not_allow_are_AccessDeniedException_in_their_json_formats()
    {
        var harness = fixture.Harness;
        var (proxies, log) = await ProxiesWithoutDeleteAsync(harness);
        await using var _ = proxies;

        // No DropSync role may delete a table.
        using var dynamo = new AmazonDynamoDBClient(Credentials, new AmazonDynamoDBConfig
        {
            ServiceURL = proxies.Endpoint(Function, AwsService.DynamoDb),
            AuthenticationRegion = "us-east-1",
        });
        var table = harness.Template.Tables[0];
        var dynamoDenied = await Assert.ThrowsAsync<AmazonDynamoDBException>(() => dynamo.DeleteTableAsync(table.Name));
        Assert.Equal("AccessDeniedException", dynamoDenied.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, dynamoDenied.StatusCode);
        Assert.Contains($"is not authorized to perform: dynamodb:DeleteTable on resource: {table.Arn}", dynamoDenied.Message, StringComparison.Ordinal);
        Assert.Contains((await dynamo.DescribeTableAsync(table.Name)).Table.TableName, table.Name, StringComparison.Ordinal);

        // The http function publishes changes; it does not consume them.
        using var sqs = new AmazonSQSClient(Credentials, new AmazonSQSConfig
        {
            ServiceURL = proxies.Endpoint(Function, AwsService.Sqs),
            AuthenticationRegion = "us-east-1",
        });
        var sqsDenied = await Assert.ThrowsAsync<AmazonSQSException>(() => sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = harness.ChangeQueueUrl }));
        Assert.Equal("AccessDenied", sqsDenied.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, sqsDenied.StatusCode);
        Assert.Contains("is not authorized to perform: sqs:ReceiveMessage", sqsDenied.Message, StringComparison.Ordinal);

        Assert.Contains(log.Snapshot(), c => c.Action == "dynamodb:DeleteTable" && c.Resource == table.Arn);
        Assert.Contains(log.Snapshot(), c => c.Action == "sqs:ReceiveMessage");
    }
}
