using System.Text.Json.Nodes;

namespace DropSync.AwsHarness.Iam;

/// <summary>Turns policy documents into <see cref="IamStatement"/>s, resolving their resources; collects what it cannot read.</summary>
internal sealed class StatementReader(Func<JsonNode?, JsonNode?> resolve)
{
    public List<IamStatement> Statements { get; } = [];

    public List<string> Problems { get; } = [];

    public void ReadDocument(string source, JsonNode? document)
    {
        var index = 0;
        foreach (var statement in IamPolicies.Elements((document as JsonObject)?["Statement"]))
        {
            if (statement is JsonObject s)
            {
                Statements.Add(Read(source, index, s));
            }
            else
            {
                Problems.Add($"{source}: statement #{index + 1} is not an object");
            }

            index++;
        }
    }

    private IamStatement Read(string source, int index, JsonObject statement)
    {
        var name = $"{source} #{index + 1}";
        var effect = Text(statement["Effect"]) switch
        {
            "Allow" => IamEffect.Allow,
            "Deny" => IamEffect.Deny,
            var other => throw new InvalidOperationException($"{name}: Effect '{other}' is neither Allow nor Deny."),
        };
        var isNotAction = statement.ContainsKey("NotAction");
        var isNotResource = statement.ContainsKey("NotResource");
        var actions = IamPolicies.Elements(statement[isNotAction ? "NotAction" : "Action"]).Select(Text).OfType<string>().ToList();
        var resources = Resources(name, statement[isNotResource ? "NotResource" : "Resource"]);
        return new IamStatement(source, index, Text(statement["Sid"]), effect, actions, isNotAction, resources, isNotResource,
            statement["Condition"]?.DeepClone() as JsonObject);
    }

    private List<string> Resources(string name, JsonNode? element)
    {
        var resources = new List<string>();
        foreach (var node in IamPolicies.Elements(element))
        {
            if (IamPolicies.RefTo(node) == "AWS::NoValue")
            {
                continue;
            }

            if (Text(node) is { } literal)
            {
                resources.Add(literal);
                continue;
            }

            var resolved = IamPolicies.Elements(resolve(node?.DeepClone())).Select(Text).ToList();
            if (resolved.Count == 0 || resolved.Any(r => r is null))
            {
                Problems.Add($"{name}: unresolved resource {node?.ToJsonString()} (it allows nothing here)");
            }

            resources.AddRange(resolved.OfType<string>());
        }

        return resources;
    }

    private static string? Text(JsonNode? node) => IamPolicies.Text(node);
}
