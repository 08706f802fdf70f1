using Amazon.CDK;
using Amazon.CDK.AWS.Apigatewayv2;
using Amazon.CDK.AWS.CloudWatch;
using Amazon.CDK.AWS.CloudWatch.Actions;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.SNS;
using Amazon.CDK.AWS.SNS.Subscriptions;
using Amazon.CDK.AWS.SQS;
using Constructs;

namespace DropSync.Infra;

/// <summary>
/// The alarm topic, alarms on what needs a person at any count (function throttles, changes stuck in the dead-letter
/// queue; the rate and age alarms are in <see cref="RateAlarms"/>), and a dashboard of the same signals.
/// </summary>
public sealed class Monitoring : Construct
{
    public Topic AlarmTopic { get; }

    public Monitoring(Construct scope, string id, DropSyncSettings settings, IKey dataKey, HttpApi httpApi, Queue deadLetters,
        IReadOnlyDictionary<string, Function> functions)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(dataKey);
        ArgumentNullException.ThrowIfNull(httpApi);
        ArgumentNullException.ThrowIfNull(deadLetters);
        ArgumentNullException.ThrowIfNull(functions);

        AlarmTopic = new Topic(this, "Alarms", new TopicProps { MasterKey = dataKey, EnforceSSL = true });
        // CloudWatch publishes to the encrypted topic, so it may use the key for that (and only via SNS).
        dataKey.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Principals = [new ServicePrincipal("cloudwatch.amazonaws.com")],
            Actions = ["kms:Decrypt", "kms:GenerateDataKey*"],
            Resources = ["*"], // In a key policy "*" means this key.
            Conditions = new Dictionary<string, object>
            {
                ["StringEquals"] = new Dictionary<string, object> { ["kms:ViaService"] = $"sns.{Stack.Of(this).Region}.amazonaws.com" },
            },
        }));
        if (settings.AlarmEmail is { } email)
        {
            AlarmTopic.AddSubscription(new EmailSubscription(email));
        }

        var action = new SnsAction(AlarmTopic);
        var period = Duration.Minutes(5);

        var dlqDepth = deadLetters.MetricApproximateNumberOfMessagesVisible(new MetricOptions { Period = period, Statistic = "Maximum" });
        Alarm("DeadLetterDepth", dlqDepth, 1, "Changes the fan-out could not deliver after 5 attempts are waiting in the DLQ.", action);

        // The 5xx, error-rate, queue-age, throttle and replication alarms are in RateAlarms.
        var server5xx = httpApi.MetricServerError(new MetricOptions { Period = period, Statistic = "Sum" });

        var errorGraphs = new List<IMetric>();
        var durationGraphs = new List<IMetric>();
        foreach (var (name, function) in functions)
        {
            var throttles = function.MetricThrottles(new MetricOptions { Period = period, Statistic = "Sum" });
            Alarm(name + "Throttles", throttles, 1, $"The {name} function was throttled (account or reserved concurrency reached).", action);
            errorGraphs.Add(function.MetricErrors(new MetricOptions { Period = period, Statistic = "Sum", Label = name + " errors" }));
            errorGraphs.Add(function.MetricThrottles(new MetricOptions { Period = period, Statistic = "Sum", Label = name + " throttles" }));
            durationGraphs.Add(function.MetricDuration(new MetricOptions { Period = period, Statistic = "p99", Label = name + " p99" }));
        }

        var dashboard = new Dashboard(this, "Dashboard", new DashboardProps { DashboardName = $"DropSync-{settings.Stage}" });
        dashboard.AddWidgets(
            new GraphWidget(new GraphWidgetProps
            {
                Title = "HTTP API requests and errors",
                Left = [httpApi.MetricCount(new MetricOptions { Period = period, Statistic = "Sum" })],
                Right = [server5xx, httpApi.MetricClientError(new MetricOptions { Period = period, Statistic = "Sum" })],
                Width = 12,
            }),
            new GraphWidget(new GraphWidgetProps
            {
                Title = "HTTP API latency (p50, p99)",
                Left =
                [
                    httpApi.MetricLatency(new MetricOptions { Period = period, Statistic = "p50" }),
                    httpApi.MetricLatency(new MetricOptions { Period = period, Statistic = "p99" }),
                ],
                Width = 12,
            }));
        dashboard.AddWidgets(
            new GraphWidget(new GraphWidgetProps { Title = "Function errors and throttles", Left = [.. errorGraphs], Width = 12 }),
            new GraphWidget(new GraphWidgetProps { Title = "Function duration (p99)", Left = [.. durationGraphs], Width = 12 }));
        dashboard.AddWidgets(
            new SingleValueWidget(new SingleValueWidgetProps { Title = "Dead-letter queue depth", Metrics = [dlqDepth], Width = 6 }));
    }

    private void Alarm(string id, IMetric metric, double threshold, string description, IAlarmAction action)
    {
        var alarm = new Alarm(this, id, new AlarmProps
        {
            Metric = metric,
            Threshold = threshold,
            EvaluationPeriods = 1,
            ComparisonOperator = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            TreatMissingData = TreatMissingData.NOT_BREACHING,
            AlarmDescription = description,
        });
        alarm.AddAlarmAction(action);
    }
}
