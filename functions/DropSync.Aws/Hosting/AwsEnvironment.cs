namespace DropSync.Aws.Hosting;

/// <summary>
/// The environment variables DropSync reads in AWS mode (<c>DropSync:Mode=aws</c>), in one place for the host and the CDK
/// stack. Each also binds from configuration as <c>DropSync:Aws:{Key}</c> (e.g. <c>DropSync__Aws__BlocksBucket</c>), which
/// the plain variable overrides.
/// </summary>
public static class AwsEnvironment
{
    /// <summary>The configuration key that selects the mode: "embedded" (default) or "aws" (env <c>DropSync__Mode</c>).</summary>
    public const string ModeSetting = "DropSync:Mode";

    public const string AwsMode = "aws";

    public const string EmbeddedMode = "embedded";

    /// <summary>Prefix of every DynamoDB table name (see DynamoDbTableNames); optional.</summary>
    public const string TablePrefix = "DROPSYNC_TABLE_PREFIX";

    /// <summary>The S3 bucket of the blocks (keys <c>blocks/{sha256}</c>, uploads staged under <c>incoming/{userId}/{sha256}</c>).</summary>
    public const string Bucket = "DROPSYNC_BUCKET";

    /// <summary>The KMS key (id, ARN or alias) blocks are encrypted with (SSE-KMS); optional (the bucket default then).</summary>
    public const string KmsKeyId = "DROPSYNC_KMS_KEY_ID";

    /// <summary>The SQS queue the commit path publishes journal entries to; optional (no live fan-out without it).</summary>
    public const string ChangeQueueUrl = "DROPSYNC_CHANGE_QUEUE_URL";

    /// <summary>The WebSocket API's management endpoint, <c>https://{api-id}.execute-api.{region}.amazonaws.com/{stage}</c>.</summary>
    public const string WebSocketEndpoint = "DROPSYNC_WS_ENDPOINT";

    /// <summary>The WebSocket stage's public URL, <c>wss://{api-id}.execute-api.{region}.amazonaws.com/{stage}</c>, that
    /// <c>GET /config</c> gives clients.</summary>
    public const string WebSocketUrl = "DROPSYNC_WS_URL";

    /// <summary>The master key, base64 of 32 bytes (or 64 hex digits), from Secrets Manager.</summary>
    public const string MasterKey = "DROPSYNC_MASTER_KEY";

    /// <summary>Instead of <see cref="MasterKey"/>: the Secrets Manager secret holding it, read at start through the
    /// Parameters and Secrets Lambda extension (the key never appears in the function's configuration).</summary>
    public const string MasterKeySecretArn = "DROPSYNC_MASTER_KEY_SECRET_ARN";

    /// <summary>The shared secret /events requires in the <see cref="EventsSecretHeader"/> header; optional (see EventsApi).</summary>
    public const string EventsSecret = "DROPSYNC_EVENTS_SECRET";

    /// <summary>The header that carries <see cref="EventsSecret"/>.</summary>
    public const string EventsSecretHeader = "X-DropSync-Events-Secret";

    /// <summary>Days a block no current revision names waits before it is tagged cold (default 30; 0 tags at the next run).</summary>
    public const string ColdAfterDays = "DROPSYNC_COLD_AFTER_DAYS";

    /// <summary>Days a replaced revision or a deleted file stays restorable (DropSync:VersionRetention; default 180).</summary>
    public const string VersionRetentionDays = "DROPSYNC_VERSION_RETENTION_DAYS";

    /// <summary>The most revisions kept of one file (DropSync:MaxRevisionsPerFile; default 100).</summary>
    public const string MaxRevisionsPerFile = "DROPSYNC_MAX_REVISIONS_PER_FILE";

    /// <summary>"false" turns the block-list content hash off (DropSync:BlockListContentHash; default true).</summary>
    public const string BlockListContentHash = "DROPSYNC_BLOCK_LIST_CONTENT_HASH";

    /// <summary>The region (set by Lambda).</summary>
    public const string Region = "AWS_REGION";

    /// <summary>Service endpoint overrides, for tests against local servers.</summary>
    public const string DynamoDbEndpoint = "DROPSYNC_DYNAMODB_ENDPOINT";

    public const string S3Endpoint = "DROPSYNC_S3_ENDPOINT";

    public const string SqsEndpoint = "DROPSYNC_SQS_ENDPOINT";

    /// <summary>Set by the Lambda runtime in every function; /events answers 404 where it is absent and no secret is configured.</summary>
    public const string LambdaFunctionName = "AWS_LAMBDA_FUNCTION_NAME";

    /// <summary>The path the Lambda Web Adapter posts non-HTTP events to (its AWS_LWA_PASS_THROUGH_PATH).</summary>
    public const string EventsPath = "/events";

    /// <summary>Shards of the sparse DynamoDB GC, retention and expiry indexes (DynamoDbTableNames.GcShards); default 16, only ever raised.</summary>
    public const string GcShards = "DROPSYNC_GC_SHARDS";

    /// <summary>Every variable above, for documentation and the stack.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        TablePrefix, Bucket, KmsKeyId, ChangeQueueUrl, WebSocketEndpoint, WebSocketUrl, MasterKey, MasterKeySecretArn, EventsSecret, ColdAfterDays,
        VersionRetentionDays, MaxRevisionsPerFile, BlockListContentHash, GcShards, Region,
        DynamoDbEndpoint, S3Endpoint, SqsEndpoint,
    ];

    /// <summary>Retried commits in an hour from which maintenance raises a namespace's shard count (default 100; 0: off).</summary>
    public const string HotNamespaceRetries = "DROPSYNC_HOT_NAMESPACE_RETRIES";

    /// <summary>Namespaces one maintenance run raises at most (default 2).</summary>
    public const string HotNamespaceMaxRaises = "DROPSYNC_HOT_NAMESPACE_MAX_RAISES";
}
