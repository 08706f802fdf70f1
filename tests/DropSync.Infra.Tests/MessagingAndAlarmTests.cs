using Amazon.CDK.Assertions;
using Newtonsoft.Json.Linq;

namespace DropSync.Infra.Tests;

using Props = Dictionary<string, object>;

public sealed class MessagingAndAlarmTests
{
    private static Deployment D => Stacks.WithoutReplica;

    [Fact]
    public void The_change_queue_sends_messages_to_the_dlq_after_five_receives()
    {
        var dlq = D.LogicalId("AWS::SQS::Queue", "ChangeDeadLetters");
        D.Primary.HasResourceProperties("AWS::SQS::Queue", new Props
        {
            ["RedrivePolicy"] = new Props
            {
                ["deadLetterTargetArn"] = new Props { ["Fn::GetAtt"] = new object[] { dlq, "Arn" } },
                ["maxReceiveCount"] = 5,
            },
            ["VisibilityTimeout"] = 360,
        });
    }

    [Fact]
    public void Both_queues_are_kms_encrypted_and_tls_only()
    {
        var keyId = D.LogicalId("AWS::KMS::Key", "DataKey");
        D.Primary.ResourceCountIs("AWS::SQS::Queue", 2);
        D.Primary.AllResourcesProperties("AWS::SQS::Queue", Match.ObjectLike(new Props
        {
            ["KmsMasterKeyId"] = new Props { ["Fn::GetAtt"] = new object[] { keyId, "Arn" } },
        }));
        D.Primary.ResourceCountIs("AWS::SQS::QueuePolicy", 2);
        D.Primary.AllResourcesProperties("AWS::SQS::QueuePolicy", Match.ObjectLike(new Props
        {
            ["PolicyDocument"] = Match.ObjectLike(new Props
            {
                ["Statement"] = Match.ArrayWith(new object[]
                {
                    Match.ObjectLike(new Props { ["Effect"] = "Deny", ["Condition"] = new Props { ["Bool"] = new Props { ["aws:SecureTransport"] = "false" } } }),
                }),
            }),
        }));
    }

    [Fact]
    public void An_alarm_fires_on_any_message_in_the_dlq()
    {
        D.Primary.HasResourceProperties("AWS::CloudWatch::Alarm", new Props
        {
            ["Namespace"] = "AWS/SQS",
            ["MetricName"] = "ApproximateNumberOfMessagesVisible",
            ["Dimensions"] = new object[]
            {
                new Props { ["Name"] = "QueueName", ["Value"] = new Props { ["Fn::GetAtt"] = new object[] { D.LogicalId("AWS::SQS::Queue", "ChangeDeadLetters"), "QueueName" } } },
            },
            ["Threshold"] = 1,
            ["ComparisonOperator"] = "GreaterThanOrEqualToThreshold",
            ["AlarmActions"] = new object[] { new Props { ["Ref"] = D.LogicalId("AWS::SNS::Topic", "MonitoringAlarms") } },
        });
    }

    [Fact]
    public void Throttles_of_every_function_raise_alarms()
    {
        foreach (var name in new[] { "Http", "WebSocket", "Fanout", "Maintenance" })
        {
            D.Primary.HasResourceProperties("AWS::CloudWatch::Alarm", new Props
            {
                ["Namespace"] = "AWS/Lambda",
                ["MetricName"] = "Throttles",
                ["Dimensions"] = new object[] { new Props { ["Name"] = "FunctionName", ["Value"] = new Props { ["Ref"] = D.LogicalId("AWS::Lambda::Function", name) } } },
                ["Threshold"] = 1,
            });
        }
    }

