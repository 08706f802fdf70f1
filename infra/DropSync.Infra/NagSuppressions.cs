using Amazon.CDK;
using Constructs;

namespace DropSync.Infra;

/// <summary>
/// A cdk-nag finding accepted on purpose: the rule's id, why, and for rules that report several findings per resource
/// (IAM4, IAM5) which of them: exact details (<c>Action::s3:GetObject*</c>) or regular expressions over them.
/// </summary>
public sealed record NagSuppression(string Id, string Reason, IReadOnlyList<string>? AppliesTo = null, IReadOnlyList<string>? AppliesToRegex = null);

/// <summary>
/// Writes cdk-nag suppressions into the template as resource metadata (<c>cdk_nag: { rules_to_suppress: [{ id, reason }] }</c>,
/// cdk-nag v2's format). This app is C#; tests/cdk-nag/nag.js runs cdk-nag 3 over the synthesized template and turns
/// that metadata into cdk-nag's acknowledgements, so every suppression lives here, next to the resource, with its reason.
/// </summary>
public static class NagSuppressions
{
    public const string MetadataKey = "cdk_nag";

    /// <summary>
    /// Suppresses <paramref name="rules"/> on the CloudFormation resource of <paramref name="construct"/> (itself, or its
    /// default child for an L2 construct). One call per resource: a second would overwrite the first, so it throws.
    /// </summary>
    public static void Add(IConstruct construct, params NagSuppression[] rules)
    {
        ArgumentNullException.ThrowIfNull(construct);
        ArgumentNullException.ThrowIfNull(rules);
        var resource = construct as CfnResource ?? construct.Node.DefaultChild as CfnResource
            ?? throw new ArgumentException($"{construct.Node.Path} has no CloudFormation resource to carry suppressions.", nameof(construct));
        if (resource.GetMetadata(MetadataKey) is not null)
        {
            throw new InvalidOperationException($"{resource.Node.Path} already has cdk-nag suppressions: pass them all in one call.");
        }

        resource.AddMetadata(MetadataKey, new Dictionary<string, object> { ["rules_to_suppress"] = rules.Select(r => Entry(r, null)).ToArray() });
    }

    /// <summary>
    /// Suppresses <paramref name="rules"/> on the resources CDK itself adds to <paramref name="stack"/> while synthesizing
    /// (e.g. the cross-region reference providers), which no construct here can reach: template-level metadata naming the
    /// logical-id prefixes it covers. One call per stack.
    /// </summary>
    public static void AddToTemplate(Stack stack, IReadOnlyList<string> resourcePrefixes, params NagSuppression[] rules)
    {
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(resourcePrefixes);
        ArgumentNullException.ThrowIfNull(rules);
        var metadata = stack.TemplateOptions.Metadata ?? new Dictionary<string, object>();
        if (metadata.ContainsKey(MetadataKey))
        {
            throw new InvalidOperationException($"{stack.StackName} already has template-level cdk-nag suppressions.");
        }

        metadata[MetadataKey] = new Dictionary<string, object> { ["rules_to_suppress"] = rules.Select(r => Entry(r, resourcePrefixes)).ToArray() };
        stack.TemplateOptions.Metadata = metadata;
    }

    private static object Entry(NagSuppression rule, IReadOnlyList<string>? resources)
    {
        if (string.IsNullOrWhiteSpace(rule.Reason) || rule.Reason.Length < 20)
        {
            throw new ArgumentException($"cdk-nag suppression {rule.Id} needs a reason (20+ characters).", nameof(rule));
        }

        var entry = new Dictionary<string, object> { ["id"] = rule.Id, ["reason"] = rule.Reason };
        if (rule.AppliesTo is not null || rule.AppliesToRegex is not null)
        {
            entry["applies_to"] = (rule.AppliesTo ?? []).Select(a => (object)a)
                .Concat((rule.AppliesToRegex ?? []).Select(r => (object)new Dictionary<string, object> { ["regex"] = r }))
                .ToArray();
        }

        if (resources is not null)
        {
            entry["resources"] = resources.ToArray();
        }

        return entry;
    }
}
