using System.Globalization;
using Amazon.CDK;

namespace DropSync.Infra;

/// <summary>
/// The deployment's parameters, read from CDK context (<c>cdk deploy -c stage=prod -c replicaRegion=eu-west-1 …</c>).
/// Every key and its default is listed in docs/deploy.md.
/// </summary>
public sealed record DropSyncSettings
{
    /// <summary>Name of the deployment; prefixes stack names, table names and the key alias. Lower-case letters, digits, '-'.</summary>
    public string Stage { get; init; } = "dev";

    /// <summary>The account to deploy to; null synthesises account-agnostic templates (no credentials needed).</summary>
    public string? Account { get; init; }

    /// <summary>The region of everything except the replica bucket.</summary>
    public string PrimaryRegion { get; init; } = "us-east-1";

    /// <summary>When set, blocks are replicated to a bucket in this region (a second stack there).</summary>
    public string? ReplicaRegion { get; init; }

    /// <summary>Days after upload before an object the tiering job tagged cold=true moves to Glacier Instant Retrieval.</summary>
    public int ColdAfterDays { get; init; } = 90;

    /// <summary>Days a deleted or overwritten object version is kept before it expires.</summary>
    public int NoncurrentVersionDays { get; init; } = 30;

    /// <summary>Web origins (besides the HTTP API's own, which serves the web app) allowed by CORS.</summary>
    public IReadOnlyList<string> WebOrigins { get; init; } = [];

    /// <summary>
    /// Version of AWS's public Lambda Web Adapter layer (LambdaAdapterLayerArm64). At least 23 (adapter v0.9.0, which
    /// introduced AWS_LWA_ERROR_STATUS_CODES, awslabs/aws-lambda-web-adapter#558); 25 is adapter v1.0.0-rc1, per the
    /// adapter's README at that tag.
    /// </summary>
    public int AdapterLayerVersion { get; init; } = 25;

    /// <summary>The first layer version with AWS_LWA_ERROR_STATUS_CODES (adapter v0.9.0), which the event functions rely on.</summary>
    public const int MinAdapterLayerVersion = 23;

    /// <summary>The published server (scripts/publish-lambda.sh): a folder with a <c>bootstrap</c> executable.</summary>
    public string LambdaAssetPath { get; init; } = "artifacts/lambda";

    /// <summary>Steady-state and burst request limits of the HTTP API's default stage.</summary>
    public int ApiRateLimit { get; init; } = 1000;

    public int ApiBurstLimit { get; init; } = 2000;

    /// <summary>
    /// Most concurrent invocations of the fan-out function by its SQS trigger (the event source mapping's maximum
    /// concurrency, 2–1000), so a burst of changes cannot take the account's concurrency from the API.
    /// </summary>
    public int FanoutMaxConcurrency { get; init; } = 100;

    /// <summary>
    /// Shards of the sparse GC and expiry indexes (<see cref="LambdaEnvironment.GcShards"/>). At least
    /// <see cref="MinGcShards"/>; raise it, never lower it (items in shards above a lowered count would not be read).
    /// </summary>
    public int GcShards { get; init; } = MinGcShards;

    /// <summary>Today's shard count (DynamoDbTables.GcShards), which every deployment has written with.</summary>
    public const int MinGcShards = 16;

    /// <summary>Email address subscribed to the alarm topic, if any.</summary>
    public string? AlarmEmail { get; init; }

    public bool ReplicationEnabled => !string.IsNullOrEmpty(ReplicaRegion);

    /// <summary>The prefix of every DynamoDB table name of this deployment (see DynamoDbTableNames).</summary>
    public string TablePrefix => Stage + "-";

