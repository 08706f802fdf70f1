using Amazon.CDK.Assertions;

namespace DropSync.Infra.Tests;

using Props = Dictionary<string, object>;

public sealed class FunctionTests
{
    private static Deployment D => Stacks.WithoutReplica;

    public static TheoryData<string, string, int, int> Shapes => new()
    {
        { "Http", FunctionRole.Http, 1024, 29 },
        { "WebSocket", FunctionRole.WebSocket, 512, 29 },
        { "Fanout", FunctionRole.Fanout, 512, 60 },
        { "Maintenance", FunctionRole.Maintenance, 1024, 900 },
    };

    [Fact]
    public void Four_functions_no_more()
    {
        D.Primary.ResourceCountIs("AWS::Lambda::Function", 4);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Each_function_runs_the_published_server_on_arm64_al2023_behind_the_web_adapter(string name, string role, int memory, int timeout)
    {
        Assert.StartsWith(name, D.LogicalId("AWS::Lambda::Function", name), StringComparison.Ordinal);
        D.Primary.HasResourceProperties("AWS::Lambda::Function", new Props
        {
            ["Architectures"] = new object[] { "arm64" },
            ["Runtime"] = "provided.al2023",
            ["Handler"] = "bootstrap",
            ["MemorySize"] = memory,
            ["Timeout"] = timeout,
            ["Layers"] = Match.ArrayWith(new object[] { $"arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerArm64:{Stacks.LayerVersion}" }),
            ["Environment"] = new Props
            {
                ["Variables"] = Match.ObjectLike(new Props
                {
                    ["AWS_LAMBDA_EXEC_WRAPPER"] = "/opt/bootstrap",
                    ["PORT"] = "8080",
                    ["AWS_LWA_PORT"] = "8080",
                    ["AWS_LWA_PASS_THROUGH_PATH"] = "/events",
                    [LambdaEnvironment.Mode] = "aws",
                    [LambdaEnvironment.Role] = role,
                    [LambdaEnvironment.TablePrefix] = "test-",
                    [LambdaEnvironment.BlocksBucket] = Match.AnyValue(),
                    [LambdaEnvironment.ChangeQueueUrl] = Match.AnyValue(),
                    [LambdaEnvironment.MasterKeySecretArn] = Match.AnyValue(),
                    [LambdaEnvironment.WebSocketCallbackUrl] = Match.AnyValue(),
                    [LambdaEnvironment.ColdAfterDays] = Stacks.ColdAfterDays.ToString(System.Globalization.CultureInfo.InvariantCulture),
                }),
            },
        });
    }

    [Theory]
    [InlineData("WebSocket", true)]
    [InlineData("Fanout", true)]
    [InlineData("Maintenance", true)]
    [InlineData("Http", false)]
    public void The_event_functions_turn_a_5xx_from_events_into_a_function_error(string name, bool set)
    {
        var variables = (Newtonsoft.Json.Linq.JObject)D.Resources("AWS::Lambda::Function").Single(r => r.Id.StartsWith(name + "Function", StringComparison.Ordinal)).Properties["Environment"]!["Variables"]!;
        Assert.Equal(set ? "500-599" : null, (string?)variables[LambdaEnvironment.AdapterErrorStatusCodes]);
    }

    [Fact]
    public void Each_function_takes_the_retention_policy_from_the_stack_parameters()
    {
        D.Primary.HasParameter("VersionRetentionDays", new Props { ["Type"] = "Number", ["Default"] = 180, ["MinValue"] = 1 });
        D.Primary.HasParameter("MaxRevisionsPerFile", new Props { ["Type"] = "Number", ["Default"] = 100, ["MinValue"] = 1 });
        D.Primary.AllResourcesProperties("AWS::Lambda::Function", new Props
        {
            ["Environment"] = new Props
            {
                ["Variables"] = Match.ObjectLike(new Props
                {
                    [LambdaEnvironment.VersionRetentionDays] = new Props { ["Ref"] = "VersionRetentionDays" },
                    [LambdaEnvironment.MaxRevisionsPerFile] = new Props { ["Ref"] = "MaxRevisionsPerFile" },
                }),
            },
        });
    }

    [Fact]
    public void Each_function_takes_the_block_list_content_hash_setting_from_a_stack_parameter()
    {
        D.Primary.HasParameter("BlockListContentHash", new Props { ["Type"] = "String", ["Default"] = "true", ["AllowedValues"] = new[] { "true", "false" } });
        D.Primary.AllResourcesProperties("AWS::Lambda::Function", new Props
        {
            ["Environment"] = new Props
            {
                ["Variables"] = Match.ObjectLike(new Props { [LambdaEnvironment.BlockListContentHash] = new Props { ["Ref"] = "BlockListContentHash" } }),
            },
        });
    }

    [Fact]
    public void The_http_function_knows_the_websocket_url_and_the_callback_endpoint()
    {
        var variables = (Newtonsoft.Json.Linq.JObject)D.Resources("AWS::Lambda::Function").Single(r => r.Id.StartsWith("HttpFunction", StringComparison.Ordinal)).Properties["Environment"]!["Variables"]!;
        var url = variables[LambdaEnvironment.WebSocketUrl]!.ToString(Newtonsoft.Json.Formatting.None);
        Assert.Contains("wss://", url, StringComparison.Ordinal);
        Assert.Contains(D.LogicalId("AWS::ApiGatewayV2::Api", "WebSocketApi"), url, StringComparison.Ordinal);
        Assert.Contains("/" + DropSyncStack.WebSocketStageName, url, StringComparison.Ordinal);
        Assert.NotNull(variables[LambdaEnvironment.WebSocketCallbackUrl]);
    }

    [Fact]
    public void Each_function_reads_the_master_key_secret_through_the_parameters_and_secrets_extension()
    {
        var functions = D.Primary.FindResources("AWS::Lambda::Function", new Props());
        Assert.Equal(4, functions.Count);
        D.Primary.AllResourcesProperties("AWS::Lambda::Function", new Props
        {
            ["Layers"] = Match.ArrayWith(new object[] { Match.StringLikeRegexp("^arn:aws:lambda:us-east-1:[0-9]+:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:[0-9]+$") }),
            ["Environment"] = new Props
            {
                ["Variables"] = Match.ObjectLike(new Props
                {
                    ["PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"] = "2773",
                    [LambdaEnvironment.MasterKeySecretArn] = Match.AnyValue(),
                }),
            },
        });
    }

    [Fact]
    public void Each_function_logs_to_its_own_group_kept_a_month()
    {
        var groups = D.Resources("AWS::Logs::LogGroup").Where(g => !g.Id.StartsWith("HttpAccessLogs", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, groups.Count);
        Assert.All(groups, g => Assert.Equal(30, (int)g.Properties["RetentionInDays"]!));
    }

    [Fact]
    public void Maintenance_runs_one_at_a_time_and_its_skipped_runs_are_counted_from_its_log()
    {
        // Reserved concurrency 1 on the maintenance function, and on no other (they scale with traffic).
        foreach (var (id, properties) in D.Resources("AWS::Lambda::Function").Where(f => !f.Id.StartsWith("Custom", StringComparison.Ordinal)))
        {
            var reserved = properties["ReservedConcurrentExecutions"];
            if (id.StartsWith("Maintenance", StringComparison.Ordinal))
            {
                Assert.Equal(1, (int)reserved!);
            }
            else
            {
                Assert.True(reserved is null, $"{id} has reserved concurrency {reserved}");
            }
        }

        var logGroup = D.LogicalId("AWS::Logs::LogGroup", "MaintenanceLogs");
        D.Primary.HasResourceProperties("AWS::Logs::MetricFilter", new Props
        {
            ["LogGroupName"] = new Props { ["Ref"] = logGroup },
            ["FilterPattern"] = Match.StringLikeRegexp(DropSync.Aws.Hosting.MaintenanceRun.SkippedMarker),
            ["MetricTransformations"] = new object[]
            {
                new Props { ["MetricNamespace"] = "DropSync", ["MetricName"] = "MaintenanceRunsSkipped", ["MetricValue"] = "1" },
            },
        });
    }

    [Fact]
    public void The_fanout_consumes_the_change_queue_and_reports_partial_batch_failures()
    {
        var queueId = D.LogicalId("AWS::SQS::Queue", "ChangeQueue");
        D.Primary.ResourceCountIs("AWS::Lambda::EventSourceMapping", 1);
        D.Primary.HasResourceProperties("AWS::Lambda::EventSourceMapping", new Props
        {
            ["EventSourceArn"] = new Props { ["Fn::GetAtt"] = new object[] { queueId, "Arn" } },
            ["FunctionName"] = new Props { ["Ref"] = D.LogicalId("AWS::Lambda::Function", "Fanout") },
            ["FunctionResponseTypes"] = new object[] { "ReportBatchItemFailures" },
            ["BatchSize"] = 10,
            // Capped, so a burst of changes cannot take the account's concurrency from the API.
            ["ScalingConfig"] = new Props { ["MaximumConcurrency"] = 100 },
        });

        // Live changes must not wait for a fuller batch.
        var mapping = D.Resources("AWS::Lambda::EventSourceMapping").Single().Properties;
        Assert.True(mapping["MaximumBatchingWindowInSeconds"] is null || (int)mapping["MaximumBatchingWindowInSeconds"]! == 0);
    }

    [Fact]
    public void Every_function_gets_the_gc_shard_count_and_logs_without_the_managed_basic_execution_role()
    {
        foreach (var (id, properties) in D.Resources("AWS::Lambda::Function").Where(f => !f.Id.StartsWith("Custom", StringComparison.Ordinal)))
        {
            Assert.Equal("16", (string?)properties["Environment"]!["Variables"]![LambdaEnvironment.GcShards]);
        }

        foreach (var (id, properties) in D.Resources("AWS::IAM::Role"))
        {
            Assert.True(properties["ManagedPolicyArns"] is null, $"{id} has managed policies: {properties["ManagedPolicyArns"]}");
        }

        // Each function may write to its own log group.
        var http = D.Resources("AWS::IAM::Policy").Single(p => p.Id.StartsWith("HttpFunctionServiceRole", StringComparison.Ordinal)).Properties.ToString();
        Assert.Contains("logs:PutLogEvents", http, StringComparison.Ordinal);
        Assert.Contains(D.LogicalId("AWS::Logs::LogGroup", "HttpLogs"), http, StringComparison.Ordinal);
    }

    [Fact]
    public void The_maintenance_job_runs_hourly_on_a_schedule()
    {
        D.Primary.HasResourceProperties("AWS::Events::Rule", new Props
        {
            ["ScheduleExpression"] = "rate(1 hour)",
            ["Targets"] = new object[]
            {
                Match.ObjectLike(new Props
                {
                    ["Arn"] = new Props { ["Fn::GetAtt"] = new object[] { D.LogicalId("AWS::Lambda::Function", "Maintenance"), "Arn" } },
                }),
            },
        });
    }

    [Fact]
    public void The_master_key_is_a_generated_secret_encrypted_with_the_data_key()
    {
        D.Primary.HasResourceProperties("AWS::SecretsManager::Secret", new Props
        {
            ["KmsKeyId"] = new Props { ["Fn::GetAtt"] = new object[] { D.LogicalId("AWS::KMS::Key", "DataKey"), "Arn" } },
            ["GenerateSecretString"] = Match.ObjectLike(new Props { ["PasswordLength"] = 64, ["ExcludeUppercase"] = true, ["ExcludePunctuation"] = true }),
            ["SecretString"] = Match.Absent(),
        });
    }
}
