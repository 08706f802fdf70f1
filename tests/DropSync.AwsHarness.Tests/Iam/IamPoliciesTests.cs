using System.Text.Json.Nodes;
using DropSync.AwsHarness.Iam;
using DropSync.AwsHarness.Recording;

namespace DropSync.AwsHarness.Tests.Iam;

/// <summary>Reading policies and checking calls on small hand-written templates: every way a policy reaches a role.</summary>
[Trait("Category", "AwsHarness")]
public sealed class IamPoliciesTests
{
    private const string Queue = "arn:aws:sqs:us-east-1:123456789012:DropSync-test-Queue";
    private const string Bucket = "arn:aws:s3:::dropsync-test-bucket";

    private static readonly JsonObject Template = (JsonObject)JsonNode.Parse("""
        {
          "Resources": {
            "Queue": { "Type": "AWS::SQS::Queue" },
            "Bucket": { "Type": "AWS::S3::Bucket", "Properties": { "BucketName": "dropsync-test-bucket" } },
            "WorkerRole": {
              "Type": "AWS::IAM::Role",
              "Properties": {
                "ManagedPolicyArns": [
                  { "Fn::Join": ["", ["arn:", { "Ref": "AWS::Partition" }, ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]] },
                  "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
                  { "Ref": "SharedManaged" }
                ],
                "Policies": [
                  { "PolicyName": "inline", "PolicyDocument": { "Statement": {
                    "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": { "Fn::GetAtt": ["Queue", "Arn"] } } } }
                ]
              }
            },
            "OtherRole": { "Type": "AWS::IAM::Role", "Properties": {} },
            "WorkerPolicy": {
              "Type": "AWS::IAM::Policy",
              "Properties": {
                "Roles": [{ "Ref": "WorkerRole" }],
                "PolicyDocument": { "Statement": [
                  { "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": [{ "Fn::Join": ["", [{ "Fn::GetAtt": ["Bucket", "Arn"] }, "/*"]] }, { "Ref": "AWS::NoValue" }, { "Fn::GetAtt": ["Missing", "Arn"] }] },
                  { "Sid": "NoBlockDeletes", "Effect": "Deny", "Action": "s3:DeleteObject*", "Resource": { "Fn::Sub": "${Bucket.Arn}/blocks/*" } },
                  { "Effect": "Allow", "Action": "s3:DeleteObject", "Resource": "*", "Condition": { "StringEquals": { "aws:ResourceTag/staged": "true" } } },
                  { "Effect": "Allow", "NotAction": ["s3:*", "sqs:*"], "NotResource": "arn:aws:kms:*" }
                ] }
              }
            },
            "OtherPolicy": {
              "Type": "AWS::IAM::Policy",
              "Properties": { "Roles": [{ "Ref": "OtherRole" }], "PolicyDocument": { "Statement": [{ "Effect": "Allow", "Action": "*", "Resource": "*" }] } }
            },
            "SharedManaged": {
              "Type": "AWS::IAM::ManagedPolicy",
              "Properties": { "PolicyDocument": { "Statement": [{ "Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": { "Fn::GetAtt": ["Queue", "Arn"] } }] } }
            },
            "TaggedManaged": {
              "Type": "AWS::IAM::ManagedPolicy",
              "Properties": { "Roles": [{ "Ref": "WorkerRole" }], "PolicyDocument": { "Statement": [{ "Effect": "Allow", "Action": "sqs:DeleteMessage", "Resource": { "Fn::GetAtt": ["Queue", "Arn"] } }] } }
            },
            "WorkerFunction": {
              "Type": "AWS::Lambda::Function",
              "Properties": { "Role": { "Fn::GetAtt": ["WorkerRole", "Arn"] }, "Environment": { "Variables": { "DropSync__Aws__Role": "worker" } } }
            },
            "UntaggedFunction": { "Type": "AWS::Lambda::Function", "Properties": { "Role": { "Fn::GetAtt": ["OtherRole", "Arn"] } } }
          }
        }
        """)!;

    private static readonly Func<JsonNode?, JsonNode?> Resolve = new FakeArnResolver(Template).Resolve;

    [Fact]
    public void Every_policy_attached_to_the_role_is_read_and_no_other()
    {
        var worker = Assert.Single(IamPolicies.ForFunctions(Template, Resolve));

        Assert.Equal(("worker", "WorkerFunction", "WorkerRole"), (worker.Function, worker.FunctionLogicalId, worker.RoleLogicalId));
        Assert.Equal(
            ["WorkerRole/inline", "managed:AWSLambdaBasicExecutionRole", "WorkerPolicy", "SharedManaged", "TaggedManaged"],
            worker.Statements.Select(s => s.Source).Distinct());
        Assert.Equal(
            ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess", "SharedManaged"],
            worker.ManagedPolicyArns);
        Assert.DoesNotContain(worker.Statements, s => s.Actions.Contains("*"));
        Assert.Null(IamPolicies.ForFunction(Template, "nobody", Resolve));
    }

