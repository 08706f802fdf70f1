using System.Text.Json.Nodes;
using DropSync.AwsHarness.Stack;

namespace DropSync.AwsHarness.Tests;

/// <summary>The synthesised stack as the harness deployed it: intrinsics resolved, the typed views the harness runs by.</summary>
[Collection(HarnessCollection.Name)]
[Trait("Category", "AwsHarness")]
public sealed class DeployedTemplateTests(HarnessFixture fixture)
{
    [Fact]
    public void The_functions_mapping_queue_schedule_and_route_are_read_from_the_template()
    {
        var template = fixture.Harness.Template;
        Assert.Equal(["fanout", "http", "maintenance", "websocket"], template.Functions.Select(f => f.Role).Order(StringComparer.Ordinal));
        var http = template.Function("http");
        Assert.Equal(29, http.TimeoutSeconds);
        Assert.Equal(1024, http.MemoryMb);
        Assert.Equal(template.Buckets.Single().Name, http.Environment["DROPSYNC_BUCKET"]);
        Assert.Equal(fixture.Harness.ChangeQueueUrl, http.Environment["DROPSYNC_CHANGE_QUEUE_URL"]);
        Assert.StartsWith("arn:aws:secretsmanager:us-east-1:000000000000:secret:", http.Environment["DROPSYNC_MASTER_KEY_SECRET_ARN"], StringComparison.Ordinal);
        Assert.StartsWith("arn:aws:kms:us-east-1:000000000000:key/", http.Environment["DROPSYNC_KMS_KEY_ID"], StringComparison.Ordinal);
        Assert.Matches("^https://[a-z0-9]{10}\\.execute-api\\.us-east-1\\.amazonaws\\.com/live$", http.Environment["DROPSYNC_WS_ENDPOINT"]);

        var mapping = template.EventSourceMappings.Single();
        Assert.Equal("fanout", template.FunctionByLogicalId(mapping.FunctionLogicalId).Role);
        Assert.Equal((10, 0, true), (mapping.BatchSize, mapping.MaximumBatchingWindowSeconds, mapping.ReportBatchItemFailures));

        var queue = template.QueueByArn(mapping.EventSourceArn);
        Assert.Equal((360, 5), (queue.VisibilityTimeoutSeconds, queue.MaxReceiveCount));
        Assert.Equal(fixture.Harness.DeadLetterQueueUrl, template.QueueByArn(queue.DeadLetterTargetArn!).Url);

        Assert.Equal("maintenance", template.FunctionByLogicalId(template.ScheduleRules.Single().TargetFunctionLogicalIds.Single()).Role);
        var route = template.Routes.Single(r => r.RouteKey == "$default" && template.Apis.Single(a => a.LogicalId == r.ApiLogicalId).ProtocolType == "HTTP");
        Assert.Equal("http", template.FunctionByLogicalId(route.FunctionLogicalId).Role);
        Assert.Equal("2.0", route.PayloadFormatVersion);
        Assert.Equal("live", fixture.Harness.WebSocketStage);
    }

    [Fact]
    public void The_function_processes_get_the_WebSocket_endpoint_of_the_emulator_and_a_distinct_access_key_each()
    {
        var harness = fixture.Harness;
        Assert.Equal($"http://127.0.0.1:{harness.WebSocketPort}/live", harness.Functions["http"].Environment["DROPSYNC_WS_ENDPOINT"]);
        var keys = harness.Functions.Values.Select(f => f.Environment["AWS_ACCESS_KEY_ID"]).ToList();
        Assert.Equal(4, keys.Distinct().Count());
        Assert.All(harness.Functions, pair => Assert.Equal(pair.Key, harness.CredentialsOf(pair.Value.Environment["AWS_ACCESS_KEY_ID"])!.Value.FunctionName));
    }

    [Fact]
    public void The_resolver_evaluates_Sub_Join_Select_Split_GetAtt_and_pseudo_parameters()
    {
        var template = JsonNode.Parse("""
            { "Resources": { "Q": { "Type": "AWS::SQS::Queue", "Properties": { "QueueName": "jobs" } } } }
            """)!.AsObject();
        var resolver = new DeployedTemplate(template, StackEnvironment.Harness, "http://sqs.us-east-1.localhost:1").Resolver;
        var resolved = resolver.Resolve(JsonNode.Parse("""
            {
              "sub": { "Fn::Sub": "${AWS::Partition}:${AWS::Region}:${Q.QueueName}:${!Literal}" },
              "sub2": { "Fn::Sub": [ "${X}-${AWS::AccountId}", { "X": { "Ref": "AWS::StackName" } } ] },
              "join": { "Fn::Join": [ "/", [ { "Ref": "Q" }, { "Fn::GetAtt": [ "Q", "Arn" ] } ] ] },
              "select": { "Fn::Select": [ 1, { "Fn::Split": [ ",", "a,b,c" ] } ] },
              "suffix": { "Ref": "AWS::URLSuffix" }
            }
            """))!;
        Assert.Equal("aws:us-east-1:jobs:${Literal}", (string?)resolved["sub"]);
        Assert.Equal("DropSync-harness-000000000000", (string?)resolved["sub2"]);
        Assert.Equal("http://sqs.us-east-1.localhost:1/000000000000/jobs/arn:aws:sqs:us-east-1:000000000000:jobs", (string?)resolved["join"]);
        Assert.Equal("b", (string?)resolved["select"]);
        Assert.Equal("amazonaws.com", (string?)resolved["suffix"]);
    }
}
