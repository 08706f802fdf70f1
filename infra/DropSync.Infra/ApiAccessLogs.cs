using Amazon.CDK;
using Amazon.CDK.AWS.Apigatewayv2;
using Amazon.CDK.AWS.Logs;
using Constructs;

namespace DropSync.Infra;

/// <summary>
/// Access logs of the HTTP API's stage in their own log group: one JSON line per request with who, when, what route,
/// method, status, size, latencies and integration errors. (A WebSocket stage can only log once the region's API
/// Gateway account settings name a CloudWatch role, an account-wide singleton this stack does not own, so it has none;
/// a cdk-nag suppression says so.) Paths and query strings are
/// left out on purpose: share-link tokens travel in them (see docs/architecture.md, "Security").
/// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html
/// </summary>
public sealed class ApiAccessLogs : Construct
{
    public LogGroup LogGroup { get; }

    public ApiAccessLogs(Construct scope, string id, CfnStage stage)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(stage);
        LogGroup = new LogGroup(this, "Logs", new LogGroupProps
        {
            Retention = RetentionDays.THREE_MONTHS,
            RemovalPolicy = RemovalPolicy.RETAIN,
        });

        var fields = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["requestId"] = "$context.requestId",
            ["ip"] = "$context.identity.sourceIp",
            ["time"] = "$context.requestTimeEpoch",
            ["routeKey"] = "$context.routeKey",
            ["status"] = "$context.status",
            ["integrationError"] = "$context.integrationErrorMessage",
            ["method"] = "$context.httpMethod",
            ["protocol"] = "$context.protocol",
            ["responseLength"] = "$context.responseLength",
            ["latencyMs"] = "$context.responseLatency",
            ["integrationLatencyMs"] = "$context.integrationLatency",
        };

        stage.AccessLogSettings = new CfnStage.AccessLogSettingsProperty
        {
            DestinationArn = LogGroup.LogGroupArn,
            Format = "{" + string.Join(",", fields.Select(f => $"\"{f.Key}\":\"{f.Value}\"")) + "}",
        };
    }
}
