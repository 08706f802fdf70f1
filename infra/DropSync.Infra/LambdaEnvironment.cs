using DropSync.Aws.Hosting;

namespace DropSync.Infra;

/// <summary>
/// The environment variables the stack gives every DropSync function — the contract between this CDK app and the AWS
/// host of DropSync.Api. Where the host already names a variable (<see cref="AwsEnvironment"/> in DropSync.Aws) that name
/// is used; the others use ASP.NET Core's configuration form (<c>__</c> = <c>:</c>). Documented in docs/deploy.md.
/// </summary>
public static class LambdaEnvironment
{
    /// <summary>"aws": the host wires the AWS adapters instead of the embedded ones.</summary>
    public const string Mode = "DropSync__Mode";

    /// <summary>What this function does: one of <see cref="FunctionRole"/>'s values.</summary>
    public const string Role = "DropSync__Aws__Role";

    /// <summary>The prefix of every table name: <c>new DynamoDbTableNames(prefix)</c> gives them all.</summary>
    public const string TablePrefix = AwsEnvironment.TablePrefix;

    /// <summary>The S3 bucket that holds the blocks (keys <c>blocks/{sha256-hex}</c>).</summary>
    public const string BlocksBucket = AwsEnvironment.Bucket;

    /// <summary>ARN of the customer-managed KMS key the blocks are encrypted with (S3BlockStoreOptions.KmsKeyId).</summary>
    public const string DataKeyArn = AwsEnvironment.KmsKeyId;

    /// <summary>The URL of the SQS queue the commit path publishes journal entries to.</summary>
    public const string ChangeQueueUrl = AwsEnvironment.ChangeQueueUrl;

    /// <summary>ARN of the Secrets Manager secret whose value is the master key: 64 hex digits (32 bytes).</summary>
    public const string MasterKeySecretArn = AwsEnvironment.MasterKeySecretArn;

    /// <summary>The WebSocket stage's management endpoint (https://…/{stage}) for @connections calls.</summary>
    public const string WebSocketCallbackUrl = AwsEnvironment.WebSocketEndpoint;

    /// <summary>The WebSocket stage's public URL (wss://…/live) that GET /config gives clients (http function).</summary>
    public const string WebSocketUrl = AwsEnvironment.WebSocketUrl;

    /// <summary>
    /// The Lambda Web Adapter's setting that turns the listed HTTP statuses of the app into a Lambda function error
    /// (adapter v0.9.0+, layer 23+). On the functions that take events, so an SQS batch /events could not handle at all
    /// (a 5xx) is retried whole rather than dropped as a "successful" invocation.
    /// </summary>
    public const string AdapterErrorStatusCodes = "AWS_LWA_ERROR_STATUS_CODES";

    /// <summary>The value of <see cref="AdapterErrorStatusCodes"/>: every 5xx.</summary>
    public const string ServerErrorStatusCodes = "500-599";

    /// <summary>Days after which the tiering job tags blocks referenced only by old revisions cold=true.</summary>
    public const string ColdAfterDays = AwsEnvironment.ColdAfterDays;

    /// <summary>
    /// How many shards the sparse GC and expiry indexes are spread over (context <c>gcShards</c>, default 16). It may
    /// only grow: readers scan every shard below the current count, and items written under a smaller count sit in
    /// shards below it, so none is lost.
    /// </summary>
    public const string GcShards = "DROPSYNC_GC_SHARDS";

    /// <summary>Days history is kept: the stack parameter VersionRetentionDays.</summary>
    public const string VersionRetentionDays = AwsEnvironment.VersionRetentionDays;

    /// <summary>Revisions kept per file: the stack parameter MaxRevisionsPerFile.</summary>
    public const string MaxRevisionsPerFile = AwsEnvironment.MaxRevisionsPerFile;

    /// <summary>Whether resumable uploads may have the b1 content hash: the stack parameter BlockListContentHash.</summary>
    public const string BlockListContentHash = AwsEnvironment.BlockListContentHash;

    /// <summary>The path the Lambda Web Adapter POSTs non-HTTP events (SQS, schedule, WebSocket) to.</summary>
    public const string EventsPath = "/events";

    /// <summary>The port the server listens on inside the function, behind the adapter.</summary>
    public const int Port = 8080;
}

/// <summary>The values of <see cref="LambdaEnvironment.Role"/>.</summary>
public static class FunctionRole
{
    public const string Http = "http";
    public const string WebSocket = "websocket";
    public const string Fanout = "fanout";
    public const string Maintenance = "maintenance";
}

/// <summary>Names the stack and the AWS host share besides the tables' (which are in DropSync.Aws' DynamoDbTables).</summary>
public static class StorageConventions
{
    /// <summary>The tag the tiering job sets on blocks that only old revisions reference; lifecycle moves them to Glacier IR.</summary>
    public const string ColdTagKey = "cold";

    public const string ColdTagValue = "true";

    /// <summary>The key prefix of blocks in the bucket (S3BlockStoreOptions.KeyPrefix's default).</summary>
    public const string BlocksKeyPrefix = "blocks/";

    /// <summary>Where the host stages uploads before verifying them (<c>incoming/{userId}/{sha256}</c>).</summary>
    public const string IncomingKeyPrefix = "incoming/";
}
