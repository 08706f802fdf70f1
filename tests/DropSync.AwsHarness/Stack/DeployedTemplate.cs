using System.Globalization;
using System.Text.Json.Nodes;

namespace DropSync.AwsHarness.Stack;

/// <summary>A function as deployed: its configuration with every intrinsic resolved.
/// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-function.html</summary>
public sealed record FunctionView(
    string LogicalId, string Role, string Name, string Arn, string ExecutionRoleArn, IReadOnlyDictionary<string, string> Environment,
    int TimeoutSeconds, int MemoryMb);

/// <summary>https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-eventsourcemapping.html</summary>
public sealed record EventSourceMappingView(
    string LogicalId, string FunctionLogicalId, string EventSourceArn, int BatchSize, int MaximumBatchingWindowSeconds, bool ReportBatchItemFailures);

/// <summary>https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sqs-queue.html</summary>
public sealed record QueueView(
    string LogicalId, string Name, string Url, string Arn, int VisibilityTimeoutSeconds, int? MaxReceiveCount, string? DeadLetterTargetArn,
    string? KmsKeyArn, string? RedrivePolicyJson);

/// <summary>https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-events-rule.html</summary>
public sealed record ScheduleRuleView(string LogicalId, string Name, string Arn, string ScheduleExpression, IReadOnlyList<string> TargetFunctionLogicalIds);

/// <summary>An API Gateway v2 route and the function its Lambda integration invokes.</summary>
public sealed record RouteView(string ApiLogicalId, string RouteKey, string FunctionLogicalId, string? PayloadFormatVersion, bool ReturnsResponse);

/// <summary>An API Gateway v2 API (HTTP or WebSocket).</summary>
public sealed record ApiView(string LogicalId, string Id, string ProtocolType, string Endpoint, JsonObject? CorsConfiguration, IReadOnlyList<string> StageNames);

/// <summary>A table (name as the app computes it from its prefix) and its ARN.</summary>
public sealed record TableView(string LogicalId, string Name, string Arn);

/// <summary>The blocks bucket and the KMS key of its default encryption (SSE-KMS), if any.</summary>
public sealed record BucketView(string LogicalId, string Name, string Arn, string? KmsKeyArn);

/// <summary>
/// The synthesised template "deployed" into the harness: the raw template, the resolver of its intrinsics over the
/// harness's resources, and typed views of what the harness runs. Public for the IAM evaluator, which reads the
/// policies from <see cref="Template"/> through <see cref="Resolve"/>.
/// </summary>
public sealed class DeployedTemplate
{
    private readonly JsonObject _resources;

    public DeployedTemplate(JsonObject template, StackEnvironment environment, string queueUrlBase)
    {
        ArgumentNullException.ThrowIfNull(template);
        Template = template;
        _resources = template["Resources"]!.AsObject();
        Resolver = new IntrinsicResolver(PhysicalResources.Assign(template, environment, queueUrlBase), environment, ParameterDefaults(template));
        Functions = [.. OfType("AWS::Lambda::Function").Select(r => FunctionOf(r.Id, r.Properties))];
        Queues = [.. OfType("AWS::SQS::Queue").Select(r => QueueOf(r.Id, r.Properties))];
        Tables = [.. OfType("AWS::DynamoDB::Table").Concat(OfType("AWS::DynamoDB::GlobalTable")).Select(r => new TableView(r.Id, Resolver.Ref(r.Id), Resolver.GetAtt(r.Id, "Arn")))];
        Buckets = [.. OfType("AWS::S3::Bucket").Select(r => BucketOf(r.Id, r.Properties))];
        EventSourceMappings = [.. OfType("AWS::Lambda::EventSourceMapping").Select(r => MappingOf(r.Id, r.Properties))];
        ScheduleRules = [.. OfType("AWS::Events::Rule").Where(r => r.Properties["ScheduleExpression"] is not null).Select(r => RuleOf(r.Id, r.Properties))];
        Apis = [.. OfType("AWS::ApiGatewayV2::Api").Select(r => ApiOf(r.Id, r.Properties))];
        Routes = [.. OfType("AWS::ApiGatewayV2::Route").Select(r => RouteOf(r.Id, r.Properties))];
    }

