using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace DropSync.AwsHarness.Tests.Iam;

/// <summary>
/// A minimal CloudFormation intrinsic resolver for these tests: Ref, Fn::GetAtt (Arn and a few others), Fn::Join,
/// Fn::Sub, Fn::Select and Fn::Split, with fake but realistic names and ARNs in account 123456789012, us-east-1 (the
/// harness passes its own resolver, which maps to its real resources). Anything else resolves to null.
/// </summary>
public sealed class FakeArnResolver(JsonObject template)
{
    public const string Account = "123456789012";
    public const string Region = "us-east-1";

    /// <summary>The resolver as <see cref="DropSync.AwsHarness.Iam.IamPolicies"/> takes it.</summary>
    public Func<JsonNode?, JsonNode?> Resolve => node => Value(node) is { } s ? JsonValue.Create(s) : null;

    /// <summary>The logical id of the one resource of a type whose id starts with <paramref name="prefix"/>.</summary>
    public string LogicalId(string type, string prefix) =>
        ((JsonObject)template["Resources"]!)
            .Where(r => (string?)r.Value!["Type"] == type && r.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Select(r => r.Key)
            .Single();

    public string Ref(string logicalId) => Value(new JsonObject { ["Ref"] = logicalId }) ?? throw new ArgumentException(logicalId);

    public string Arn(string logicalId) => Value(new JsonObject { ["Fn::GetAtt"] = new JsonArray(logicalId, "Arn") }) ?? throw new ArgumentException(logicalId);

    private string? Value(JsonNode? node)
    {
        switch (node)
        {
            case JsonValue v when v.TryGetValue(out string? s):
                return s;
            case JsonObject { Count: 1 } o:
                var (function, argument) = (o.First().Key, o.First().Value);
                return function switch
                {
                    "Ref" => RefValue((string)argument!),
                    "Fn::GetAtt" => argument is JsonArray { Count: 2 } a ? Attribute((string)a[0]!, (string)a[1]!)
                        : ((string)argument!).Split('.', 2) is [var id, var name] ? Attribute(id, name) : null,
                    "Fn::Join" => argument is JsonArray { Count: 2 } j && j[1] is JsonArray parts ? Join((string)j[0]!, parts) : null,
                    "Fn::Sub" => argument is JsonArray { Count: 2 } s ? Sub((string)s[0]!, (JsonObject)s[1]!) : Sub((string)argument!, []),
                    "Fn::Select" => argument is JsonArray { Count: 2 } sel && List(sel[1]) is { } list ? list.ElementAtOrDefault(int.Parse(Value(sel[0]) ?? "-1", CultureInfo.InvariantCulture)) : null,
                    _ => null,
                };
            default:
                return null;
        }
    }

    private List<string>? List(JsonNode? node) => node switch
    {
        JsonArray a => a.Select(Value).ToList() is var values && values.All(v => v is not null) ? [.. values.OfType<string>()] : null,
        JsonObject { Count: 1 } o when o["Fn::Split"] is JsonArray { Count: 2 } split && Value(split[1]) is { } text => [.. text.Split((string)split[0]!)],
        _ => null,
    };

    private string? Join(string separator, JsonArray parts) => List(parts) is { } values ? string.Join(separator, values) : null;

    private string? Sub(string format, JsonObject variables)
    {
        var text = new StringBuilder();
        var rest = format;
        while (rest.IndexOf("${", StringComparison.Ordinal) is var start and >= 0)
        {
            var end = rest.IndexOf('}', start);
            var name = rest[(start + 2)..end];
            var value = variables[name] is { } given ? Value(given)
                : name.Split('.', 2) is [var id, var attribute] ? Attribute(id, attribute) : RefValue(name);
            if (value is null)
            {
                return null;
            }

            text.Append(rest[..start]).Append(value);
            rest = rest[(end + 1)..];
        }

        return text.Append(rest).ToString();
    }

    private string? RefValue(string id) => id switch
    {
        "AWS::Partition" => "aws",
        "AWS::Region" => Region,
        "AWS::AccountId" => Account,
        "AWS::URLSuffix" => "amazonaws.com",
        "AWS::StackName" => "DropSync-test",
        _ => TypeOf(id) switch
        {
            "AWS::DynamoDB::Table" or "AWS::DynamoDB::GlobalTable" => TableName(id),
            "AWS::S3::Bucket" => BucketName(id),
            "AWS::SQS::Queue" => $"https://sqs.{Region}.amazonaws.com/{Account}/{QueueName(id)}",
            "AWS::KMS::Key" => KeyId(id),
            "AWS::SecretsManager::Secret" => $"arn:aws:secretsmanager:{Region}:{Account}:secret:{id}-{Hex(id)[..6]}",
            "AWS::ApiGatewayV2::Api" => Hex(id)[..10],
            "AWS::IAM::Role" or "AWS::Lambda::Function" => "DropSync-test-" + id,
            "AWS::SNS::Topic" => $"arn:aws:sns:{Region}:{Account}:{id}",
            _ => null,
        },
    };

    private string? Attribute(string id, string attribute) => (TypeOf(id), attribute) switch
    {
        ("AWS::DynamoDB::Table" or "AWS::DynamoDB::GlobalTable", "Arn") => $"arn:aws:dynamodb:{Region}:{Account}:table/{TableName(id)}",
        ("AWS::S3::Bucket", "Arn") => $"arn:aws:s3:::{BucketName(id)}",
        ("AWS::S3::Bucket", "RegionalDomainName") => $"{BucketName(id)}.s3.{Region}.amazonaws.com",
        ("AWS::SQS::Queue", "Arn") => $"arn:aws:sqs:{Region}:{Account}:{QueueName(id)}",
        ("AWS::SQS::Queue", "QueueName") => QueueName(id),
        ("AWS::KMS::Key", "Arn") => $"arn:aws:kms:{Region}:{Account}:key/{KeyId(id)}",
        ("AWS::IAM::Role", "Arn") => $"arn:aws:iam::{Account}:role/DropSync-test-{id}",
        ("AWS::Lambda::Function", "Arn") => $"arn:aws:lambda:{Region}:{Account}:function:DropSync-test-{id}",
        // A log group's Arn attribute ends in ":*" (it covers the group's streams).
        ("AWS::Logs::LogGroup", "Arn") => $"arn:aws:logs:{Region}:{Account}:log-group:DropSync-test-{id}:*",
        ("AWS::ApiGatewayV2::Api", "ApiEndpoint") => $"https://{RefValue(id)}.execute-api.{Region}.amazonaws.com",
        _ => null,
    };

    private string? TypeOf(string id) => (string?)template["Resources"]?[id]?["Type"];

    private string TableName(string id) => (string?)template["Resources"]![id]!["Properties"]?["TableName"] ?? "DropSync-test-" + id;

    private string BucketName(string id) => (string?)template["Resources"]![id]!["Properties"]?["BucketName"] ?? "dropsync-test-" + id.ToLowerInvariant();

    private static string QueueName(string id) => "DropSync-test-" + id;

    /// <summary>A key id shaped like KMS's (a UUID), the same for the same logical id.</summary>
    private static string KeyId(string id) => new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(id))[..16]).ToString();

    private static string Hex(string id) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)));
}
