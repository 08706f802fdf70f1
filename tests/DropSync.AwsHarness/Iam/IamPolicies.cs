using System.Text.Json.Nodes;
using DropSync.Infra;

namespace DropSync.AwsHarness.Iam;

/// <summary>
/// Everything IAM lets one DropSync function's execution role do, read from a synthesized template.
/// </summary>
/// <param name="Function">The function's role in DropSync (its <c>DropSync__Aws__Role</c>): http, websocket, fanout, maintenance.</param>
/// <param name="Statements">The statements of every policy attached to the role: AWS::IAM::Policy and AWS::IAM::ManagedPolicy
/// resources naming it, its inline Policies, and the AWS managed policies <see cref="ManagedPolicies"/> knows.</param>
/// <param name="ManagedPolicyArns">The role's ManagedPolicyArns as resolved (known or not).</param>
/// <param name="Problems">What could not be read: unresolved resources (left out, so they allow nothing), unknown managed policies.</param>
public sealed record FunctionPolicies(
    string Function,
    string FunctionLogicalId,
    string? RoleLogicalId,
    IReadOnlyList<IamStatement> Statements,
    IReadOnlyList<string> ManagedPolicyArns,
    IReadOnlyList<string> Problems);

/// <summary>
/// Reads the IAM policies of DropSync's functions from a CloudFormation template (the JSON the CDK app synthesizes).
/// Resource elements hold intrinsics (<c>Fn::GetAtt</c>, <c>Fn::Join</c>, <c>Ref</c>, …); the caller's resolver turns each
/// such node into the ARN it stands for (a string), or several (an array of strings), or null when it cannot.
/// <c>{"Ref":"AWS::NoValue"}</c> in a list is dropped, as CloudFormation drops it. Literal strings are taken as they are.
/// </summary>
public static class IamPolicies
{
    /// <summary>Every function of the template that has a DropSync role, ordered by role.</summary>
    public static IReadOnlyList<FunctionPolicies> ForFunctions(JsonObject template, Func<JsonNode?, JsonNode?> resolve)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(resolve);
        return Functions(template)
            .Select(f => Read(template, f.Role, f.LogicalId, f.Properties, resolve))
            .OrderBy(f => f.Function, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The function whose <c>DropSync__Aws__Role</c> is <paramref name="function"/>, or null when there is none.</summary>
    public static FunctionPolicies? ForFunction(JsonObject template, string function, Func<JsonNode?, JsonNode?> resolve)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(resolve);
        var match = Functions(template).Where(f => f.Role == function).ToList();
        return match.Count switch
        {
            0 => null,
            1 => Read(template, function, match[0].LogicalId, match[0].Properties, resolve),
            _ => throw new InvalidOperationException($"{match.Count} functions have the role '{function}'."),
        };
    }

    private static IEnumerable<(string Role, string LogicalId, JsonObject Properties)> Functions(JsonObject template) =>
        Resources(template, "AWS::Lambda::Function")
            .Select(r => (Role: Text((r.Properties["Environment"] as JsonObject)?["Variables"]?[LambdaEnvironment.Role]), r.Id, r.Properties))
            .Where(r => r.Role is not null)
            .Select(r => (r.Role!, r.Id, r.Properties));

