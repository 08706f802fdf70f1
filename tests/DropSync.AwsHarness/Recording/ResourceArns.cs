using DropSync.AwsHarness.Stack;

namespace DropSync.AwsHarness.Recording;

/// <summary>
/// ARNs of the deployed resources as IAM names them, and the KMS keys the template encrypts them with (for the KMS calls
/// S3 and SQS make on the caller's behalf).
/// </summary>
public sealed class ResourceArns(DeployedTemplate template)
{
    private readonly StackEnvironment _env = template.Environment;

    /// <summary>https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html (table, index).</summary>
    public string Table(string name) => $"arn:{_env.Partition}:dynamodb:{_env.Region}:{_env.AccountId}:table/{name}";

    public string Index(string table, string index) => Table(table) + "/index/" + index;

    /// <summary>https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html (bucket, object).</summary>
    public string Bucket(string bucket) => $"arn:{_env.Partition}:s3:::{bucket}";

    public string Object(string bucket, string key) => $"arn:{_env.Partition}:s3:::{bucket}/{key}";

    /// <summary>The queue's ARN from its URL (…/{account}/{name}).</summary>
    public string Queue(string url)
    {
        var known = template.Queues.FirstOrDefault(q => q.Url == url);
        if (known is not null)
        {
            return known.Arn;
        }

        var parts = new Uri(url).AbsolutePath.Trim('/').Split('/');
        return $"arn:{_env.Partition}:sqs:{_env.Region}:{parts[0]}:{parts[^1]}";
    }

    public string QueueByName(string name) => $"arn:{_env.Partition}:sqs:{_env.Region}:{_env.AccountId}:{name}";

    public string? BucketKey(string bucket) => template.Buckets.FirstOrDefault(b => b.Name == bucket)?.KmsKeyArn;

    public string? QueueKey(string queueArn) => template.Queues.FirstOrDefault(q => q.Arn == queueArn)?.KmsKeyArn;
}
