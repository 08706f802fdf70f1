using System.Text.Json.Nodes;

namespace DropSync.AwsHarness.Recording;

/// <summary>
/// The IAM authorizations of one SQS API request (JSON protocol, <c>X-Amz-Target: AmazonSQS.{Operation}</c>): the batch
/// operations are authorized as their single forms (sqs:SendMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility),
/// on the queue's ARN. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html
/// An SSE-KMS queue makes KMS calls with the caller's permissions: producers need kms:GenerateDataKey and kms:Decrypt,
/// consumers kms:Decrypt. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
/// </summary>
public static class SqsCalls
{
    public static IEnumerable<(string Action, string Resource)> Classify(string target, JsonNode? body, ResourceArns arns)
    {
        ArgumentNullException.ThrowIfNull(arns);
        var operation = target.Split('.', 2) is [_, var op] ? op : target;
        var action = "sqs:" + operation switch
        {
            "SendMessageBatch" => "SendMessage",
            "DeleteMessageBatch" => "DeleteMessage",
            "ChangeMessageVisibilityBatch" => "ChangeMessageVisibility",
            _ => operation,
        };
        var queueUrl = (string?)body?["QueueUrl"];
        var queueName = (string?)body?["QueueName"];
        var queue = queueUrl is not null ? arns.Queue(queueUrl) : queueName is not null ? arns.QueueByName(queueName) : "*";
        yield return (action, queue);

        if (queue != "*" && arns.QueueKey(queue) is { } key)
        {
            if (action == "sqs:SendMessage")
            {
                yield return ("kms:GenerateDataKey", key);
                yield return ("kms:Decrypt", key);
            }
            else if (action == "sqs:ReceiveMessage")
            {
                yield return ("kms:Decrypt", key);
            }
        }
    }
}