    private static FunctionPolicies Read(JsonObject template, string function, string functionId, JsonObject properties, Func<JsonNode?, JsonNode?> resolve)
    {
        var reader = new StatementReader(resolve);
        var managedArns = new List<string>();
        var roleId = RoleLogicalId(template, properties["Role"]);
        if (roleId is null)
        {
            reader.Problems.Add($"the execution role is not a role of the template: {properties["Role"]?.ToJsonString()}");
            return new FunctionPolicies(function, functionId, null, reader.Statements, managedArns, reader.Problems);
        }

        var role = Resource(template, roleId)!["Properties"] as JsonObject ?? [];
        foreach (var inline in Elements(role["Policies"]).OfType<JsonObject>())
        {
            reader.ReadDocument($"{roleId}/{Text(inline["PolicyName"])}", inline["PolicyDocument"]);
        }

        foreach (var arn in Elements(role["ManagedPolicyArns"]))
        {
            if (RefTo(arn) is { } id && Text(Resource(template, id)?["Type"]) == "AWS::IAM::ManagedPolicy")
            {
                managedArns.Add(id);
                continue; // read below, with the managed policies that name the role
            }

            var resolved = Text(arn) ?? Text(resolve(arn?.DeepClone())) ?? PolicyArnFromLiterals(arn);
            if (resolved is null)
            {
                reader.Problems.Add($"unresolved managed policy ARN {arn?.ToJsonString()}");
                continue;
            }

            managedArns.Add(resolved);
            if (ManagedPolicies.Statements(resolved) is { } statements)
            {
                reader.Statements.AddRange(statements);
            }
            else
            {
                reader.Problems.Add($"unknown managed policy {resolved}: what it allows is not counted");
            }
        }

        foreach (var type in new[] { "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy" })
        {
            foreach (var (id, policy) in Resources(template, type))
            {
                if (Elements(policy["Roles"]).Any(r => RefTo(r) == roleId) || (type == "AWS::IAM::ManagedPolicy" && managedArns.Contains(id)))
                {
                    reader.ReadDocument(id, policy["PolicyDocument"]);
                }
            }
        }

        return new FunctionPolicies(function, functionId, roleId, reader.Statements, managedArns, reader.Problems);
    }

    /// <summary>The role behind <c>{"Fn::GetAtt":[role,"Arn"]}</c> (or <c>"role.Arn"</c>), when it is a role of the template.</summary>
    private static string? RoleLogicalId(JsonObject template, JsonNode? role)
    {
        var getAtt = (role as JsonObject)?["Fn::GetAtt"];
        var id = getAtt switch
        {
            JsonArray { Count: 2 } a when Text(a[1]) == "Arn" => Text(a[0]),
            JsonValue when Text(getAtt) is { } s && s.EndsWith(".Arn", StringComparison.Ordinal) => s[..^4],
            _ => null,
        };
        return id is not null && Text(Resource(template, id)?["Type"]) == "AWS::IAM::Role" ? id : null;
    }

    /// <summary>
    /// <c>Fn::Join</c> of <c>arn:</c>, the partition and <c>:iam::aws:policy/…</c>, when the resolver left it: the AWS
    /// partition is assumed (only the policy's name matters here).
    /// </summary>
    private static string? PolicyArnFromLiterals(JsonNode? arn)
    {
        if (arn?["Fn::Join"] is not JsonArray { Count: 2 } join || join[1] is not JsonArray parts)
        {
            return null;
        }

        var text = string.Concat(parts.Select(p => Text(p) is { } literal ? literal : RefTo(p) == "AWS::Partition" ? "aws" : "\0"));
        return text.StartsWith("arn:aws:iam::aws:policy/", StringComparison.Ordinal) && !text.Contains('\0', StringComparison.Ordinal) ? text : null;
    }

    internal static string? RefTo(JsonNode? node) => node is JsonObject { Count: 1 } o ? Text(o["Ref"]) : null;

    internal static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    internal static IEnumerable<JsonNode?> Elements(JsonNode? node) => node switch
    {
        null => Array.Empty<JsonNode?>(),
        JsonArray array => array,
        _ => new[] { node },
    };

    private static JsonObject? Resource(JsonObject template, string id) => (template["Resources"] as JsonObject)?[id] as JsonObject;

    private static IEnumerable<(string Id, JsonObject Properties)> Resources(JsonObject template, string type) =>
        (template["Resources"] as JsonObject ?? [])
            .Where(r => Text(r.Value?["Type"]) == type)
            .Select(r => (r.Key, r.Value!["Properties"] as JsonObject ?? []));
}
