using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace DropSync.AwsHarness.Stack;

/// <summary>Where the stack is "deployed": what CloudFormation's pseudo parameters answer.</summary>
/// <remarks>https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html</remarks>
public sealed record StackEnvironment(string StackName, string Region, string AccountId, string Partition = "aws", string UrlSuffix = "amazonaws.com")
{
    /// <summary>fauxqs answers every queue ARN and URL with this account (its DEFAULT_ACCOUNT_ID), so the harness
    /// deploys into it: the template's ARNs and fauxqs' then agree (the queue's RedrivePolicy names the DLQ by ARN).</summary>
    public static StackEnvironment Harness { get; } = new("DropSync-harness", "us-east-1", "000000000000");
}

/// <summary>One deployed resource: what <c>Ref</c> answers and its <c>Fn::GetAtt</c> attributes.</summary>
public sealed record PhysicalResource(string LogicalId, string Type, string Ref, IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// Physical names and ids for the template's resources, as CloudFormation would give them: the name the template sets,
/// else one generated from the stack name and logical id; ARNs in AWS's documented formats; queue URLs on the local
/// SQS server. Return values per type follow each resource's "Return values" section in the CloudFormation reference
/// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-template-resource-type-ref.html).
/// </summary>
public static class PhysicalResources
{
    public static Dictionary<string, PhysicalResource> Assign(JsonObject template, StackEnvironment env, string queueUrlBase)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(env);
        var result = new Dictionary<string, PhysicalResource>(StringComparer.Ordinal);
        foreach (var (id, node) in template["Resources"]!.AsObject())
        {
            var type = (string)node!["Type"]!;
            var properties = node["Properties"] as JsonObject;
            result[id] = Assign(id, type, properties, env, queueUrlBase.TrimEnd('/'));
        }

        return result;
    }

    private static PhysicalResource Assign(string id, string type, JsonObject? properties, StackEnvironment env, string queueUrlBase)
    {
        string? Given(string property) => properties?[property] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
        var (p, r, a) = (env.Partition, env.Region, env.AccountId);
        switch (type)
        {
            case "AWS::DynamoDB::Table":
            case "AWS::DynamoDB::GlobalTable": // CDK's TableV2: Ref is the table name, Arn the primary region's table
                {
                    var name = Given("TableName") ?? Generated(env, id, 255);
                    var arn = $"arn:{p}:dynamodb:{r}:{a}:table/{name}";
                    return new(id, type, name, Attrs(("Arn", arn), ("StreamArn", arn + "/stream/1970-01-01T00:00:00.000")));
                }

            case "AWS::S3::Bucket":
                {
                    // Bucket names: 3-63 lower-case letters, digits, '-' (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
                    var name = Given("BucketName") ?? Generated(env, id, 63).ToLowerInvariant();
                    return new(id, type, name, Attrs(
                        ("Arn", $"arn:{p}:s3:::{name}"), ("DomainName", $"{name}.s3.{env.UrlSuffix}"),
                        ("RegionalDomainName", $"{name}.s3.{r}.{env.UrlSuffix}")));
                }

            case "AWS::SQS::Queue":
                {
                    // Ref answers the queue URL (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sqs-queue.html).
                    var name = Given("QueueName") ?? Generated(env, id, 80);
                    var url = $"{queueUrlBase}/{a}/{name}";
                    return new(id, type, url, Attrs(("Arn", $"arn:{p}:sqs:{r}:{a}:{name}"), ("QueueName", name), ("QueueUrl", url)));
                }

            case "AWS::KMS::Key":
                {
                    var keyId = StableGuid(env.StackName + "/" + id);
                    return new(id, type, keyId, Attrs(("Arn", $"arn:{p}:kms:{r}:{a}:key/{keyId}"), ("KeyId", keyId)));
                }

            case "AWS::SecretsManager::Secret":
                {
                    // Ref answers the ARN; Secrets Manager appends '-' and six random characters to the name.
                    var name = Given("Name") ?? Generated(env, id, 256);
                    var arn = $"arn:{p}:secretsmanager:{r}:{a}:secret:{name}-{StableGuid(name)[..6]}";
                    return new(id, type, arn, Attrs(("Id", arn)));
                }

            case "AWS::Lambda::Function":
                {
                    var name = Given("FunctionName") ?? Generated(env, id, 64);
                    return new(id, type, name, Attrs(("Arn", $"arn:{p}:lambda:{r}:{a}:function:{name}")));
                }

            case "AWS::IAM::Role":
                {
                    var name = Given("RoleName") ?? Generated(env, id, 64);
                    return new(id, type, name, Attrs(("Arn", $"arn:{p}:iam::{a}:role/{name}"), ("RoleId", "AROA" + StableGuid(name)[..17].ToUpperInvariant())));
                }

            case "AWS::ApiGatewayV2::Api":
                {
                    // API ids are 10 lower-case alphanumerics; the endpoint is https:// (HTTP) or wss:// (WebSocket).
                    var apiId = StableGuid(env.StackName + "/" + id).Replace("-", "", StringComparison.Ordinal)[..10];
                    var scheme = Given("ProtocolType") == "WEBSOCKET" ? "wss" : "https";
                    return new(id, type, apiId, Attrs(("ApiId", apiId), ("ApiEndpoint", $"{scheme}://{apiId}.execute-api.{r}.{env.UrlSuffix}")));
                }

            case "AWS::ApiGatewayV2::Stage":
                return new(id, type, Given("StageName") ?? id, Attrs());

            case "AWS::SNS::Topic":
                {
                    var name = Given("TopicName") ?? Generated(env, id, 256);
                    return new(id, type, $"arn:{p}:sns:{r}:{a}:{name}", Attrs(("TopicName", name), ("TopicArn", $"arn:{p}:sns:{r}:{a}:{name}")));
                }

            case "AWS::Logs::LogGroup":
                {
                    var name = Given("LogGroupName") ?? "/aws/lambda/" + Generated(env, id, 64);
                    return new(id, type, name, Attrs(("Arn", $"arn:{p}:logs:{r}:{a}:log-group:{name}:*")));
                }

            case "AWS::Events::Rule":
                {
                    var name = Given("Name") ?? Generated(env, id, 64);
                    return new(id, type, name, Attrs(("Arn", $"arn:{p}:events:{r}:{a}:rule/{name}")));
                }

            default:
                return new(id, type, Generated(env, id, 128), Attrs(("Arn", $"arn:{p}:{Service(type)}:{r}:{a}:{id}")));
        }
    }

    /// <summary>CloudFormation's generated names: stack name, logical id and a random suffix, cut to the type's limit.</summary>
    private static string Generated(StackEnvironment env, string logicalId, int maxLength)
    {
        var suffix = StableGuid(env.StackName + "/" + logicalId).Replace("-", "", StringComparison.Ordinal)[..12].ToUpperInvariant();
        var head = $"{env.StackName}-{logicalId}";
        var room = maxLength - suffix.Length - 1;
        return (head.Length > room ? head[..room] : head) + "-" + suffix;
    }

    private static string Service(string type) => type.Split("::") is [_, var service, ..] ? service.ToLowerInvariant() : "unknown";

    private static string StableGuid(string seed) => new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(seed))[..16]).ToString();

    private static Dictionary<string, string> Attrs(params (string Key, string Value)[] pairs) =>
        pairs.ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);
}
