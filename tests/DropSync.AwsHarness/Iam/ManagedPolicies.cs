namespace DropSync.AwsHarness.Iam;

/// <summary>
/// The AWS managed policies the checker knows the content of. A role's other managed policies are listed, with no
/// statements (so nothing they might allow counts as allowed).
/// </summary>
public static class ManagedPolicies
{
    /// <summary>The <see cref="IamStatement.Source"/> prefix of managed policies' statements.</summary>
    public const string SourcePrefix = "managed:";

    /// <summary>What a Lambda function needs to write its logs (the Lambda service writes them with the function's role).</summary>
    public const string LambdaBasicExecutionRole = "AWSLambdaBasicExecutionRole";

    /// <summary>
    /// The statements of a managed policy by its ARN or name, or null when unknown. AWSLambdaBasicExecutionRole, v1:
    /// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html
    /// </summary>
    public static IReadOnlyList<IamStatement>? Statements(string arnOrName)
    {
        ArgumentNullException.ThrowIfNull(arnOrName);
        return NameOf(arnOrName) switch
        {
            LambdaBasicExecutionRole =>
            [
                new(SourcePrefix + LambdaBasicExecutionRole, 0, null, IamEffect.Allow,
                    ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], false, ["*"], false, null),
            ],
            _ => null,
        };
    }

    /// <summary>The policy's name: what follows the last '/' of <c>arn:aws:iam::aws:policy/service-role/Name</c>.</summary>
    public static string NameOf(string arnOrName)
    {
        ArgumentNullException.ThrowIfNull(arnOrName);
        return arnOrName[(arnOrName.LastIndexOf('/') + 1)..];
    }
}