    /// <summary>The template as synthesised (intrinsics unresolved).</summary>
    public JsonObject Template { get; }

    public IntrinsicResolver Resolver { get; }

    public StackEnvironment Environment => Resolver.Environment;

    public IReadOnlyList<FunctionView> Functions { get; }

    public IReadOnlyList<QueueView> Queues { get; }

    public IReadOnlyList<TableView> Tables { get; }

    public IReadOnlyList<BucketView> Buckets { get; }

    public IReadOnlyList<EventSourceMappingView> EventSourceMappings { get; }

    public IReadOnlyList<ScheduleRuleView> ScheduleRules { get; }

    public IReadOnlyList<ApiView> Apis { get; }

    public IReadOnlyList<RouteView> Routes { get; }

    public JsonNode? Resolve(JsonNode? node) => Resolver.Resolve(node);

    /// <summary>The function with DropSync role <paramref name="role"/> (http, websocket, fanout, maintenance).</summary>
    public FunctionView Function(string role) => Functions.Single(f => f.Role == role);

    public FunctionView FunctionByLogicalId(string logicalId) => Functions.Single(f => f.LogicalId == logicalId);

    public QueueView QueueByArn(string arn) => Queues.Single(q => q.Arn == arn);

    /// <summary>Every resource of a type, by logical id, with its (unresolved) properties.</summary>
    public IEnumerable<(string Id, JsonObject Properties)> OfType(string type) =>
        _resources.Where(p => (string?)p.Value!["Type"] == type).Select(p => (p.Key, p.Value!["Properties"] as JsonObject ?? []));

    private FunctionView FunctionOf(string id, JsonObject properties)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (properties["Environment"]?["Variables"] is JsonObject variables)
        {
            foreach (var (key, value) in variables)
            {
                environment[key] = Resolver.ResolveString(value);
            }
        }

