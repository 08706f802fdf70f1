using System.Text.Json.Nodes;
using DropSync.AwsHarness.Iam;
using DropSync.AwsHarness.Recording;
using Xunit.Abstractions;

namespace DropSync.AwsHarness.Tests.EndToEnd;

/// <summary>
/// IAM checked against what the code does: every AWS call the functions made in a representative scenario must be
/// allowed by their synthesized policies. The whole report (with the grants nothing used) goes to the test output and
/// to artifacts/iam-report.txt.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "AwsHarness")]
public sealed class IamAgainstCodeTests(EndToEndFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Every_call_of_a_representative_scenario_is_allowed_and_the_check_would_have_caught_defect_1()
    {
        var harness = await fixture.HarnessAsync();
        try
        {
            await RepresentativeScenario.RunAsync(harness);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException(e.Message + HarnessDiagnostics.Describe(harness, 40), e);
        }

        var calls = harness.Calls.Snapshot();

        var report = IamCheck.Check(harness.Template.Template, harness.Template.Resolve, calls);
        var text = report.ToText();
        output.WriteLine(text);
        var file = Path.Combine(RepositoryRoot(), "artifacts", "iam-report.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, text);
        output.WriteLine($"(written to {file})");
        Assert.True(report.AllCallsAllowed, text);

        AssertAttributedSensibly(harness, calls);

        // Defect 1 (finish's DELETE of a staged block had no grant): without that one statement, the same calls show
        // exactly the http function's s3:DeleteObject on incoming/… as denied.
        var bucket = harness.Template.Buckets.Single().Arn;
        var stagedDeletes = calls.Where(c => c.Function == "http" && c.Action == "s3:DeleteObject").Distinct().ToList();
        Assert.NotEmpty(stagedDeletes);
        Assert.All(stagedDeletes, c => Assert.StartsWith(bucket + "/incoming/", c.Resource, StringComparison.Ordinal));
        var withoutGrant = WithoutHttpStagedDeleteGrant(harness);
        var defect = IamCheck.Check(withoutGrant, harness.Template.Resolve, calls);
        Assert.Equal(
            stagedDeletes.OrderBy(c => c.Resource, StringComparer.Ordinal),
            defect.Denied.Select(d => d.Call).OrderBy(c => c.Resource, StringComparer.Ordinal));
    }

    /// <summary>Each function made the calls its job needs, under its own role.</summary>
    private static void AssertAttributedSensibly(AwsHarness harness, IReadOnlyList<AwsCall> calls)
    {
        var connections = harness.Template.Tables.Single(t => t.Name.EndsWith("Connections", StringComparison.Ordinal)).Arn;
        var bucket = harness.Template.Buckets.Single().Arn;
        var queue = harness.Template.Queues.Single(q => q.Url == harness.ChangeQueueUrl).Arn;
        bool Made(string function, string action, Func<string, bool> resource) =>
            calls.Any(c => c.Function == function && c.Action == action && resource(c.Resource));

        // websocket: $connect writes the connection's items, $disconnect deletes them (one batch write).
        Assert.True(Made("websocket", "dynamodb:BatchWriteItem", r => r == connections), "websocket wrote no connection items");
        Assert.True(Made("websocket", "dynamodb:GetItem", r => r == connections), "websocket read no connection item at $disconnect");
        // fanout: reads the queue's records through the event source and pushes with signed POSTs.
        Assert.True(Made("fanout", "execute-api:ManageConnections", r => r.Contains("/POST/@connections/", StringComparison.Ordinal)), "fanout pushed nothing");
        Assert.True(Made("fanout", "sqs:ReceiveMessage", r => r == queue), "the event source did not poll as fanout");
        // http: signs block PUTs (straight to blocks/ for a new block, staged under incoming/ for one stored already),
        // publishes changes, closes a revoked device's connections.
        Assert.True(Made("http", "s3:PutObject", r => r.StartsWith(bucket + "/blocks/", StringComparison.Ordinal) || r.StartsWith(bucket + "/incoming/", StringComparison.Ordinal)), "no block PUT");
        Assert.True(Made("http", "s3:GetObject", r => r.StartsWith(bucket + "/blocks/", StringComparison.Ordinal)), "no block GET");
        Assert.True(Made("http", "sqs:SendMessage", r => r == queue), "http published no change");
        Assert.True(Made("http", "execute-api:ManageConnections", r => r.Contains("/DELETE/@connections/", StringComparison.Ordinal)), "http closed no connection");
        // maintenance: ran on its own role.
        Assert.Contains(calls, c => c.Function == "maintenance" && c.Action.StartsWith("dynamodb:", StringComparison.Ordinal));
        // Every call was signed by one of the template's functions.
        Assert.All(calls, c => Assert.Contains(c.Function, harness.Template.Functions.Select(f => f.Role)));
    }

    /// <summary>A deep copy of the template without the http role's statement allowing s3:DeleteObject on incoming/*.</summary>
    private static JsonObject WithoutHttpStagedDeleteGrant(AwsHarness harness)
    {
        var copy = harness.Template.Template.DeepClone().AsObject();
        var role = IamPolicies.ForFunctions(harness.Template.Template, harness.Template.Resolve).Single(p => p.Function == "http").RoleLogicalId!;
        var removed = 0;
        foreach (var (_, resource) in copy["Resources"]!.AsObject())
        {
            if (resource?["Type"]?.GetValue<string>() != "AWS::IAM::Policy"
                || !resource["Properties"]!["Roles"]!.AsArray().Any(r => r?["Ref"]?.GetValue<string>() == role))
            {
                continue;
            }

            var statements = resource["Properties"]!["PolicyDocument"]!["Statement"]!.AsArray();
            foreach (var statement in statements.Where(IsStagedDeleteGrant).ToList())
            {
                statements.Remove(statement);
                removed++;
            }
        }

        Assert.Equal(1, removed);
        return copy;
    }

    private static bool IsStagedDeleteGrant(JsonNode? statement) =>
        statement?["Action"] is JsonValue action && action.GetValue<string>() == "s3:DeleteObject"
        && statement["Resource"]!.ToJsonString().Contains("incoming/*", StringComparison.Ordinal);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DropSync.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("DropSync.sln not found above " + AppContext.BaseDirectory);
    }
}