    [Fact]
    public void Resources_are_resolved_no_values_dropped_and_what_cannot_be_read_is_a_problem()
    {
        var worker = IamPolicies.ForFunction(Template, "worker", Resolve)!;
        var objects = worker.Statements.Single(s => s.Source == "WorkerPolicy" && s.Index == 0);

        Assert.Equal([Bucket + "/*"], objects.Resources);
        Assert.Equal(IamEffect.Deny, worker.Statements.Single(s => s.Sid == "NoBlockDeletes").Effect);
        Assert.Equal([Bucket + "/blocks/*"], worker.Statements.Single(s => s.Sid == "NoBlockDeletes").Resources);
        Assert.Collection(
            worker.Problems,
            p => Assert.Contains("unknown managed policy arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess", p, StringComparison.Ordinal),
            p => Assert.Contains("WorkerPolicy #1: unresolved resource {\"Fn::GetAtt\":[\"Missing\",\"Arn\"]}", p, StringComparison.Ordinal));
    }

    [Fact]
    public void A_resolver_that_knows_nothing_still_lets_the_basic_execution_role_be_recognised()
    {
        var worker = IamPolicies.ForFunction(Template, "worker", _ => null)!;

        Assert.Contains("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", worker.ManagedPolicyArns);
        Assert.True(IamEvaluator.Allows(worker.Statements, "logs:CreateLogStream", "arn:aws:logs:us-east-1:123456789012:log-group:g"));
        Assert.False(IamEvaluator.Allows(worker.Statements, "sqs:SendMessage", Queue));
        Assert.Contains(worker.Problems, p => p.StartsWith("WorkerRole/inline #1: unresolved resource", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_reports_denied_conditional_and_unused_per_function()
    {
        AwsCall[] calls =
        [
            new("worker", "sqs:SendMessage", Queue),
            new("worker", "sqs:SendMessage", Queue), // the same call twice counts once
            new("worker", "s3:PutObject", Bucket + "/incoming/u1/ab"),
            new("worker", "s3:DeleteObject", Bucket + "/incoming/u1/ab"),
            new("worker", "s3:DeleteObject", Bucket + "/blocks/ab"),
            new("worker", "sqs:PurgeQueue", Queue),
        ];

        var report = IamCheck.Check(Template, Resolve, calls);

        var worker = Assert.Single(report.Functions);
        Assert.Equal(5, worker.CallCount);
        Assert.False(report.AllCallsAllowed);
        Assert.Collection(
            worker.Denied,
            d => Assert.Equal(("s3:DeleteObject", Bucket + "/blocks/ab", "NoBlockDeletes"), (d.Call.Action, d.Call.Resource, Assert.Single(d.DeniedBy).Sid)),
            d => Assert.Equal(("sqs:PurgeQueue", 0), (d.Call.Action, d.DeniedBy.Count)));
        Assert.Equal(new AwsCall("worker", "s3:DeleteObject", Bucket + "/incoming/u1/ab"), Assert.Single(worker.Conditional).Call);
        Assert.Equal(
            [
                ("s3:GetObject", Bucket + "/*", "WorkerPolicy"),
                ("NOT [s3:*, sqs:*]", "NOT [arn:aws:kms:*]", "WorkerPolicy"),
                ("sqs:ReceiveMessage", Queue, "SharedManaged"),
                ("sqs:DeleteMessage", Queue, "TaggedManaged"),
            ],
            worker.UnusedGrants.Select(u => (u.Action, u.Resource, u.Statement.Source)));

        var text = report.ToText();
        Assert.Contains("DENIED (2):", text, StringComparison.Ordinal);
        Assert.Contains($"    sqs:PurgeQueue   {Queue}", text, StringComparison.Ordinal);
        Assert.Contains("(no statement allows it)", text, StringComparison.Ordinal);
        Assert.Contains("(explicit Deny: WorkerPolicy NoBlockDeletes)", text, StringComparison.Ordinal);
        Assert.Contains("allowed only under a condition (not evaluated) (1):", text, StringComparison.Ordinal);
        Assert.Contains("unknown managed policy arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess", text, StringComparison.Ordinal);
    }
}