    /// <summary>Reads the settings from the app's context; unknown or malformed values fail the synth with a clear message.</summary>
    public static DropSyncSettings FromContext(Constructs.Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var defaults = new DropSyncSettings();
        var settings = new DropSyncSettings
        {
            Stage = Text(node, "stage") ?? defaults.Stage,
            Account = Text(node, "account") ?? System.Environment.GetEnvironmentVariable("CDK_DEFAULT_ACCOUNT"),
            PrimaryRegion = Text(node, "primaryRegion") ?? System.Environment.GetEnvironmentVariable("CDK_DEFAULT_REGION") ?? defaults.PrimaryRegion,
            ReplicaRegion = Text(node, "replicaRegion"),
            ColdAfterDays = Number(node, "coldAfterDays") ?? defaults.ColdAfterDays,
            NoncurrentVersionDays = Number(node, "noncurrentVersionDays") ?? defaults.NoncurrentVersionDays,
            WebOrigins = (Text(node, "webOrigins") ?? "")
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            AdapterLayerVersion = Number(node, "adapterLayerVersion") ?? defaults.AdapterLayerVersion,
            LambdaAssetPath = Text(node, "lambdaAsset") ?? defaults.LambdaAssetPath,
            ApiRateLimit = Number(node, "apiRateLimit") ?? defaults.ApiRateLimit,
            ApiBurstLimit = Number(node, "apiBurstLimit") ?? defaults.ApiBurstLimit,
            AlarmEmail = Text(node, "alarmEmail"),
            FanoutMaxConcurrency = Number(node, "fanoutMaxConcurrency") ?? defaults.FanoutMaxConcurrency,
            GcShards = Number(node, "gcShards") ?? defaults.GcShards,
        };
        settings.Validate();
        return settings;
    }

    /// <summary>Throws when a value cannot work, before any resource is defined.</summary>
    public void Validate()
    {
        if (Stage.Length is 0 or > 20 || !Stage.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
        {
            throw new ArgumentException($"stage '{Stage}': use 1-20 lower-case letters, digits or '-'.");
        }

        if (ReplicaRegion is not null && ReplicaRegion == PrimaryRegion)
        {
            throw new ArgumentException("replicaRegion must differ from primaryRegion.");
        }

        if (ColdAfterDays < 1 || NoncurrentVersionDays < 1 || AdapterLayerVersion < 1 || ApiRateLimit < 1 || ApiBurstLimit < 1)
        {
            throw new ArgumentException("coldAfterDays, noncurrentVersionDays, adapterLayerVersion and the API limits must be positive.");
        }

        if (AdapterLayerVersion < MinAdapterLayerVersion)
        {
            throw new ArgumentException($"adapterLayerVersion must be at least {MinAdapterLayerVersion} (Lambda Web Adapter v0.9.0, the first with AWS_LWA_ERROR_STATUS_CODES).");
        }

        if (FanoutMaxConcurrency is < 2 or > 1000)
        {
            throw new ArgumentException("fanoutMaxConcurrency must be 2-1000 (the SQS event source's maximum concurrency range).");
        }

        if (GcShards is < MinGcShards or > 1024)
        {
            throw new ArgumentException($"gcShards must be {MinGcShards}-1024: it may grow from today's {MinGcShards}, never shrink (shards above a lowered count would not be read).");
        }

        foreach (var origin in WebOrigins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.AbsolutePath != "/" || origin.EndsWith('/'))
            {
                throw new ArgumentException($"webOrigins: '{origin}' is not an origin (scheme://host[:port], no path).");
            }
        }
    }

    private static string? Text(Constructs.Node node, string key) =>
        node.TryGetContext(key) switch
        {
            null => null,
            string s when s.Length == 0 => null,
            string s => s,
            var other => Convert.ToString(other, CultureInfo.InvariantCulture),
        };

    private static int? Number(Constructs.Node node, string key)
    {
        var text = Text(node, key);
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"context '{key}': '{text}' is not a whole number.");
    }

    /// <summary>The CDK environment of the primary stack.</summary>
    public Amazon.CDK.Environment PrimaryEnvironment => new() { Account = Account, Region = PrimaryRegion };

    /// <summary>The CDK environment of the replica stack.</summary>
    public Amazon.CDK.Environment ReplicaEnvironment => new() { Account = Account, Region = ReplicaRegion };
}
