using System.Text.Json.Nodes;

namespace DropSync.AwsHarness.Iam;

/// <summary>Allow or Deny.</summary>
public enum IamEffect
{
    Allow,
    Deny,
}

/// <summary>
/// One statement of an identity policy, with its resources resolved to ARNs
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html).
/// <see cref="Actions"/> holds the Action element, or the NotAction element when <see cref="IsNotAction"/>;
/// <see cref="Resources"/> likewise for Resource/NotResource. The Condition is kept as written (it is not evaluated).
/// </summary>
/// <param name="Source">Where it comes from: the policy's logical id, or <c>managed:{name}</c>.</param>
/// <param name="Index">Its position in that policy's Statement list.</param>
public sealed record IamStatement(
    string Source,
    int Index,
    string? Sid,
    IamEffect Effect,
    IReadOnlyList<string> Actions,
    bool IsNotAction,
    IReadOnlyList<string> Resources,
    bool IsNotResource,
    JsonObject? Condition)
{
    /// <summary>True when the statement applies only under a condition the checker does not evaluate.</summary>
    public bool IsConditional => Condition is { Count: > 0 };

    /// <summary>True for the statements of AWS managed policies (AWS's, not DropSync's, to narrow).</summary>
    public bool IsManaged => Source.StartsWith(ManagedPolicies.SourcePrefix, StringComparison.Ordinal);

    /// <summary>"HttpFunctionServiceRoleDefaultPolicy7EE7F9F2 #3" or "… Sid".</summary>
    public string Name => Source + " " + (Sid ?? "#" + (Index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));

    public override string ToString() =>
        $"{Name}: {Effect} {(IsNotAction ? "NotAction" : "Action")} [{string.Join(", ", Actions)}] on " +
        $"{(IsNotResource ? "NotResource" : "Resource")} [{string.Join(", ", Resources)}]" +
        (IsConditional ? " if " + Condition!.ToJsonString() : "");
}
