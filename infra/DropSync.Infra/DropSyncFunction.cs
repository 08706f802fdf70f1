using System.Globalization;
using Amazon.CDK;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.Logs;
using Constructs;

namespace DropSync.Infra;

/// <summary>What differs between DropSync's functions.</summary>
public sealed record FunctionShape(string Role, string Description, int MemoryMb, Duration Timeout);

/// <summary>
/// One DropSync function: the published server (a self-contained linux-arm64 .NET app whose <c>bootstrap</c> starts it)
/// on <c>provided.al2023</c>/ARM64 behind AWS's Lambda Web Adapter layer, which turns HTTP API events into HTTP requests
/// on <see cref="LambdaEnvironment.Port"/> and POSTs every other event (SQS, schedule, WebSocket) to
/// <see cref="LambdaEnvironment.EventsPath"/>. All functions run the same asset; <see cref="LambdaEnvironment.Role"/>
/// tells the host which part it is.
/// </summary>
public sealed class DropSyncFunction : Construct
{
    /// <summary>AWS's account that publishes the Lambda Web Adapter layers.</summary>
    public const string AdapterLayerAccount = "753240598075";

    /// <summary>The port the secrets extension listens on (AWS's default).</summary>
    public const int LambdaSecretsPort = 2773;

    public Function Function { get; }

    public DropSyncFunction(Construct scope, string id, DropSyncSettings settings, Code code, FunctionShape shape, IDictionary<string, string> environment)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(environment);
        var stack = Stack.Of(this);
        var port = LambdaEnvironment.Port.ToString(CultureInfo.InvariantCulture);

        var variables = new Dictionary<string, string>(environment, StringComparer.Ordinal)
        {
            // Lambda Web Adapter. On provided.al2023 Lambda starts /var/task/bootstrap (our server) and the layer's
            // extension does the adapting; the exec wrapper is what managed runtimes need and is kept so the same
            // settings work there.
            ["AWS_LAMBDA_EXEC_WRAPPER"] = "/opt/bootstrap",
            ["PORT"] = port,
            ["AWS_LWA_PORT"] = port,
            ["AWS_LWA_READINESS_CHECK_PATH"] = "/healthz",
            ["AWS_LWA_PASS_THROUGH_PATH"] = LambdaEnvironment.EventsPath,
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:" + port,
            [LambdaEnvironment.Mode] = "aws",
            [LambdaEnvironment.Role] = shape.Role,
        };
        if (shape.Role != FunctionRole.Http)
        {
            // The event functions: a 5xx from /events fails the invocation (retry / DLQ) instead of "succeeding".
            variables[LambdaEnvironment.AdapterErrorStatusCodes] = LambdaEnvironment.ServerErrorStatusCodes;
        }

        var logs = new LogGroup(this, "Logs", new LogGroupProps
        {
            Retention = RetentionDays.ONE_MONTH,
            RemovalPolicy = RemovalPolicy.DESTROY,
        });

        // Its own role with only what it needs to log (to its own log group), instead of the managed
        // AWSLambdaBasicExecutionRole, which may create any log group and write to all of them (cdk-nag AwsSolutions-IAM4).
        var role = new Role(this, "FunctionServiceRole", new RoleProps
        {
            AssumedBy = new ServicePrincipal("lambda.amazonaws.com"),
            Description = shape.Description + ": the function's role",
        });
        logs.GrantWrite(role);

        Function = new Function(this, "Function", new FunctionProps
        {
            Role = role,
            Description = shape.Description,
            Runtime = Runtime.PROVIDED_AL2023,
            Architecture = Architecture.ARM_64,
            Handler = "bootstrap",
            Code = code,
            MemorySize = shape.MemoryMb,
            Timeout = shape.Timeout,
            Environment = variables,
            LogGroup = logs,

            // AWS's Parameters and Secrets extension serves the master key secret on localhost to the host at start,
            // so the key never sits in the function's configuration.
            ParamsAndSecrets = ParamsAndSecretsLayerVersion.FromVersion(ParamsAndSecretsVersions.V1_0_103, new ParamsAndSecretsOptions
            {
                CacheEnabled = true,
                HttpPort = LambdaSecretsPort,
            }),
            Layers =
            [
                LayerVersion.FromLayerVersionArn(this, "WebAdapter", string.Format(
                    CultureInfo.InvariantCulture,
                    "arn:{0}:lambda:{1}:{2}:layer:LambdaAdapterLayerArm64:{3}",
                    stack.Partition, stack.Region, AdapterLayerAccount, settings.AdapterLayerVersion)),
            ],
        });
    }
}
