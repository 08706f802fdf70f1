using System.Text.Json.Nodes;
using DropSync.AwsHarness.Iam;

namespace DropSync.AwsHarness.Tests.Iam;

[Trait("Category", "AwsHarness")]
public sealed class IamEvaluatorTests
{
    private const string Bucket = "arn:aws:s3:::blocks-bucket";

    [Theory]
    [InlineData("s3:GetObject", "s3:GetObject", true)]
    [InlineData("s3:GetObject", "s3:getobject", true)]
    [InlineData("S3:GETOBJECT", "s3:GetObject", true)]
    [InlineData("s3:GetObject*", "s3:GetObjectTagging", true)]
    [InlineData("s3:GetObject*", "s3:GetObject", true)]
    [InlineData("s3:Get*", "s3:PutObject", false)]
    [InlineData("s3:*", "s3:DeleteObject", true)]
    [InlineData("s3:*", "sqs:SendMessage", false)]
    [InlineData("*", "kms:Decrypt", true)]
    [InlineData("s?:GetObject", "s3:GetObject", true)]
    [InlineData("s?:GetObject", "ssm:GetObject", false)]
    [InlineData("*:Describe*", "dynamodb:DescribeTable", true)]
    [InlineData("kms:ReEncrypt*", "kms:ReEncryptFrom", true)]
    [InlineData("dynamodb:GetItem", "dynamodb:GetItems", false)]
    [InlineData("dynamodb:GetItem", "xdynamodb:GetItem", false)]
    public void Actions_match_case_insensitively_with_wildcards(string pattern, string action, bool matches) =>
        Assert.Equal(matches, IamEvaluator.ActionMatches(pattern, action));

