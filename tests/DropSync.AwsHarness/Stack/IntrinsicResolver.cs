using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DropSync.AwsHarness.Stack;

/// <summary>
/// Evaluates CloudFormation's intrinsic functions over the harness's deployed resources, as CloudFormation does at
/// deploy time: Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split and the pseudo parameters.
/// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
/// </summary>
public sealed partial class IntrinsicResolver(
    IReadOnlyDictionary<string, PhysicalResource> resources, StackEnvironment environment, IReadOnlyDictionary<string, string>? parameters = null)
{
    /// <summary>The template's parameters with the values the deployment gives them (the harness deploys the defaults).</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; } = parameters ?? new Dictionary<string, string>();

    public IReadOnlyDictionary<string, PhysicalResource> Resources { get; } = resources;

    public StackEnvironment Environment { get; } = environment;

    /// <summary>A copy of <paramref name="node"/> with every intrinsic function replaced by its value.</summary>
    public JsonNode? Resolve(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count == 1 && IsIntrinsic(obj.First().Key):
                {
                    var (name, argument) = obj.First();
                    return Evaluate(name, argument);
                }

            case JsonObject obj:
                {
                    var copy = new JsonObject();
                    foreach (var (key, value) in obj)
                    {
                        copy[key] = Resolve(value);
                    }

                    return copy;
                }

            case JsonArray array:
                return new JsonArray([.. array.Select(Resolve)]);

            default:
                return node?.DeepClone();
        }
    }

    /// <summary>The value as a string (numbers and booleans as CloudFormation passes them to string properties).</summary>
    public string ResolveString(JsonNode? node) =>
        Resolve(node) switch
        {
            JsonValue value when value.TryGetValue<string>(out var text) => text,
            JsonValue value => value.ToJsonString(),
            var other => throw new InvalidOperationException($"Not a string after resolution: {other?.ToJsonString()}"),
        };

    /// <summary>Ref: a resource's physical id (per type) or a pseudo parameter.
    /// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-ref.html</summary>
    public string Ref(string name) => name switch
    {
        "AWS::Region" => Environment.Region,
        "AWS::AccountId" => Environment.AccountId,
        "AWS::Partition" => Environment.Partition,
        "AWS::URLSuffix" => Environment.UrlSuffix,
        "AWS::StackName" => Environment.StackName,
        "AWS::StackId" => $"arn:{Environment.Partition}:cloudformation:{Environment.Region}:{Environment.AccountId}:stack/{Environment.StackName}/00000000-0000-0000-0000-000000000000",
        "AWS::NoValue" => throw new InvalidOperationException("AWS::NoValue is only meaningful inside Fn::If."),
        _ when Resources.TryGetValue(name, out var resource) => resource.Ref,
        _ when Parameters.TryGetValue(name, out var value) => value,
        _ => throw new InvalidOperationException($"Ref to unknown resource or parameter '{name}'."),
    };

    /// <summary>https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-getatt.html</summary>
    public string GetAtt(string logicalId, string attribute) =>
        Resources.TryGetValue(logicalId, out var resource)
            ? resource.Attributes.TryGetValue(attribute, out var value)
                ? value
                : throw new InvalidOperationException($"{resource.Type} {logicalId} has no attribute '{attribute}' in the harness.")
            : throw new InvalidOperationException($"Fn::GetAtt on unknown resource '{logicalId}'.");

    private static bool IsIntrinsic(string key) => key == "Ref" || key.StartsWith("Fn::", StringComparison.Ordinal);

    private JsonNode? Evaluate(string function, JsonNode? argument)
    {
        switch (function)
        {
            case "Ref":
                return Ref(ResolveString(argument));

            case "Fn::GetAtt":
                {
                    // ["LogicalId", "Attribute"] or "LogicalId.Attribute".
                    var (id, attribute) = argument is JsonArray parts
                        ? (ResolveString(parts[0]), ResolveString(parts[1]))
                        : ResolveString(argument).Split('.', 2) is [var a, var b] ? (a, b) : throw new InvalidOperationException("Bad Fn::GetAtt.");
                    return GetAtt(id, attribute);
                }

            case "Fn::Join":
                {
                    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-join.html
                    var parts = argument!.AsArray();
                    var delimiter = ResolveString(parts[0]);
                    var values = Resolve(parts[1])!.AsArray().Select(ResolveString);
                    return string.Join(delimiter, values);
                }

            case "Fn::Select":
                {
                    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-select.html
                    var parts = argument!.AsArray();
                    var index = int.Parse(ResolveString(parts[0]), CultureInfo.InvariantCulture);
                    return Resolve(parts[1])!.AsArray()[index]?.DeepClone();
                }

            case "Fn::Split":
                {
                    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-split.html
                    var parts = argument!.AsArray();
                    var delimiter = ResolveString(parts[0]);
                    return new JsonArray([.. ResolveString(parts[1]).Split(delimiter).Select(s => (JsonNode?)JsonValue.Create(s))]);
                }

            case "Fn::Sub":
                return Sub(argument);

            default:
                throw new NotSupportedException($"The harness does not evaluate {function}.");
        }
    }

    /// <summary>${Name}, ${Logical.Attribute}, ${!Literal}; with an optional variable map.
    /// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-sub.html</summary>
    private string Sub(JsonNode? argument)
    {
        string text;
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        if (argument is JsonArray parts)
        {
            text = ResolveString(parts[0]);
            foreach (var (key, value) in parts[1]!.AsObject())
            {
                variables[key] = ResolveString(value);
            }
        }
        else
        {
            text = ResolveString(argument);
        }

        var result = new StringBuilder();
        var last = 0;
        foreach (Match match in SubVariable().Matches(text))
        {
            result.Append(text, last, match.Index - last);
            var name = match.Groups[1].Value;
            result.Append(
                name.StartsWith('!') ? "${" + name[1..] + "}"
                : variables.TryGetValue(name, out var given) ? given
                : name.Contains('.', StringComparison.Ordinal) && !name.StartsWith("AWS::", StringComparison.Ordinal)
                    ? GetAtt(name.Split('.', 2)[0], name.Split('.', 2)[1])
                    : Ref(name));
            last = match.Index + match.Length;
        }

        result.Append(text, last, text.Length - last);
        return result.ToString();
    }

    [GeneratedRegex(@"\$\{([^}]+)\}")]
    private static partial Regex SubVariable();
}
