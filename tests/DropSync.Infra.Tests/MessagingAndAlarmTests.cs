using Amazon.CDK.Assertions;

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
    public void Errors_and_throttles_of_every_function_and_http_5xx_raise_alarms()
    {
        D.Primary.ResourceCountIs("AWS::CloudWatch::Alarm", 10); // 4 × (errors, throttles) + DLQ + 5xx
        foreach (var name in new[] { "Http", "WebSocket", "Fanout", "Maintenance" })
        {
            foreach (var metric in new[] { "Errors", "Throttles" })
            {
                D.Primary.HasResourceProperties("AWS::CloudWatch::Alarm", new Props
                {
                    ["Namespace"] = "AWS/Lambda",
                    ["MetricName"] = metric,
                    ["Dimensions"] = new object[] { new Props { ["Name"] = "FunctionName", ["Value"] = new Props { ["Ref"] = D.LogicalId("AWS::Lambda::Function", name) } } },
                    ["Threshold"] = 1,
                });
            }
        }

        D.Primary.HasResourceProperties("AWS::CloudWatch::Alarm", new Props
        {
            ["Namespace"] = "AWS/ApiGateway",
            ["MetricName"] = "5xx",
            ["Dimensions"] = new object[] { new Props { ["Name"] = "ApiId", ["Value"] = new Props { ["Ref"] = D.LogicalId("AWS::ApiGatewayV2::Api", "HttpApi") } } },
        });
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