    [Fact]
    public void Errors_alarm_on_rates_not_counts()
    {
        // HTTP 5xx per request and WebSocket errors per connect+message, judged from 100 requests in 5 minutes; each
        // function's errors per invocation.
        var rates = D.Resources("AWS::CloudWatch::Alarm").Where(a => a.Properties["Metrics"] is JArray).ToList();
        var http = Expression(rates, "RateAlarmsHttp5xxRate");
        Assert.Equal("IF(requests >= 100, 100 * errors / requests, 0)", http.Expression);
        Assert.Contains("5xx", http.Metrics);
        Assert.Contains("Count", http.Metrics);
        var ws = Expression(rates, "RateAlarmsWebSocketErrorRate");
        Assert.Contains("IntegrationError", ws.Metrics);
        Assert.Contains("ExecutionError", ws.Metrics);
        Assert.Contains("ConnectCount", ws.Metrics);
        foreach (var name in new[] { "Http", "WebSocket", "Fanout", "Maintenance" })
        {
            var function = Expression(rates, $"RateAlarms{name}FunctionErrorRate");
            Assert.Equal("IF(invocations > 0, 100 * errors / invocations, 0)", function.Expression);
            Assert.Contains("Invocations", function.Metrics);
        }

        // No alarm on a plain count of errors any more.
        Assert.DoesNotContain(D.Resources("AWS::CloudWatch::Alarm"), a => (string?)a.Properties["MetricName"] is "Errors" or "5xx");
        Assert.All(rates, a => Assert.Equal(RateAlarms.ErrorRatePercent, (double)a.Properties["Threshold"]!));
    }

    [Fact]
    public void The_oldest_change_in_the_queue_and_dynamodb_throttling_raise_alarms()
    {
        D.Primary.HasResourceProperties("AWS::CloudWatch::Alarm", new Props
        {
            ["Namespace"] = "AWS/SQS",
            ["MetricName"] = "ApproximateAgeOfOldestMessage",
            ["Dimensions"] = new object[]
            {
                new Props { ["Name"] = "QueueName", ["Value"] = new Props { ["Fn::GetAtt"] = new object[] { D.LogicalId("AWS::SQS::Queue", "ChangeQueue"), "QueueName" } } },
            },
            ["Threshold"] = RateAlarms.MaxChangeAgeSeconds,
        });
        var throttles = D.Resources("AWS::CloudWatch::Alarm").Where(a => a.Id.Contains("Throttles", StringComparison.Ordinal) && a.Id.StartsWith("RateAlarms", StringComparison.Ordinal)).ToList();
        Assert.Equal(9, throttles.Count); // one per table
        foreach (var (_, properties) in throttles)
        {
            var text = properties["Metrics"]!.ToString();
            Assert.Contains("ReadThrottleEvents", text, StringComparison.Ordinal);
            Assert.Contains("WriteThrottleEvents", text, StringComparison.Ordinal);
            Assert.Contains("AWS/DynamoDB", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_http_api_writes_access_logs_without_paths()
    {
        var stage = D.Resources("AWS::ApiGatewayV2::Stage").Single(s => s.Id.StartsWith("HttpApiDefaultStage", StringComparison.Ordinal)).Properties;
        var settings = stage["AccessLogSettings"]!;
        Assert.StartsWith("HttpAccessLogs", settings["DestinationArn"]!["Fn::GetAtt"]![0]!.ToString(), StringComparison.Ordinal);
        var format = JObject.Parse((string)settings["Format"]!);
        Assert.Equal("$context.status", (string?)format["status"]);
        // Share-link tokens travel in paths: never logged.
        Assert.DoesNotContain("$context.path", (string)settings["Format"]!, StringComparison.Ordinal);
    }

    private static (string Expression, string Metrics) Expression(List<(string Id, JObject Properties)> alarms, string idPrefix)
    {
        var metrics = (JArray)alarms.Single(a => a.Id.StartsWith(idPrefix, StringComparison.Ordinal)).Properties["Metrics"]!;
        var expression = (string)metrics.Single(m => m["Expression"] is not null)["Expression"]!;
        return (expression, metrics.ToString());
    }

    [Fact]
    public void There_is_a_dashboard_and_an_encrypted_alarm_topic()
    {
        D.Primary.ResourceCountIs("AWS::CloudWatch::Dashboard", 1);
        D.Primary.HasResourceProperties("AWS::SNS::Topic", new Props
        {
            ["KmsMasterKeyId"] = new Props { ["Fn::GetAtt"] = new object[] { D.LogicalId("AWS::KMS::Key", "DataKey"), "Arn" } },
        });
    }
}