    [Theory]
    [InlineData("*", "arn:aws:s3:::blocks-bucket/blocks/ab", true)]
    [InlineData(Bucket + "/*", Bucket + "/blocks/ab", true)]
    [InlineData(Bucket + "/*", Bucket + "/incoming/u1/ab", true)]
    [InlineData(Bucket + "/*", Bucket, false)]
    [InlineData(Bucket, Bucket + "/blocks/ab", false)]
    [InlineData(Bucket + "/incoming/*", Bucket + "/incoming/u1/ab", true)]
    [InlineData(Bucket + "/incoming/*", Bucket + "/blocks/ab", false)]
    [InlineData(Bucket + "/blocks/*", Bucket + "/Blocks/ab", false)]
    [InlineData("arn:aws:s3:::Blocks-Bucket/*", Bucket + "/blocks/ab", false)]
    [InlineData(Bucket + "/blocks/a?", Bucket + "/blocks/ab", true)]
    [InlineData(Bucket + "/blocks/a?", Bucket + "/blocks/abc", false)]
    [InlineData("arn:aws:dynamodb:us-east-1:123456789012:table/t/index/*", "arn:aws:dynamodb:us-east-1:123456789012:table/t/index/children", true)]
    [InlineData("arn:aws:dynamodb:us-east-1:123456789012:table/t", "arn:aws:dynamodb:us-east-1:123456789012:table/t/index/children", false)]
    [InlineData("arn:aws:dynamodb:*:123456789012:table/t", "arn:aws:dynamodb:eu-west-1:123456789012:table/t", true)]
    [InlineData("arn:aws:execute-api:us-east-1:123456789012:abc/live/*/@connections/*", "arn:aws:execute-api:us-east-1:123456789012:abc/live/POST/@connections/Xy1=", true)]
    [InlineData("arn:aws:execute-api:us-east-1:123456789012:abc/live/*/@connections/*", "arn:aws:execute-api:us-east-1:123456789012:abc/test/POST/@connections/Xy1=", false)]
    [InlineData("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:*", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:log-stream:2026/x", true)]
    public void Resources_match_case_sensitively_with_wildcards(string pattern, string resource, bool matches) =>
        Assert.Equal(matches, IamEvaluator.ResourceMatches(pattern, resource));

    [Theory]
    // A * inside a segment stays inside it; one that ends a segment may run past colons (the IAM Resource element's rule).
    [InlineData("arn:aws:sqs:*:123456789012:q", "arn:aws:sqs:us-east-1:123456789012:q", true)]
    [InlineData("arn:aws:sqs:us-*-1:123456789012:q", "arn:aws:sqs:us-east-1:123456789012:q", true)]
    [InlineData("arn:aws:sqs:us*1:q", "arn:aws:sqs:us-east-1:123456789012:q", false)]
    [InlineData("arn:aws:sqs:us*:q", "arn:aws:sqs:us-east-1:123456789012:q", true)]
    [InlineData("arn:aws:sqs:us-east-?:123456789012:q", "arn:aws:sqs:us-east-1:123456789012:q", true)]
    [InlineData("arn:aws:sqs:us-east-1?123456789012:q", "arn:aws:sqs:us-east-1:123456789012:q", false)]
    public void Resource_wildcards_keep_to_their_arn_segment_unless_they_end_it(string pattern, string resource, bool matches) =>
        Assert.Equal(matches, IamEvaluator.ResourceMatches(pattern, resource));

    [Fact]
    public void An_allow_must_match_both_action_and_resource()
    {
        IamStatement[] statements = [Allow(["s3:GetObject", "s3:PutObject"], [Bucket + "/blocks/*"])];
        Assert.True(IamEvaluator.Allows(statements, "s3:PutObject", Bucket + "/blocks/ab"));
        Assert.False(IamEvaluator.Allows(statements, "s3:DeleteObject", Bucket + "/blocks/ab"));
        Assert.False(IamEvaluator.Allows(statements, "s3:GetObject", Bucket + "/incoming/u1/ab"));
        Assert.False(IamEvaluator.Allows([], "s3:GetObject", Bucket + "/blocks/ab"));
    }

    [Fact]
    public void Any_statement_of_the_set_may_allow()
    {
        IamStatement[] statements = [Allow(["s3:GetObject"], [Bucket + "/blocks/*"]), Allow(["s3:DeleteObject"], [Bucket + "/incoming/*"])];
        Assert.True(IamEvaluator.Allows(statements, "s3:DeleteObject", Bucket + "/incoming/u1/ab"));
        Assert.False(IamEvaluator.Allows(statements, "s3:DeleteObject", Bucket + "/blocks/ab"));
    }

    [Fact]
    public void An_explicit_deny_wins_over_any_allow()
    {
        IamStatement[] statements = [Allow(["s3:*"], ["*"]), Deny(["s3:DeleteObject*"], [Bucket + "/blocks/*"])];
        var decision = IamEvaluator.Evaluate(statements, "s3:DeleteObject", Bucket + "/blocks/ab");
        Assert.False(decision.IsAllowed);
        Assert.Same(statements[1], Assert.Single(decision.DeniedBy));
        Assert.Empty(decision.AllowedBy);
        Assert.True(IamEvaluator.Allows(statements, "s3:DeleteObject", Bucket + "/incoming/u1/ab"));
        Assert.True(IamEvaluator.Allows(statements, "s3:GetObject", Bucket + "/blocks/ab"));
    }

    [Fact]
    public void Not_action_allows_every_action_but_the_listed_ones()
    {
        IamStatement[] statements = [Allow(["s3:Delete*", "s3:PutBucket*"], [Bucket + "/*"], notAction: true)];
        Assert.True(IamEvaluator.Allows(statements, "s3:GetObject", Bucket + "/blocks/ab"));
        Assert.True(IamEvaluator.Allows(statements, "sqs:SendMessage", Bucket + "/blocks/ab"));
        Assert.False(IamEvaluator.Allows(statements, "s3:DeleteObject", Bucket + "/blocks/ab"));
        Assert.False(IamEvaluator.Allows(statements, "s3:GetObject", "arn:aws:s3:::other/blocks/ab"));
    }

    [Fact]
    public void Not_resource_allows_every_resource_but_the_listed_ones()
    {
        IamStatement[] statements = [Allow(["s3:GetObject"], [Bucket + "/blocks/*"], notResource: true)];
        Assert.True(IamEvaluator.Allows(statements, "s3:GetObject", Bucket + "/incoming/u1/ab"));
        Assert.False(IamEvaluator.Allows(statements, "s3:GetObject", Bucket + "/blocks/ab"));
        Assert.False(IamEvaluator.Allows(statements, "s3:PutObject", Bucket + "/incoming/u1/ab"));
    }

    [Fact]
    public void A_deny_with_not_action_denies_every_action_but_the_listed_ones()
    {
        IamStatement[] statements = [Allow(["*"], ["*"]), Deny(["s3:GetObject", "kms:Decrypt"], ["*"], notAction: true)];
        Assert.True(IamEvaluator.Allows(statements, "s3:GetObject", Bucket + "/blocks/ab"));
        Assert.False(IamEvaluator.Allows(statements, "s3:PutObject", Bucket + "/blocks/ab"));
    }

    [Fact]
    public void A_conditional_statement_applies_and_the_decision_says_it_depended_on_it()
    {
        var condition = new JsonObject { ["Bool"] = new JsonObject { ["aws:SecureTransport"] = "true" } };
        IamStatement[] conditional = [Allow(["sqs:SendMessage"], ["*"]) with { Condition = condition }];
        var decision = IamEvaluator.Evaluate(conditional, "sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q");
        Assert.True(decision.IsAllowed);
        Assert.True(decision.DependsOnCondition);

        IamStatement[] both = [.. conditional, Allow(["sqs:*"], ["arn:aws:sqs:*"])];
        var unconditional = IamEvaluator.Evaluate(both, "sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q");
        Assert.True(unconditional.IsAllowed);
        Assert.False(unconditional.DependsOnCondition);
        Assert.Equal(2, unconditional.AllowedBy.Count);
    }

    internal static IamStatement Allow(string[] actions, string[] resources, bool notAction = false, bool notResource = false) =>
        new("test", 0, null, IamEffect.Allow, actions, notAction, resources, notResource, null);

    internal static IamStatement Deny(string[] actions, string[] resources, bool notAction = false) =>
        new("test", 1, null, IamEffect.Deny, actions, notAction, resources, false, null);
}
