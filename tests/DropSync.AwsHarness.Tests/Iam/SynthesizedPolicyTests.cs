using System.Text.Json.Nodes;
using DropSync.AwsHarness.Iam;
using DropSync.AwsHarness.Recording;
using DropSync.Infra;
using Xunit.Abstractions;
using static DropSync.Aws.DynamoDb.DynamoDbTables;

namespace DropSync.AwsHarness.Tests.Iam;

/// <summary>The checker against the real synthesized template, resources resolved by <see cref="FakeArnResolver"/>.</summary>
[Trait("Category", "AwsHarness")]
[Collection(SynthesisCollection.Name)]
public sealed class SynthesizedPolicyTests(ITestOutputHelper output)
{
    private static readonly string[] Roles = [FunctionRole.Fanout, FunctionRole.Http, FunctionRole.Maintenance, FunctionRole.WebSocket];

    private readonly StackArns _arns = new(SynthesizedTemplate.Json);

    [Fact]
    public void Every_function_has_its_role_and_its_policy_and_logs_only_to_its_own_group()
    {
        var functions = IamPolicies.ForFunctions(SynthesizedTemplate.Json, _arns.Resolver.Resolve);

        Assert.Equal(Roles, functions.Select(f => f.Function));
        Assert.All(functions, f =>
        {
            Assert.Empty(f.Problems);
            Assert.NotNull(f.RoleLogicalId);
            // No AWS managed policy (AWSLambdaBasicExecutionRole may write to every log group): the function's own
            // policy lets it write to its own log group only.
            Assert.Empty(f.ManagedPolicyArns);
            Assert.Contains(f.Statements, s => !s.IsManaged && s.Source.StartsWith(f.FunctionLogicalId[..^8] + "ServiceRoleDefaultPolicy", StringComparison.Ordinal));
            var name = f.FunctionLogicalId[..^8][..^"Function".Length]; // "HttpFunction1A2B3C4D" -> "Http"
            var own = _arns.Resolver.LogicalId("AWS::Logs::LogGroup", name + "Logs");
            var logs = $"arn:aws:logs:{FakeArnResolver.Region}:{FakeArnResolver.Account}:log-group:";
            Assert.True(IamEvaluator.Allows(f.Statements, "logs:PutLogEvents", $"{logs}DropSync-test-{own}:log-stream:y"));
            Assert.True(IamEvaluator.Allows(f.Statements, "logs:CreateLogStream", $"{logs}DropSync-test-{own}:log-stream:y"));
            Assert.False(IamEvaluator.Allows(f.Statements, "logs:PutLogEvents", $"{logs}/aws/lambda/x:log-stream:y"));
            Assert.All(f.Statements.SelectMany(s => s.Resources), r => Assert.StartsWith(r == "*" ? "*" : "arn:aws:", r, StringComparison.Ordinal));
        });
    }

    /// <summary>
    /// Issue 10, defect 1: /files/upload/finish adopts a staged block (COPY to blocks/, then DELETE the staged object), so
    /// the http function must be allowed to delete under incoming/ — and still never a block. Fails until the stack grants
    /// s3:DeleteObject on incoming/* to the http function.
    /// </summary>
    [Fact]
    public void The_http_function_may_delete_staged_uploads_but_not_blocks()
    {
        var http = Policies(FunctionRole.Http);

        Assert.True(IamEvaluator.Allows(http, "s3:DeleteObject", _arns.Staged), $"http may not s3:DeleteObject {_arns.Staged}");
        Assert.False(IamEvaluator.Allows(http, "s3:DeleteObject", _arns.Block), $"http may s3:DeleteObject {_arns.Block}");
        Assert.False(IamEvaluator.Allows(http, "s3:DeleteObjectVersion", _arns.Block));
    }

    /// <summary>The check above turns green with the grant the contract asks for (CDK's Bucket.GrantDelete on incoming/*).</summary>
    [Fact]
    public void With_the_contracts_grant_added_to_the_template_the_http_function_may_delete_staged_uploads_only()
    {
        var template = SynthesizedTemplate.Json;
        var policyId = _arns.Resolver.LogicalId("AWS::IAM::Policy", "HttpFunctionServiceRoleDefaultPolicy");
        var bucketId = _arns.Resolver.LogicalId("AWS::S3::Bucket", "StorageBlocks");
        template["Resources"]![policyId]!["Properties"]!["PolicyDocument"]!["Statement"]!.AsArray().Add(JsonNode.Parse($$"""
            { "Effect": "Allow", "Action": "s3:DeleteObject*",
              "Resource": { "Fn::Join": ["", [{ "Fn::GetAtt": ["{{bucketId}}", "Arn"] }, "/incoming/*"]] } }
            """));
        var http = IamPolicies.ForFunction(template, FunctionRole.Http, new FakeArnResolver(template).Resolve)!.Statements;

        Assert.True(IamEvaluator.Allows(http, "s3:DeleteObject", _arns.Staged));
        Assert.False(IamEvaluator.Allows(http, "s3:DeleteObject", _arns.Block));
    }

