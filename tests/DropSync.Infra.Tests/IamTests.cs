using Newtonsoft.Json.Linq;

namespace DropSync.Infra.Tests;

public sealed class IamTests
{
    private static readonly string[] DataServices = ["s3:", "dynamodb:", "sqs:", "kms:", "secretsmanager:", "execute-api:"];

    public static TheoryData<bool> Deployments => [false, true];

    [Theory]
    [MemberData(nameof(Deployments))]
    public void No_statement_grants_data_actions_on_every_resource(bool replicated)
    {
        var d = replicated ? Stacks.WithReplica : Stacks.WithoutReplica;
        var checkedStatements = 0;
        foreach (var (id, properties) in d.Resources("AWS::IAM::Policy"))
        {
            foreach (var statement in (JArray)properties["PolicyDocument"]!["Statement"]!)
            {
                var actions = Strings(statement["Action"]);
                if (!actions.Any(a => DataServices.Any(s => a.StartsWith(s, StringComparison.Ordinal))))
                {
                    continue;
                }

                checkedStatements++;
                var resources = statement["Resource"] is JArray array ? array.ToList() : [statement["Resource"]!];
                Assert.DoesNotContain(resources, r => r.Type == JTokenType.String && ((string)r!).Contains('*', StringComparison.Ordinal) && !((string)r!).StartsWith("arn:", StringComparison.Ordinal));
                Assert.All(resources, r => Assert.NotEqual("*", r.Type == JTokenType.String ? (string?)r : null));
                Assert.False(actions.Contains("*"), $"{id} grants every action");
            }
        }

        Assert.True(checkedStatements > 10, "expected the functions' statements to be checked");
    }

    [Fact]
    public void The_http_function_can_read_and_put_blocks_and_delete_only_staged_uploads()
    {
        var actions = ActionsOf("HttpFunction");
        Assert.Contains("s3:GetObject*", actions);
        Assert.Contains("s3:PutObject", actions);
        Assert.Contains("sqs:SendMessage", actions);

        // /files/upload/finish adopts a staged block: COPY incoming/... to blocks/..., then DELETE incoming/....
        var deletes = Statements("HttpFunction").Where(s => Strings(s["Action"]).Any(a => a.StartsWith("s3:Delete", StringComparison.Ordinal))).ToList();
        var delete = Assert.Single(deletes);
        Assert.Equal(["s3:DeleteObject"], Strings(delete["Action"]));
        var bucket = Stacks.WithoutReplica.LogicalId("AWS::S3::Bucket", "StorageBlocks");
        var resource = delete["Resource"]!;
        Assert.Equal(JTokenType.Object, resource.Type);
        var parts = resource["Fn::Join"]![1]!.ToString(Newtonsoft.Json.Formatting.None);
        Assert.Contains($"{{\"Fn::GetAtt\":[\"{bucket}\",\"Arn\"]}}", parts, StringComparison.Ordinal);
        Assert.EndsWith("\"/" + StorageConventions.IncomingKeyPrefix + "*\"]", parts, StringComparison.Ordinal);
        Assert.DoesNotContain(StorageConventions.BlocksKeyPrefix, parts, StringComparison.Ordinal);
    }

    [Fact]
    public void The_http_function_may_close_connections_on_the_websocket_stage()
    {
        var statement = Statements("HttpFunction").Single(s => Strings(s["Action"]).Contains("execute-api:ManageConnections"));
        Assert.Contains($"/{DropSyncStack.WebSocketStageName}/*/@connections/*", statement["Resource"]!.ToString(Newtonsoft.Json.Formatting.None), StringComparison.Ordinal);
    }

    [Fact]
    public void The_maintenance_job_may_delete_and_tag_blocks_but_not_publish_changes()
    {
        var actions = ActionsOf("MaintenanceFunction");
        Assert.Contains("s3:DeleteObject*", actions);
        Assert.Contains("s3:PutObjectTagging", actions);
        Assert.DoesNotContain("s3:PutObject", actions);
        Assert.DoesNotContain(actions, a => a.StartsWith("sqs:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("WebSocketFunction")]
    [InlineData("FanoutFunction")]
    public void Manage_connections_is_scoped_to_the_websocket_stage(string function)
    {
        var d = Stacks.WithoutReplica;
        var apiId = d.LogicalId("AWS::ApiGatewayV2::Api", "WebSocketApi");
        var statement = Statements(function).Single(s => Strings(s["Action"]).Contains("execute-api:ManageConnections"));
        var arn = statement["Resource"]!.ToString(Newtonsoft.Json.Formatting.None);
        Assert.Contains($"{{\"Ref\":\"{apiId}\"}}", arn, StringComparison.Ordinal);
        Assert.Contains($"/{DropSyncStack.WebSocketStageName}/*/@connections/*", arn, StringComparison.Ordinal);
        Assert.Contains("arn:aws:execute-api:us-east-1:", arn, StringComparison.Ordinal);
    }

    [Fact]
    public void The_maintenance_job_does_not_touch_the_connections_table()
    {
        var connections = Stacks.WithoutReplica.LogicalId("AWS::DynamoDB::GlobalTable", "Tables" + DropSync.Aws.DynamoDb.DynamoDbTables.Connections);
        foreach (var function in new[] { "MaintenanceFunction" })
        {
            Assert.DoesNotContain(connections, PolicyText(function), StringComparison.Ordinal);
        }

        foreach (var function in new[] { "WebSocketFunction", "FanoutFunction", "HttpFunction" })
        {
            Assert.Contains(connections, PolicyText(function), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_fanout_consumes_but_does_not_send_and_the_websocket_function_cannot_write_metadata()
    {
        var fanout = ActionsOf("FanoutFunction");
        Assert.Contains("sqs:ReceiveMessage", fanout);
        Assert.Contains("sqs:DeleteMessage", fanout);
        Assert.DoesNotContain("sqs:SendMessage", fanout);

        var entries = Stacks.WithoutReplica.LogicalId("AWS::DynamoDB::GlobalTable", "TablesDropSyncEntries");
        foreach (var statement in Statements("WebSocketFunction").Where(s => s.ToString().Contains(entries, StringComparison.Ordinal)))
        {
            Assert.DoesNotContain("dynamodb:PutItem", Strings(statement["Action"]));
        }
    }

    private static IEnumerable<JToken> Statements(string functionPrefix) =>
        Stacks.WithoutReplica.Resources("AWS::IAM::Policy")
            .Where(p => p.Id.StartsWith(functionPrefix, StringComparison.Ordinal))
            .SelectMany(p => (JArray)p.Properties["PolicyDocument"]!["Statement"]!);

    private static HashSet<string> ActionsOf(string functionPrefix) =>
        Statements(functionPrefix).SelectMany(s => Strings(s["Action"])).ToHashSet(StringComparer.Ordinal);

    private static string PolicyText(string functionPrefix) => string.Join('\n', Statements(functionPrefix).Select(s => s.ToString()));

    private static List<string> Strings(JToken? token) => token switch
    {
        JArray array => array.Select(t => (string)t!).ToList(),
        null => [],
        _ => [(string)token!],
    };
}
