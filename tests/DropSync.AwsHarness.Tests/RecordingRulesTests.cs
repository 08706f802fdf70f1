using System.Text.Json.Nodes;
using DropSync.AwsHarness.EventSources;
using DropSync.AwsHarness.Recording;
using DropSync.AwsHarness.Stack;

namespace DropSync.AwsHarness.Tests;

/// <summary>The IAM actions the recording proxies derive from requests, and Lambda's partial batch response rules.</summary>
[Trait("Category", "AwsHarness")]
public sealed class RecordingRulesTests
{
    private const string Key = "arn:aws:kms:us-east-1:000000000000:key/k";

    private static readonly ResourceArns Arns = new(new DeployedTemplate(
        JsonNode.Parse($$"""
            {
              "Resources": {
                "B": { "Type": "AWS::S3::Bucket", "Properties": { "BucketName": "blocks",
                  "BucketEncryption": { "ServerSideEncryptionConfiguration": [ { "ServerSideEncryptionByDefault": { "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "{{Key}}" } } ] } } },
                "Q": { "Type": "AWS::SQS::Queue", "Properties": { "QueueName": "changes", "KmsMasterKeyId": "{{Key}}" } }
              }
            }
            """)!.AsObject(),
        StackEnvironment.Harness,
        "http://sqs.us-east-1.localhost:1"));

    [Fact]
    public void DynamoDB_transactions_are_authorized_per_item_and_index_queries_on_the_index()
    {
        var transact = JsonNode.Parse("""
            { "TransactItems": [ { "Put": { "TableName": "A" } }, { "Update": { "TableName": "B" } },
                                 { "Delete": { "TableName": "A" } }, { "ConditionCheck": { "TableName": "B" } } ] }
            """);
        Assert.Equal(
            [
                ("dynamodb:PutItem", Arns.Table("A")), ("dynamodb:UpdateItem", Arns.Table("B")),
                ("dynamodb:DeleteItem", Arns.Table("A")), ("dynamodb:ConditionCheckItem", Arns.Table("B")),
            ],
            DynamoDbCalls.Classify("DynamoDB_20120810.TransactWriteItems", transact, Arns).ToArray());
        Assert.Equal(
            [("dynamodb:Query", "arn:aws:dynamodb:us-east-1:000000000000:table/A/index/children")],
            DynamoDbCalls.Classify("DynamoDB_20120810.Query", JsonNode.Parse("""{"TableName":"A","IndexName":"children"}"""), Arns).ToArray());
        Assert.Equal(
            [("dynamodb:BatchWriteItem", Arns.Table("A")), ("dynamodb:BatchWriteItem", Arns.Table("B"))],
            DynamoDbCalls.Classify("DynamoDB_20120810.BatchWriteItem", JsonNode.Parse("""{"RequestItems":{"A":[],"B":[]}}"""), Arns).ToArray());
    }

    [Fact]
    public void S3_requests_map_to_the_documented_actions_with_the_KMS_calls_of_an_SSE_KMS_bucket()
    {
        Assert.Equal(
            [("s3:GetObject", "arn:aws:s3:::blocks/incoming/u/h"), ("kms:Decrypt", Key), ("s3:PutObject", "arn:aws:s3:::blocks/blocks/h"), ("kms:GenerateDataKey", Key)],
            S3Calls.Classify("PUT", "/blocks/blocks/h", [], "/blocks/incoming%2Fu%2Fh", null, Arns).ToArray());
        Assert.Equal([("s3:GetObject", "arn:aws:s3:::blocks/a b")], S3Calls.Classify("HEAD", "/blocks/a%20b", [], null, null, Arns).ToArray());
        Assert.Equal([("s3:ListBucket", "arn:aws:s3:::blocks")], S3Calls.Classify("GET", "/blocks?list-type=2&prefix=x", ["list-type", "prefix"], null, null, Arns).ToArray());
        Assert.Equal([("s3:DeleteObject", "arn:aws:s3:::blocks/incoming/u/h")], S3Calls.Classify("DELETE", "/blocks/incoming/u/h", [], null, null, Arns).ToArray());
        Assert.Equal([("s3:PutObjectTagging", "arn:aws:s3:::blocks/k")], S3Calls.Classify("PUT", "/blocks/k?tagging", ["tagging"], null, null, Arns).ToArray());
        Assert.Equal(
            [("s3:DeleteObject", "arn:aws:s3:::blocks/x"), ("s3:DeleteObject", "arn:aws:s3:::blocks/y")],
            S3Calls.Classify("POST", "/blocks?delete", ["delete"], null, "<Delete><Object><Key>x</Key></Object><Object><Key>y</Key></Object></Delete>", Arns).ToArray());
    }

    [Fact]
    public void SQS_batch_sends_are_SendMessage_with_the_KMS_calls_of_an_encrypted_queue()
    {
        var queueArn = "arn:aws:sqs:us-east-1:000000000000:changes";
        Assert.Equal(
            [("sqs:SendMessage", queueArn), ("kms:GenerateDataKey", Key), ("kms:Decrypt", Key)],
            SqsCalls.Classify("AmazonSQS.SendMessageBatch", JsonNode.Parse("""{"QueueUrl":"http://sqs.us-east-1.localhost:1/000000000000/changes"}"""), Arns).ToArray());
    }

    [Fact]
    public void Partial_batch_responses_follow_Lambdas_rules()
    {
        string[] batch = ["m1", "m2"];
        Assert.Empty(PartialBatchResponse.FailedIds("""{"batchItemFailures":[]}""", batch)!);
        Assert.Empty(PartialBatchResponse.FailedIds("""{"batchItemFailures":null}""", batch)!);
        Assert.Empty(PartialBatchResponse.FailedIds("{}", batch)!);
        Assert.Empty(PartialBatchResponse.FailedIds("", batch)!);
        Assert.Equal(["m2"], PartialBatchResponse.FailedIds("""{"batchItemFailures":[{"itemIdentifier":"m2"}]}""", batch)!);
        Assert.Null(PartialBatchResponse.FailedIds("not json", batch));
        Assert.Null(PartialBatchResponse.FailedIds("""{"batchItemFailures":[{"itemIdentifier":""}]}""", batch));
        Assert.Null(PartialBatchResponse.FailedIds("""{"batchItemFailures":[{"itemIdentifier":null}]}""", batch));
        Assert.Null(PartialBatchResponse.FailedIds("""{"batchItemFailures":[{"itemIdentifier":"m9"}]}""", batch));
    }
}