        // Defaults: 3 s and 128 MB (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-function.html).
        return new FunctionView(
            id, environment.GetValueOrDefault("DropSync__Aws__Role", ""), Resolver.Ref(id), Resolver.GetAtt(id, "Arn"),
            Resolver.ResolveString(properties["Role"]), environment, Int(properties["Timeout"]) ?? 3, Int(properties["MemorySize"]) ?? 128);
    }

    private QueueView QueueOf(string id, JsonObject properties)
    {
        var redrive = Resolve(properties["RedrivePolicy"]) as JsonObject;
        var kms = properties["KmsMasterKeyId"] is { } key ? Resolver.ResolveString(key) : null;

        // Default visibility timeout 30 s (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html).
        return new QueueView(
            id, Resolver.GetAtt(id, "QueueName"), Resolver.Ref(id), Resolver.GetAtt(id, "Arn"), Int(properties["VisibilityTimeout"]) ?? 30,
            Int(redrive?["maxReceiveCount"]), (string?)redrive?["deadLetterTargetArn"], kms, redrive?.ToJsonString());
    }

    private BucketView BucketOf(string id, JsonObject properties)
    {
        var rule = Resolve(properties["BucketEncryption"]?["ServerSideEncryptionConfiguration"]?[0]?["ServerSideEncryptionByDefault"]);
        var key = (string?)rule?["SSEAlgorithm"] == "aws:kms" ? (string?)rule?["KMSMasterKeyID"] : null;
        return new BucketView(id, Resolver.Ref(id), Resolver.GetAtt(id, "Arn"), key);
    }

    private EventSourceMappingView MappingOf(string id, JsonObject properties)
    {
        var functionName = Resolver.ResolveString(properties["FunctionName"]);
        var function = Functions.Single(f => f.Name == functionName || f.Arn == functionName);
        var types = properties["FunctionResponseTypes"] as JsonArray ?? [];

        // SQS defaults: batch size 10, no batching window.
        return new EventSourceMappingView(
            id, function.LogicalId, Resolver.ResolveString(properties["EventSourceArn"]), Int(properties["BatchSize"]) ?? 10,
            Int(properties["MaximumBatchingWindowInSeconds"]) ?? 0, types.Any(t => (string?)t == "ReportBatchItemFailures"));
    }

    private ScheduleRuleView RuleOf(string id, JsonObject properties)
    {
        var targets = (Resolve(properties["Targets"]) as JsonArray ?? [])
            .Select(t => (string?)t?["Arn"])
            .Select(arn => Functions.FirstOrDefault(f => f.Arn == arn)?.LogicalId)
            .OfType<string>()
            .ToList();
        return new ScheduleRuleView(id, Resolver.Ref(id), Resolver.GetAtt(id, "Arn"), (string)properties["ScheduleExpression"]!, targets);
    }

    private ApiView ApiOf(string id, JsonObject properties)
    {
        var stages = OfType("AWS::ApiGatewayV2::Stage")
            .Where(s => Resolver.ResolveString(s.Properties["ApiId"]) == Resolver.Ref(id))
            .Select(s => Resolver.ResolveString(s.Properties["StageName"]))
            .ToList();
        return new ApiView(
            id, Resolver.Ref(id), (string)properties["ProtocolType"]!, Resolver.GetAtt(id, "ApiEndpoint"),
            Resolve(properties["CorsConfiguration"]) as JsonObject, stages);
    }

    private RouteView RouteOf(string id, JsonObject properties)
    {
        var apiId = Resolver.ResolveString(properties["ApiId"]);
        var api = Apis.Single(a => a.Id == apiId);

        // Target is "integrations/{IntegrationId}"; the integration's URI names the function (its ARN, or the
        // apigateway:…:lambda:path/2015-03-31/functions/{arn}/invocations form).
        var integrationRef = Resolver.ResolveString(properties["Target"])["integrations/".Length..];
        var integration = OfType("AWS::ApiGatewayV2::Integration").Single(i => Resolver.Ref(i.Id) == integrationRef).Properties;
        var uri = Resolver.ResolveString(integration["IntegrationUri"]);
        var function = Functions.Single(f => uri == f.Arn || uri.Contains("/functions/" + f.Arn + "/", StringComparison.Ordinal));
        // A WebSocket route is two-way when it has a route response
        // (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-response.html).
        var returnsResponse = OfType("AWS::ApiGatewayV2::RouteResponse").Any(r => Resolver.ResolveString(r.Properties["RouteId"]) == Resolver.Ref(id));
        return new RouteView(api.LogicalId, (string)properties["RouteKey"]!, function.LogicalId, (string?)integration["PayloadFormatVersion"], returnsResponse);
    }

    private int? Int(JsonNode? node)
    {
        var resolved = Resolve(node);
        return resolved switch
        {
            null => null,
            JsonValue value when value.TryGetValue<int>(out var number) => number,
            JsonValue value when value.TryGetValue<string>(out var text) => int.Parse(text, CultureInfo.InvariantCulture),
            _ => throw new InvalidOperationException($"Not a number: {resolved.ToJsonString()}"),
        };
    }

    /// <summary>
    /// Each template parameter's Default, as CloudFormation uses it when a deployment gives no value (Ref to a parameter
    /// is its value): https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html
    /// </summary>
    private static Dictionary<string, string> ParameterDefaults(JsonObject template) =>
        (template["Parameters"] as JsonObject ?? [])
            .Where(p => p.Value?["Default"] is not null)
            .ToDictionary(p => p.Key, p => p.Value!["Default"] is JsonValue v && v.TryGetValue<string>(out var text) ? text : p.Value!["Default"]!.ToJsonString(), StringComparer.Ordinal);
}
