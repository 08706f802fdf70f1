using Amazon.DynamoDBv2;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SQS;
using Amazon.SQS.Model;
using DropSync.Aws.DynamoDb;

namespace DropSync.AwsHarness.Stack;

/// <summary>
/// Creates the template's data resources on the local servers, as CloudFormation would on deploy: the tables (with the
/// app's own schema, after checking it names exactly the template's tables), the bucket, and the queues with their
/// attributes and RedrivePolicy (fauxqs implements redrive: a message received more than maxReceiveCount times moves to
/// the dead-letter queue, as SQS documents:
/// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
/// </summary>
public static class StackProvisioner
{
    public static async Task ProvisionAsync(
        DeployedTemplate template, string tablePrefix, IAmazonDynamoDB dynamo, IAmazonS3 s3, IAmazonSQS sqs,
        IReadOnlyDictionary<string, int> visibilityTimeoutOverrides, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(visibilityTimeoutOverrides);

        // Tables: the app's schema (DynamoDbSchema) under the stage's prefix must be the template's tables.
        var names = new DynamoDbTableNames(tablePrefix);
        var appTables = names.All.Append(names.Connections).Order(StringComparer.Ordinal).ToList();
        var templateTables = template.Tables.Select(t => t.Name).Order(StringComparer.Ordinal).ToList();
        if (!appTables.SequenceEqual(templateTables))
        {
            throw new InvalidOperationException(
                $"The template's tables ({string.Join(", ", templateTables)}) are not the app's ({string.Join(", ", appTables)}).");
        }

        await DynamoDbSchema.CreateAsync(dynamo, names, ct).ConfigureAwait(false);
        await DynamoDbSchema.CreateConnectionsAsync(dynamo, names, ct).ConfigureAwait(false);

        foreach (var bucket in template.Buckets)
        {
            await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket.Name }, ct).ConfigureAwait(false);
        }

        // Dead-letter queues first: a RedrivePolicy names its target by ARN.
        foreach (var queue in template.Queues.OrderBy(q => q.RedrivePolicyJson is null ? 0 : 1))
        {
            var attributes = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["VisibilityTimeout"] = visibilityTimeoutOverrides.GetValueOrDefault(queue.LogicalId, queue.VisibilityTimeoutSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            if (queue.RedrivePolicyJson is not null)
            {
                attributes["RedrivePolicy"] = queue.RedrivePolicyJson;
            }

            var created = await sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = queue.Name, Attributes = attributes }, ct).ConfigureAwait(false);
            if (created.QueueUrl != queue.Url)
            {
                throw new InvalidOperationException($"Queue {queue.LogicalId}: fauxqs answered {created.QueueUrl}, the template resolves {queue.Url}.");
            }

            var arn = await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = created.QueueUrl, AttributeNames = ["QueueArn"] }, ct).ConfigureAwait(false);
            if (arn.QueueARN != queue.Arn)
            {
                throw new InvalidOperationException($"Queue {queue.LogicalId}: fauxqs' ARN {arn.QueueARN} is not the template's {queue.Arn}.");
            }
        }
    }
}