    [Theory]
    [InlineData(FunctionRole.Http)]
    [InlineData(FunctionRole.WebSocket)]
    [InlineData(FunctionRole.Fanout)]
    [InlineData(FunctionRole.Maintenance)]
    public void What_each_function_typically_calls_is_allowed(string function)
    {
        var calls = TypicalCalls.Of(function, _arns);
        var report = IamCheck.Check(SynthesizedTemplate.Json, _arns.Resolver.Resolve, calls);
        output.WriteLine(report.ToText());

        Assert.True(report.AllCallsAllowed, report.ToText());
        Assert.Empty(report.Conditional);
        Assert.Equal(calls.Distinct().Count(), Assert.Single(report.Functions, f => f.Function == function).CallCount);
    }

    [Theory]
    [InlineData(FunctionRole.WebSocket, "dynamodb:PutItem", Entries)]
    [InlineData(FunctionRole.Fanout, "dynamodb:PutItem", Journal)]
    [InlineData(FunctionRole.Maintenance, "dynamodb:PutItem", Journal)]
    [InlineData(FunctionRole.Maintenance, "dynamodb:Query", Connections)]
    [InlineData(FunctionRole.Fanout, "dynamodb:UpdateItem", Entries)]
    [InlineData(FunctionRole.Http, "dynamodb:DeleteTable", Entries)]
    public void Functions_cannot_write_or_read_tables_they_have_no_business_with(string function, string action, string table) =>
        Assert.False(IamEvaluator.Allows(Policies(function), action, _arns.Table(table)));

    [Fact]
    public void Blocks_are_deleted_only_by_maintenance_changes_sent_only_by_http_and_nothing_reaches_other_resources()
    {
        Assert.True(IamEvaluator.Allows(Policies(FunctionRole.Maintenance), "s3:DeleteObject", _arns.Block));
        Assert.False(IamEvaluator.Allows(Policies(FunctionRole.Maintenance), "s3:PutObject", _arns.Block));
        Assert.False(IamEvaluator.Allows(Policies(FunctionRole.Maintenance), "sqs:SendMessage", _arns.Queue));
        Assert.False(IamEvaluator.Allows(Policies(FunctionRole.Fanout), "sqs:SendMessage", _arns.Queue));
        Assert.False(IamEvaluator.Allows(Policies(FunctionRole.WebSocket), "s3:GetObject", _arns.Block));
        Assert.False(IamEvaluator.Allows(Policies(FunctionRole.Fanout), "s3:DeleteObject", _arns.Block));
        Assert.False(IamEvaluator.Allows(Policies(FunctionRole.Http), "s3:PutObject", "arn:aws:s3:::another-bucket/blocks/" + StackArns.Hash));
        Assert.False(IamEvaluator.Allows(Policies(FunctionRole.Http), "kms:Decrypt", "arn:aws:kms:us-east-1:123456789012:key/another-key"));
        Assert.False(IamEvaluator.Allows(Policies(FunctionRole.Fanout), "execute-api:ManageConnections",
            _arns.Connection("POST").Replace("/live/", "/other/", StringComparison.Ordinal)));
    }

    [Fact]
    public void Grants_broader_than_the_calls_are_reported_as_unused()
    {
        var report = IamCheck.Check(SynthesizedTemplate.Json, _arns.Resolver.Resolve, TypicalCalls.OfAll(_arns));
        output.WriteLine(report.ToText());
        var http = Assert.Single(report.Functions, f => f.Function == FunctionRole.Http).UnusedGrants;

        // Table grants include stream reads (no table has a stream) and Scan (only maintenance scans); the bucket grant
        // includes object-lock writes DropSync never makes.
        Assert.Contains(http, u => u.Action == "dynamodb:GetRecords" && u.Resource == _arns.Table(Entries));
        Assert.Contains(http, u => u.Action == "dynamodb:Scan" && u.Resource == _arns.Table(Accounts));
        var legalHold = Assert.Single(http, u => u.Action == "s3:PutObjectLegalHold" && u.Resource == _arns.Bucket + "/*");
        Assert.DoesNotContain(http, u => u.Action == "sqs:SendMessage");
        Assert.DoesNotContain(http, u => u.Action == "s3:PutObject");
        Assert.DoesNotContain(report.UnusedGrants, u => u.Statement.IsManaged);
        var text = report.ToText();
        var lines = text.Split('\n');
        var heading = Array.IndexOf(lines, $"    on {_arns.Bucket}/* ({legalHold.Statement.Name}):");
        Assert.True(heading > 0, text);
        Assert.Contains("s3:PutObjectLegalHold", lines[heading + 1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_call_by_a_function_the_template_does_not_have_is_denied()
    {
        var report = IamCheck.Check(SynthesizedTemplate.Json, _arns.Resolver.Resolve, [new AwsCall("ghost", "sqs:SendMessage", _arns.Queue)]);

        var denied = Assert.Single(report.Denied);
        Assert.Equal("ghost", denied.Call.Function);
        Assert.Null(Assert.Single(report.Functions, f => f.Function == "ghost").Policies);
        Assert.Contains("ghost: no function with this role in the template", report.ToText(), StringComparison.Ordinal);
    }

    private IReadOnlyList<IamStatement> Policies(string function) =>
        IamPolicies.ForFunction(SynthesizedTemplate.Json, function, _arns.Resolver.Resolve)?.Statements
            ?? throw new InvalidOperationException($"no {function} function");
}
