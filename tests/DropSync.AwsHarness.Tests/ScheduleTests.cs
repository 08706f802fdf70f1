using System.Text.Json.Nodes;

namespace DropSync.AwsHarness.Tests;

/// <summary>The schedule rule's target, invoked with EventBridge's Scheduled Event.</summary>
[Collection(HarnessCollection.Name)]
[Trait("Category", "AwsHarness")]
public sealed class ScheduleTests(HarnessFixture fixture)
{
    [Fact]
    public async Task The_hourly_rule_invokes_the_maintenance_function_which_answers_its_report()
    {
        var rule = fixture.Harness.Template.ScheduleRules.Single();
        Assert.Equal("rate(1 hour)", rule.ScheduleExpression);

        var result = await fixture.Harness.InvokeScheduleAsync();
        Assert.False(result.Failed, result.FunctionError);
        var report = JsonNode.Parse(result.Payload!)!.AsObject();
        foreach (var field in new[] { "expired_sessions", "collected_blocks", "swept_orphans", "tagged_cold", "tagged_warm" })
        {
            Assert.True(report.ContainsKey(field), $"{field} missing from {report.ToJsonString()}");
        }

        Assert.Contains(fixture.Harness.Calls.Snapshot(), c => c.Function == "maintenance" && c.Action.StartsWith("dynamodb:", StringComparison.Ordinal));
    }
}
