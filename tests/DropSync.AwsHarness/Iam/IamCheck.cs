using System.Text.Json.Nodes;
using DropSync.AwsHarness.Recording;

namespace DropSync.AwsHarness.Iam;

/// <summary>
/// IAM checked against what the code does: every recorded call must be allowed by its function's synthesized policies
/// (denied calls are defects), and every grant should be used by some call (unused grants are reported, not failed:
/// a test run need not exercise every path).
/// </summary>
/// <example>
/// <code>
/// var report = IamCheck.Check(template, resolveIntrinsic, callLog.Snapshot());
/// output.WriteLine(report.ToText());
/// Assert.True(report.AllCallsAllowed, report.ToText());
/// </code>
/// </example>
public static class IamCheck
{
    /// <summary>
    /// Checks <paramref name="calls"/> (their <see cref="AwsCall.Function"/> is the function's DropSync role) against the
    /// policies of <paramref name="template"/>'s functions, resources resolved by <paramref name="resolve"/> (see
    /// <see cref="IamPolicies"/>). A call of a function the template does not have is denied.
    /// </summary>
    public static IamReport Check(JsonObject template, Func<JsonNode?, JsonNode?> resolve, IEnumerable<AwsCall> calls)
    {
        ArgumentNullException.ThrowIfNull(calls);
        var policies = IamPolicies.ForFunctions(template, resolve).ToDictionary(p => p.Function, StringComparer.Ordinal);
        var byFunction = calls.Distinct().ToLookup(c => c.Function, StringComparer.Ordinal);
        var functions = policies.Keys.Concat(byFunction.Select(g => g.Key)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        return new IamReport([.. functions.Select(f => CheckFunction(f, policies.GetValueOrDefault(f), [.. byFunction[f]]))]);
    }

    private static FunctionIamReport CheckFunction(string function, FunctionPolicies? policies, IReadOnlyList<AwsCall> calls)
    {
        var statements = policies?.Statements ?? [];
        var denied = new List<DeniedCall>();
        var conditional = new List<ConditionalCall>();
        foreach (var call in calls.OrderBy(c => c.Action, StringComparer.Ordinal).ThenBy(c => c.Resource, StringComparer.Ordinal))
        {
            var decision = IamEvaluator.Evaluate(statements, call.Action, call.Resource);
            if (!decision.IsAllowed)
            {
                denied.Add(new DeniedCall(call, decision.DeniedBy));
            }
            else if (decision.DependsOnCondition)
            {
                conditional.Add(new ConditionalCall(call, decision.AllowedBy));
            }
        }

        return new FunctionIamReport(function, policies, calls.Count, denied, conditional, UnusedGrants(function, statements, calls));
    }

    /// <summary>
    /// Each (action pattern, resource pattern) pair of each Allow statement that no call matched. A NotAction or
    /// NotResource list counts as one pattern. AWS managed policies are left out: the Lambda service, not the code, uses
    /// the basic execution role's log permissions.
    /// </summary>
    private static List<UnusedGrant> UnusedGrants(string function, IReadOnlyList<IamStatement> statements, IReadOnlyList<AwsCall> calls)
    {
        var unused = new List<UnusedGrant>();
        foreach (var statement in statements.Where(s => s.Effect == IamEffect.Allow && !s.IsManaged))
        {
            foreach (var actions in Patterns(statement.Actions, statement.IsNotAction))
            {
                foreach (var resources in Patterns(statement.Resources, statement.IsNotResource))
                {
                    var part = statement with { Actions = actions, Resources = resources };
                    if (!calls.Any(c => IamEvaluator.Matches(part, c.Action, c.Resource)))
                    {
                        unused.Add(new UnusedGrant(function, Describe(actions, statement.IsNotAction), Describe(resources, statement.IsNotResource), statement));
                    }
                }
            }
        }

        return unused;
    }

    private static IEnumerable<IReadOnlyList<string>> Patterns(IReadOnlyList<string> patterns, bool negated) =>
        negated ? [patterns] : patterns.Select(p => (IReadOnlyList<string>)[p]);

    private static string Describe(IReadOnlyList<string> patterns, bool negated) =>
        negated ? "NOT [" + string.Join(", ", patterns) + "]" : patterns[0];
}
