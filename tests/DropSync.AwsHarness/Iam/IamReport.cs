using System.Globalization;
using System.Text;
using DropSync.AwsHarness.Recording;

namespace DropSync.AwsHarness.Iam;

/// <summary>A call IAM would refuse. <paramref name="DeniedBy"/> empty: no statement allows it (the implicit deny).</summary>
public sealed record DeniedCall(AwsCall Call, IReadOnlyList<IamStatement> DeniedBy);

/// <summary>A call allowed only by statements with a Condition, which the checker takes as met.</summary>
public sealed record ConditionalCall(AwsCall Call, IReadOnlyList<IamStatement> AllowedBy);

/// <summary>A grant no recorded call used: one action pattern on one resource pattern of an Allow statement.</summary>
public sealed record UnusedGrant(string Function, string Action, string Resource, IamStatement Statement);

/// <summary>One function's result. <paramref name="Policies"/> is null when the template has no function with that role.</summary>
public sealed record FunctionIamReport(
    string Function,
    FunctionPolicies? Policies,
    int CallCount,
    IReadOnlyList<DeniedCall> Denied,
    IReadOnlyList<ConditionalCall> Conditional,
    IReadOnlyList<UnusedGrant> UnusedGrants);

/// <summary>The result of <see cref="IamCheck.Check"/>, per function (ordered by role).</summary>
public sealed record IamReport(IReadOnlyList<FunctionIamReport> Functions)
{
    /// <summary>The defects: calls the functions' policies do not allow.</summary>
    public IReadOnlyList<DeniedCall> Denied => [.. Functions.SelectMany(f => f.Denied)];

    public IReadOnlyList<ConditionalCall> Conditional => [.. Functions.SelectMany(f => f.Conditional)];

    public IReadOnlyList<UnusedGrant> UnusedGrants => [.. Functions.SelectMany(f => f.UnusedGrants)];

    public bool AllCallsAllowed => Functions.All(f => f.Denied.Count == 0);

    /// <summary>The report as aligned plain text (function, action, resource), for test output and for docs.</summary>
    public string ToText()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"IAM check: {Functions.Count} functions, {Functions.Sum(f => f.CallCount)} distinct calls, ")
            .Append(CultureInfo.InvariantCulture, $"{Denied.Count} denied, {Conditional.Count} allowed only under a condition, {UnusedGrants.Count} unused grants.\n");
        foreach (var function in Functions)
        {
            text.Append('\n').Append(function.Function);
            if (function.Policies is { } p)
            {
                text.Append(CultureInfo.InvariantCulture, $" (function {p.FunctionLogicalId}, role {p.RoleLogicalId ?? "?"}), {function.CallCount} distinct calls\n");
                foreach (var arn in p.ManagedPolicyArns)
                {
                    var known = ManagedPolicies.Statements(arn) is { } statements
                        ? string.Join("; ", statements.Select(s => string.Join(", ", s.Actions) + " on " + string.Join(", ", s.Resources)))
                        : "unknown content";
                    text.Append(CultureInfo.InvariantCulture, $"  managed policy {arn}: {known}\n");
                }
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture, $": no function with this role in the template, {function.CallCount} distinct calls\n");
            }

            Section(text, "DENIED", function.Denied.Select(d => Row(d.Call.Action, d.Call.Resource,
                d.DeniedBy.Count == 0 ? "no statement allows it" : "explicit Deny: " + string.Join(", ", d.DeniedBy.Select(NameAndCondition)))));
            Section(text, "allowed only under a condition (not evaluated)", function.Conditional.Select(c => Row(c.Call.Action, c.Call.Resource,
                string.Join(", ", c.AllowedBy.Select(NameAndCondition)))));
            UnusedSection(text, function.UnusedGrants);
            Section(text, "problems", (function.Policies?.Problems ?? []).Select(p => Row(p, "", "")));
        }

        return text.ToString();
    }

    /// <summary>Unused grants grouped by statement and resource pattern: one line of actions under each.</summary>
    private static void UnusedSection(StringBuilder text, IReadOnlyList<UnusedGrant> unused)
    {
        if (unused.Count == 0)
        {
            return;
        }

        text.Append(CultureInfo.InvariantCulture, $"  unused grants, no recorded call used them ({unused.Count}):\n");
        foreach (var group in unused.GroupBy(u => (u.Statement, u.Resource)))
        {
            text.Append(CultureInfo.InvariantCulture, $"    on {group.Key.Resource} ({NameAndCondition(group.Key.Statement)}):\n")
                .Append("      ").AppendJoin(", ", group.Select(u => u.Action)).Append('\n');
        }
    }

    private static string NameAndCondition(IamStatement statement) =>
        statement.IsConditional ? statement.Name + " if " + statement.Condition!.ToJsonString() : statement.Name;

    private static (string Action, string Resource, string Note) Row(string action, string resource, string note) => (action, resource, note);

    private static void Section(StringBuilder text, string title, IEnumerable<(string Action, string Resource, string Note)> rows)
    {
        var list = rows.ToList();
        if (list.Count == 0)
        {
            return;
        }

        text.Append(CultureInfo.InvariantCulture, $"  {title} ({list.Count}):\n");
        var actionWidth = list.Max(r => r.Action.Length);
        var resourceWidth = list.Max(r => r.Resource.Length);
        foreach (var (action, resource, note) in list)
        {
            var line = "    " + action.PadRight(actionWidth) + "  " + resource.PadRight(resourceWidth) + (note.Length > 0 ? "  (" + note + ")" : "");
            text.Append(line.TrimEnd()).Append('\n');
        }
    }
}
