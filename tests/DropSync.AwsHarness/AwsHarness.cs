using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using DropSync.AwsHarness.Asset;
using DropSync.AwsHarness.EventSources;
using DropSync.AwsHarness.HttpApi;
using DropSync.AwsHarness.Iam;
using DropSync.AwsHarness.Lambda;
using DropSync.AwsHarness.Recording;
using DropSync.AwsHarness.Stack;
using DropSync.AwsHarness.WebSocketApi;
using DropSync.Infra;
using DropSync.Testing;

namespace DropSync.AwsHarness;

/// <summary>
/// DropSync deployed into a local serverless harness: the real CDK app synthesised and "deployed" (its resolved template
/// provisioned on DynamoDB Local and fauxqs), the published Lambda asset run as one OS process per function behind the
/// Lambda Web Adapter's rules, the HTTP API in front of the http function, the change queue's event source mapping
/// feeding the fanout function, the schedule's target invocable, and every AWS call a function makes recorded in
/// <see cref="Calls"/>. The only differences from a deployment are listed in <see cref="HarnessOverrides"/>.
/// </summary>
public sealed class AwsHarness : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _stoppables = [];
    private readonly Dictionary<string, WebAdapterFunction> _functions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Secret, string Function, string SessionToken)> _credentials = new(StringComparer.Ordinal);
    private LocalAwsServers? _servers;

    private AwsHarness()
    {
    }

    public DeployedTemplate Template { get; private set; } = null!;

    public AwsCallLog Calls { get; } = new();

    /// <summary>The HTTP API's $default stage (http://127.0.0.1:{port}/).</summary>
    public Uri HttpApiUrl { get; private set; } = null!;

    /// <summary>The functions by DropSync role (http, websocket, fanout, maintenance).</summary>
    public IReadOnlyDictionary<string, WebAdapterFunction> Functions => _functions;

    public LocalAwsServers Servers => _servers!;

    public string ChangeQueueUrl { get; private set; } = "";

    public string DeadLetterQueueUrl { get; private set; } = "";

    public SqsEventSource ChangeQueueEvents { get; private set; } = null!;

    /// <summary>The WebSocket API emulator's port and stage (DROPSYNC_WS_ENDPOINT = http://127.0.0.1:{port}/{stage}).</summary>
    public int WebSocketPort { get; private set; }

    public string WebSocketStage { get; private set; } = "";

    /// <summary>The WebSocket API emulator when the harness started its own (the default), else null.</summary>
    public WebSocketApiEmulator? WebSocketApi { get; private set; }

    /// <summary>Where clients open the live feed (the stage's wss:// URL, here ws://127.0.0.1:{port}/{stage}).</summary>
    public Uri WebSocketUrl => new(string.Create(CultureInfo.InvariantCulture, $"ws://127.0.0.1:{WebSocketPort}/{WebSocketStage}"));

    public SecretsExtension Secrets { get; private set; } = null!;

    public ILambdaFunction Function(string role) => _functions[role];

    /// <summary>The function (by name) whose access key this is, and its secret key — what a SigV4 check needs.</summary>
    public (string SecretAccessKey, string FunctionName)? CredentialsOf(string accessKeyId) =>
        _credentials.TryGetValue(accessKeyId, out var found) ? (found.Secret, found.Function) : null;

    public static async Task<AwsHarness> StartAsync(AwsHarnessOptions? options = null)
    {
        options ??= new AwsHarnessOptions();
        var harness = new AwsHarness();
        try
        {
            await harness.StartCoreAsync(options).ConfigureAwait(false);
            return harness;
        }
        catch
        {
            await harness.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>What EventBridge sends the schedule rule's target: a "Scheduled Event"
    /// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html). EventBridge invokes
    /// asynchronously and drops the result; the harness answers it for tests.</summary>
    public Task<LambdaInvocationResult> InvokeScheduleAsync(CancellationToken ct = default)
    {
        var rule = Template.ScheduleRules.Single();
        var function = Template.FunctionByLogicalId(rule.TargetFunctionLogicalIds.Single());
        var evt = new JsonObject
        {
            ["version"] = "0",
            ["id"] = Guid.NewGuid().ToString(),
            ["detail-type"] = "Scheduled Event",
            ["source"] = "aws.events",
            ["account"] = Template.Environment.AccountId,
            ["time"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["region"] = Template.Environment.Region,
            ["resources"] = new JsonArray(rule.Arn),
            ["detail"] = new JsonObject(),
        };
        return _functions[function.Role].InvokeAsync(evt.ToJsonString(), ct);
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _stoppables.Count - 1; i >= 0; i--)
        {
            await _stoppables[i].DisposeAsync().ConfigureAwait(false);
        }

        foreach (var function in _functions.Values)
        {
            function.Dispose();
        }

        _servers?.Dispose();
    }

    private async Task StartCoreAsync(AwsHarnessOptions options)
    {
        var asset = LambdaAsset.EnsurePublishedAsync();
        var settings = new DropSyncSettings { Stage = options.Stage, PrimaryRegion = "us-east-1", WebOrigins = options.WebOrigins };
        var environment = StackEnvironment.Harness with { StackName = $"DropSync-{settings.Stage}", Region = settings.PrimaryRegion };
        var template = Task.Run(() => StackSynthesizer.Synthesize(settings));
        _servers = await LocalAwsServers.StartAsync(environment.Region).ConfigureAwait(false);
        Template = new DeployedTemplate(await template.ConfigureAwait(false), environment, _servers.QueueUrlBase);

        var changeQueue = Template.Queues.Single(q => q.MaxReceiveCount is not null);
        ChangeQueueUrl = changeQueue.Url;
        DeadLetterQueueUrl = Template.QueueByArn(changeQueue.DeadLetterTargetArn!).Url;
        await StackProvisioner.ProvisionAsync(
            Template, settings.TablePrefix, _servers.DynamoDb, _servers.S3, _servers.Sqs,
            new Dictionary<string, int> { [changeQueue.LogicalId] = HarnessOverrides.ChangeQueueVisibilityTimeoutSeconds },
            CancellationToken.None).ConfigureAwait(false);

        var proxies = new RecordingProxies(
            new Dictionary<AwsService, Uri>
            {
                [AwsService.DynamoDb] = new(_servers.DynamoDbEndpoint),
                [AwsService.S3] = new(_servers.FauxqsEndpoint),
                [AwsService.Sqs] = new(_servers.FauxqsEndpoint),
            },
            new ResourceArns(Template), Calls, ProxyAuthorization());
        _stoppables.Add(proxies);
        var roles = Template.Functions.Select(f => f.Role).ToList();
        await proxies.StartAsync(roles).ConfigureAwait(false);

        var sessions = roles.ToDictionary(role => role, _ => Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)), StringComparer.Ordinal);
        Secrets = new SecretsExtension(Template, Calls);
        _stoppables.Add(Secrets);
        await Secrets.StartAsync(roles.Select(role => (role, sessions[role]))).ConfigureAwait(false);

        var webSocketApi = Template.Apis.Single(a => a.ProtocolType == "WEBSOCKET");
        WebSocketPort = LocalPorts.Free();
        WebSocketStage = webSocketApi.StageNames.Single();
        var assetFolder = await asset.ConfigureAwait(false);
        foreach (var view in Template.Functions)
        {
            var variables = FunctionEnvironment(view, assetFolder, sessions[view.Role], proxies, new Uri(webSocketApi.Endpoint).Host);
            var process = new FunctionProcess(view.Role, assetFolder, variables);
            _functions[view.Role] = new WebAdapterFunction(view.Name, view.Arn, process, variables, TimeSpan.FromSeconds(view.TimeoutSeconds), view.MemoryMb);
        }

        var host = new WebSocketApiHost(WebSocketPort, WebSocketStage, environment.Region, webSocketApi.Id, _functions[FunctionRole.WebSocket], CredentialsOf, Calls);
        _stoppables.Add(options.WebSocketApi is { } startWebSocketApi
            ? await startWebSocketApi(host).ConfigureAwait(false)
            : await StartWebSocketApiAsync(host, webSocketApi, options.WebSocketLimits).ConfigureAwait(false));

        // Cold starts up front, in parallel: the tests then measure the app, not four .NET start-ups.
        await Task.WhenAll(_functions.Values.Select(f => f.WarmUpAsync(CancellationToken.None))).ConfigureAwait(false);

        var httpRoute = Template.Routes.Single(r => Template.Apis.Single(a => a.LogicalId == r.ApiLogicalId).ProtocolType == "HTTP");
        var httpApi = Template.Apis.Single(a => a.LogicalId == httpRoute.ApiLogicalId);
        var gateway = new HttpApiGateway(
            _functions[Template.FunctionByLogicalId(httpRoute.FunctionLogicalId).Role], httpApi.Id, environment.AccountId, httpApi.CorsConfiguration);
        _stoppables.Add(gateway);
        await gateway.StartAsync().ConfigureAwait(false);
        HttpApiUrl = gateway.Url;
        foreach (var (bucketId, bucket) in Template.OfType("AWS::S3::Bucket"))
        {
            proxies.SetBucketCors(Template.Resolver.Ref(bucketId), S3Cors.FromTemplate(
                Template.Resolve(bucket["CorsConfiguration"]), origin => HarnessOverrides.ReplaceHttpApiOrigin(origin, httpApi.Endpoint, HttpApiUrl)));
        }

        var mapping = Template.EventSourceMappings.Single();
        var consumer = Template.FunctionByLogicalId(mapping.FunctionLogicalId);
        ChangeQueueEvents = new SqsEventSource(
            _servers.Sqs, Template.QueueByArn(mapping.EventSourceArn), mapping, _functions[consumer.Role], consumer.Role, environment.Region, Calls);
        _stoppables.Add(ChangeQueueEvents);
        ChangeQueueEvents.Start();
    }

    /// <summary>
    /// The template's WebSocket API on <see cref="WebSocketApiEmulator"/>: its routes and their integrations, two-way where
    /// the template has a route response, and every @connections call authorised by the calling function's own IAM
    /// policies from the template — a call its role does not allow is refused with 403, as on a real account.
    /// </summary>
    private async Task<IAsyncDisposable> StartWebSocketApiAsync(WebSocketApiHost host, ApiView api, WebSocketApiLimits limits)
    {
        var routes = Template.Routes
            .Where(r => r.ApiLogicalId == api.LogicalId)
            .ToDictionary(
                r => r.RouteKey,
                r => new WebSocketRoute(_functions[Template.FunctionByLogicalId(r.FunctionLogicalId).Role], r.ReturnsResponse),
                StringComparer.Ordinal);
        var policies = IamPolicies.ForFunctions(Template.Template, Template.Resolve)
            .ToDictionary(p => p.Function, p => p.Statements, StringComparer.Ordinal);
        var emulator = new WebSocketApiEmulator(new WebSocketApiOptions
        {
            Stage = host.StageName,
            ApiId = host.ApiId,
            Region = host.Region,
            Account = Template.Environment.AccountId,
            Routes = routes,
            // The functions sign with their role session's keys, token included (as in Lambda).
            Callers = key => _credentials.TryGetValue(key, out var found) ? new ExecuteApiCaller(found.Secret, found.SessionToken, found.Function) : null,
            Calls = host.Calls,
            Authorize = call => policies.TryGetValue(call.Function, out var statements) && IamEvaluator.Allows(statements, call.Action, call.Resource),
            Limits = limits,
            Port = host.Port,
        });
        await emulator.StartAsync().ConfigureAwait(false);
        WebSocketApi = emulator;
        return emulator;
    }

    /// <summary>Every AWS call through the recording proxies authorised by the calling function's own IAM policies from the
    /// template, as on a real account; the denial names the function's assumed-role session.</summary>
    private ProxyAuthorization ProxyAuthorization()
    {
        var policies = IamPolicies.ForFunctions(Template.Template, Template.Resolve)
            .ToDictionary(p => p.Function, p => p.Statements, StringComparer.Ordinal);
        var principals = Template.Functions.ToDictionary(
            f => f.Role,
            f => $"arn:{Template.Environment.Partition}:sts::{Template.Environment.AccountId}:assumed-role/{f.ExecutionRoleArn.Split('/')[^1]}/{f.Name}",
            StringComparer.Ordinal);
        return new ProxyAuthorization(
            call => policies.TryGetValue(call.Function, out var statements) && IamEvaluator.Allows(statements, call.Action, call.Resource),
            function => principals.TryGetValue(function, out var principal) ? principal : function);
    }

    /// <summary>The template's resolved variables, Lambda's runtime variables, then <see cref="HarnessOverrides"/>.</summary>
    private Dictionary<string, string> FunctionEnvironment(FunctionView view, string assetFolder, string sessionToken, RecordingProxies proxies, string webSocketHost)
    {
        var variables = view.Environment.ToDictionary(
            pair => pair.Key, pair => HarnessOverrides.ReplaceWebSocketHost(pair.Value, webSocketHost, WebSocketPort), StringComparer.Ordinal);

        // Lambda's reserved runtime variables (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
        // with a distinct access key per function, as each function's execution role session has its own.
        var accessKeyId = "ASIA" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        var secretKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(30));
        _credentials[accessKeyId] = (secretKey, view.Role, sessionToken);
        var region = Template.Environment.Region;
        foreach (var (key, value) in new Dictionary<string, string>
        {
            ["_HANDLER"] = "bootstrap",
            ["AWS_REGION"] = region,
            ["AWS_DEFAULT_REGION"] = region,
            ["AWS_LAMBDA_FUNCTION_NAME"] = view.Name,
            ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = view.MemoryMb.ToString(CultureInfo.InvariantCulture),
            ["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST",
            ["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand",
            ["AWS_LAMBDA_LOG_GROUP_NAME"] = "/aws/lambda/" + view.Name,
            ["AWS_LAMBDA_LOG_STREAM_NAME"] = DateTime.UtcNow.ToString("yyyy/MM/dd", CultureInfo.InvariantCulture) + "/[$LATEST]" + Guid.NewGuid().ToString("N"),
            ["AWS_ACCESS_KEY_ID"] = accessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = secretKey,
            ["AWS_SESSION_TOKEN"] = sessionToken,
            ["LAMBDA_TASK_ROOT"] = assetFolder,
            ["LAMBDA_RUNTIME_DIR"] = assetFolder,
            ["TZ"] = ":UTC",
            ["LANG"] = "en_US.UTF-8",
            ["PATH"] = "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
        })
        {
            variables[key] = value;
        }

        var port = LocalPorts.Free();
        foreach (var (key, value) in HarnessOverrides.For(
            port, proxies.Endpoint(view.Role, AwsService.DynamoDb), proxies.Endpoint(view.Role, AwsService.S3),
            proxies.Endpoint(view.Role, AwsService.Sqs), Secrets.Port(view.Role)))
        {
            variables[key] = value;
        }

        return variables;
    }
}
