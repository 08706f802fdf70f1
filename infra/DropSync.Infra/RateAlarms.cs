using Amazon.CDK;
using Amazon.CDK.AWS.Apigatewayv2;
using Amazon.CDK.AWS.CloudWatch;
using Amazon.CDK.AWS.CloudWatch.Actions;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.SNS;
using Amazon.CDK.AWS.SQS;
using Constructs;

namespace DropSync.Infra;

/// <summary>What <see cref="RateAlarms"/> watches.</summary>
public sealed record RateAlarmsProps(
    HttpApi HttpApi,
    WebSocketApi WebSocketApi,
    string WebSocketStageName,
    Queue ChangeQueue,
    DataTables Tables,
    IReadOnlyDictionary<string, Function> Functions,
    BlockStorage Storage);

/// <summary>
/// Alarms on rates and ages rather than counts, so they mean the same at 10 and at 10M users: the HTTP API's 5xx rate,
/// the WebSocket API's error rate, each function's error rate, the change queue's oldest message, DynamoDB throttling per
/// table, and (when blocks are replicated) replication lag and failures. All go to the alarm topic.
/// </summary>
public sealed class RateAlarms : Construct
{
    /// <summary>Percent of requests (or invocations) failing over 5 minutes that raises the rate alarms.</summary>
    public const double ErrorRatePercent = 1;

    /// <summary>Requests in 5 minutes below which a rate is not judged (one failure in three requests is not an outage).</summary>
    public const int MinRequestsForRate = 100;

    /// <summary>Seconds the oldest change may wait in the queue: the live feed is that late for someone.</summary>
    public const int MaxChangeAgeSeconds = 120;

    private static readonly Duration Period = Duration.Minutes(5);

    private readonly SnsAction action;

    public RateAlarms(Construct scope, string id, ITopic topic, RateAlarmsProps props)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(props);
        action = new SnsAction(topic);

        var guard = MinRequestsForRate.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Add("Http5xxRate", new MathExpression(new MathExpressionProps
        {
            Expression = $"IF(requests >= {guard}, 100 * errors / requests, 0)",
            UsingMetrics = new Dictionary<string, IMetric>
            {
                ["errors"] = props.HttpApi.MetricServerError(new MetricOptions { Period = Period, Statistic = "Sum" }),
                ["requests"] = props.HttpApi.MetricCount(new MetricOptions { Period = Period, Statistic = "Sum" }),
            },
            Label = "HTTP 5xx %",
            Period = Period,
        }), ErrorRatePercent, $"{ErrorRatePercent}% or more of HTTP API requests answered 5xx (in 2 of 3 five-minute periods).");

        // WebSocket: errors of the integration (the function failed) or of API Gateway executing the route, per
        // connection attempt and message. https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-logging.html
        Metric WebSocketMetric(string name) => new(new MetricProps
        {
            Namespace = "AWS/ApiGateway",
            MetricName = name,
            DimensionsMap = new Dictionary<string, string> { ["ApiId"] = props.WebSocketApi.ApiId, ["Stage"] = props.WebSocketStageName },
            Period = Period,
            Statistic = "Sum",
        });
        Add("WebSocketErrorRate", new MathExpression(new MathExpressionProps
        {
            Expression = $"IF(connects + messages >= {guard}, 100 * (integration + execution) / (connects + messages), 0)",
            UsingMetrics = new Dictionary<string, IMetric>
            {
                ["integration"] = WebSocketMetric("IntegrationError"),
                ["execution"] = WebSocketMetric("ExecutionError"),
                ["connects"] = WebSocketMetric("ConnectCount"),
                ["messages"] = WebSocketMetric("MessageCount"),
            },
            Label = "WebSocket errors %",
            Period = Period,
        }), ErrorRatePercent, $"{ErrorRatePercent}% or more of WebSocket connects and messages failed (integration or execution errors).");

        foreach (var (name, function) in props.Functions)
        {
            // No traffic guard here: the maintenance function runs a few times an hour, and one failed run matters.
            Add(name + "FunctionErrorRate", new MathExpression(new MathExpressionProps
            {
                Expression = "IF(invocations > 0, 100 * errors / invocations, 0)",
                UsingMetrics = new Dictionary<string, IMetric>
                {
                    ["errors"] = function.MetricErrors(new MetricOptions { Period = Period, Statistic = "Sum" }),
                    ["invocations"] = function.MetricInvocations(new MetricOptions { Period = Period, Statistic = "Sum" }),
                },
                Label = name + " errors %",
                Period = Period,
            }), ErrorRatePercent, $"{ErrorRatePercent}% or more of the {name} function's invocations failed (crash, timeout or unhandled event).");
        }

        Add("ChangeQueueAge", props.ChangeQueue.MetricApproximateAgeOfOldestMessage(new MetricOptions { Period = Period, Statistic = "Maximum" }),
            MaxChangeAgeSeconds, $"A change waited {MaxChangeAgeSeconds} s or more for the fan-out: live updates are late (fan-out capped, failing or throttled).");

        foreach (var (baseName, table) in props.Tables.ByBaseName)
        {
            // On-demand tables throttle when one partition passes its limits (a hot key) or the table passes its
            // account quota. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html
            Add(baseName + "Throttles", new MathExpression(new MathExpressionProps
            {
                Expression = "reads + writes",
                UsingMetrics = new Dictionary<string, IMetric>
                {
                    ["reads"] = table.Metric("ReadThrottleEvents", new MetricOptions { Period = Period, Statistic = "Sum" }),
                    ["writes"] = table.Metric("WriteThrottleEvents", new MetricOptions { Period = Period, Statistic = "Sum" }),
                },
                Label = baseName + " throttle events",
                Period = Period,
            }), 1, $"DynamoDB throttled requests on {baseName} (a hot partition or the table's quota).");
        }

        if (props.Storage.ReplicaBucket is { } replica)
        {
            Metric ReplicationMetric(string name, string statistic) => new(new MetricProps
            {
                Namespace = "AWS/S3",
                MetricName = name,
                DimensionsMap = new Dictionary<string, string>
                {
                    ["SourceBucket"] = props.Storage.Bucket.BucketName,
                    ["DestinationBucket"] = replica.BucketName,
                    ["RuleId"] = BlockStorage.ReplicationRuleId,
                },
                Period = Period,
                Statistic = statistic,
            });

            // https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-metrics.html
            Add("ReplicationLatency", ReplicationMetric("ReplicationLatency", "Maximum"), BlockStorage.ReplicationTimeMinutes * 60,
                $"Blocks are reaching the replica region {BlockStorage.ReplicationTimeMinutes} minutes or more late: a failover now would lose them.");
            Add("ReplicationFailures", ReplicationMetric("OperationsFailedReplication", "Sum"), 1,
                "S3 failed to replicate blocks to the replica region (key or permission problem at the destination).");
        }
    }

    private void Add(string id, IMetric metric, double threshold, string description)
    {
        var alarm = new Alarm(this, id, new AlarmProps
        {
            Metric = metric,
            Threshold = threshold,
            // Two of three five-minute periods: a sustained condition, not one bad minute.
            EvaluationPeriods = 3,
            DatapointsToAlarm = 2,
            ComparisonOperator = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            TreatMissingData = TreatMissingData.NOT_BREACHING,
            AlarmDescription = description,
        });
        alarm.AddAlarmAction(action);
    }
}
