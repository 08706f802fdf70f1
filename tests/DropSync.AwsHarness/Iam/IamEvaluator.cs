using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;

namespace DropSync.AwsHarness.Iam;

/// <summary>What a set of statements decides for one request, and which statements decided it.</summary>
/// <param name="AllowedBy">The Allow statements that match (empty when denied).</param>
/// <param name="DeniedBy">The Deny statements that match: an explicit deny. Empty with no Allow: the implicit deny.</param>
public sealed record IamDecision(bool IsAllowed, IReadOnlyList<IamStatement> AllowedBy, IReadOnlyList<IamStatement> DeniedBy)
{
    /// <summary>Allowed, but only by statements with a Condition (which the checker does not evaluate).</summary>
    public bool DependsOnCondition => IsAllowed && AllowedBy.All(s => s.IsConditional);
}

/// <summary>
/// IAM's decision for identity policies, as the evaluation logic documents it
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html): a matching Deny wins;
/// otherwise a matching Allow allows; otherwise the request is implicitly denied. A statement with a Condition is taken
/// as applying (conditions are not evaluated); <see cref="IamDecision.DependsOnCondition"/> says when that mattered.
/// Resource policies, permission boundaries and SCPs are not part of it.
/// </summary>
public static class IamEvaluator
{
    private static readonly ConcurrentDictionary<string, Regex> ActionPatterns = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, Regex> ResourcePatterns = new(StringComparer.Ordinal);

    public static IamDecision Evaluate(IEnumerable<IamStatement> statements, string action, string resource)
    {
        ArgumentNullException.ThrowIfNull(statements);
        var matching = statements.Where(s => Matches(s, action, resource)).ToList();
        var denies = matching.Where(s => s.Effect == IamEffect.Deny).ToList();
        var allows = denies.Count > 0 ? [] : matching.Where(s => s.Effect == IamEffect.Allow).ToList();
        return new IamDecision(denies.Count == 0 && allows.Count > 0, allows, denies);
    }

    public static bool Allows(IEnumerable<IamStatement> statements, string action, string resource) =>
        Evaluate(statements, action, resource).IsAllowed;

    /// <summary>Whether the statement applies to the request (whatever its effect).</summary>
    public static bool Matches(IamStatement statement, string action, string resource)
    {
        ArgumentNullException.ThrowIfNull(statement);
        var actionListed = statement.Actions.Any(a => ActionMatches(a, action));
        var resourceListed = statement.Resources.Any(r => ResourceMatches(r, resource));
        return actionListed != statement.IsNotAction && resourceListed != statement.IsNotResource;
    }

    /// <summary>
    /// Action names are case-insensitive; <c>*</c> stands for any characters and <c>?</c> for one, anywhere (the service
    /// prefix too) — https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html.
    /// </summary>
    public static bool ActionMatches(string pattern, string action)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(action);
        return ActionPatterns.GetOrAdd(pattern, p => Compile(p, isArn: false, RegexOptions.IgnoreCase)).IsMatch(action);
    }

    /// <summary>
    /// ARNs are case-sensitive. <c>*</c> and <c>?</c> match within one colon-separated segment, except that a <c>*</c>
    /// that ends a segment may run past colons; <c>*</c> spans <c>/</c>
    /// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards).
    /// </summary>
    public static bool ResourceMatches(string pattern, string resource)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(resource);
        return ResourcePatterns.GetOrAdd(pattern, p => Compile(p, isArn: true, RegexOptions.None)).IsMatch(resource);
    }

    private static Regex Compile(string pattern, bool isArn, RegexOptions options)
    {
        bool EndsSegment(int index) => index == pattern.Length - 1 || pattern[index + 1] == ':';

        var regex = new StringBuilder(@"\A");
        for (var i = 0; i < pattern.Length; i++)
        {
            regex.Append(pattern[i] switch
            {
                '*' => !isArn || EndsSegment(i) ? ".*" : "[^:]*",
                '?' => isArn ? "[^:]" : ".",
                var c => Regex.Escape(c.ToString()),
            });
        }

        return new Regex(regex.Append(@"\z").ToString(), options | RegexOptions.CultureInvariant | RegexOptions.Singleline);
    }
}
