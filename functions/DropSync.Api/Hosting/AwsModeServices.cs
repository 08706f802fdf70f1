using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.SQS;
using DropSync.Api.Live;
using DropSync.Aws.DynamoDb;
using DropSync.Aws.Hosting;
using DropSync.Aws.Push;
using DropSync.Aws.S3;
using DropSync.Aws.Sqs;
using DropSync.Core.Model;
using DropSync.Core.Ports;

namespace DropSync.Api.Hosting;

/// <summary>
/// AWS mode (<c>DropSync:Mode=aws</c>): the core's ports over DynamoDB, S3, SQS and API Gateway @connections, configured
/// from the variables of <see cref="AwsEnvironment"/> (each also readable as <c>DropSync:Aws:{Name}</c>). No background
/// services: the fan-out, WebSocket routes and the scheduled jobs arrive as Lambda events on <c>/events</c>.
/// </summary>
internal static class AwsModeServices
{
    public static bool IsAwsMode(this IConfiguration config) =>
        string.Equals(config[AwsEnvironment.ModeSetting], AwsEnvironment.AwsMode, StringComparison.OrdinalIgnoreCase);

    /// <summary>A setting by its environment name, else from <c>DropSync:Aws:*</c> configuration.</summary>
    /// <summary>The retention policy and the content-hash setting from the Lambda environment (the stack's parameters), over DropSync:* settings.</summary>
    public static void ApplyRetentionSettings(IConfiguration config, DropSync.Core.Files.DropSyncOptions options)
    {
        if (int.TryParse(config.Setting(AwsEnvironment.VersionRetentionDays), System.Globalization.CultureInfo.InvariantCulture, out var days) && days > 0)
        {
            options.VersionRetention = TimeSpan.FromDays(days);
        }

        // Every block is recorded before its bytes reach blocks/, and the bucket's lifecycle expires incoming/: no run lists the bucket.
        options.SweepUnrecordedBlocks = false;

        if (int.TryParse(config.Setting(AwsEnvironment.MaxRevisionsPerFile), System.Globalization.CultureInfo.InvariantCulture, out var revisions) && revisions > 0)
        {
            options.MaxRevisionsPerFile = revisions;
        }

        if (bool.TryParse(config.Setting(AwsEnvironment.BlockListContentHash), out var blockListHash))
        {
            options.BlockListContentHash = blockListHash;
        }
    }

    public static string? Setting(this IConfiguration config, string name, string? section = null) =>
        NonEmpty(config[name]) ?? (section is null ? null : NonEmpty(config["DropSync:Aws:" + section]));

    public static void AddDropSyncAws(this IServiceCollection services, IConfiguration config)
    {
        var region = config.Setting(AwsEnvironment.Region) ?? "us-east-1";
        var dynamoEndpoint = config.Setting(AwsEnvironment.DynamoDbEndpoint);
        var s3Endpoint = config.Setting(AwsEnvironment.S3Endpoint);
        var sqsEndpoint = config.Setting(AwsEnvironment.SqsEndpoint);
        var bucket = config.Setting(AwsEnvironment.Bucket, "BlocksBucket")
            ?? throw new InvalidOperationException($"AWS mode needs the blocks bucket in {AwsEnvironment.Bucket}.");
        var queueUrl = config.Setting(AwsEnvironment.ChangeQueueUrl, "ChangeQueueUrl");
        var wsEndpoint = config.Setting(AwsEnvironment.WebSocketEndpoint, "WebSocketCallbackUrl");
        var tables = new DynamoDbTableNames(config.Setting(AwsEnvironment.TablePrefix, "TablePrefix") ?? "");
        if (config.Setting(AwsEnvironment.GcShards) is { } shards)
        {
            tables = tables.WithGcShards(int.Parse(shards, System.Globalization.CultureInfo.InvariantCulture));
        }

        var blockOptions = new S3BlockStoreOptions { BucketName = bucket, KmsKeyId = config.Setting(AwsEnvironment.KmsKeyId, "KmsKeyId") };

        var local = dynamoEndpoint is not null || s3Endpoint is not null || sqsEndpoint is not null;
        var credentials = new Lazy<AWSCredentials>(() => AwsCredentialSource.Resolve(config, local));
        AWSCredentials Credentials() => credentials.Value;

        services.AddSingleton<IAmazonDynamoDB>(_ => new AmazonDynamoDBClient(
            Credentials(),
            dynamoEndpoint is null
                ? new AmazonDynamoDBConfig { RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region) }
                : new AmazonDynamoDBConfig { ServiceURL = dynamoEndpoint, AuthenticationRegion = region }));
        services.AddSingleton<IAmazonS3>(_ => new AmazonS3Client(
            Credentials(),
            s3Endpoint is null
                ? new AmazonS3Config { RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region) }
                : new AmazonS3Config { ServiceURL = s3Endpoint, ForcePathStyle = true, AuthenticationRegion = region }));
        services.AddSingleton<IAmazonSQS>(_ => new AmazonSQSClient(
            Credentials(),
            sqsEndpoint is null
                ? new AmazonSQSConfig { RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region) }
                : new AmazonSQSConfig { ServiceURL = sqsEndpoint, AuthenticationRegion = region }));

        services.AddSingleton(sp => new DynamoDbContext(sp.GetRequiredService<IAmazonDynamoDB>(), tables));
        services.AddSingleton(sp => new DynamoDbFileMetadataStore(sp.GetRequiredService<DynamoDbContext>()));
        services.AddSingleton<IFileMetadataStore>(sp => sp.GetRequiredService<DynamoDbFileMetadataStore>());
        // Cold tiering counts current references from the retention pass (the commit writes nothing more for it).
        var coldAfterDays = int.TryParse(config.Setting(AwsEnvironment.ColdAfterDays), System.Globalization.CultureInfo.InvariantCulture, out var cold) && cold >= 0 ? cold : 30;
        services.AddSingleton(sp => new DynamoDbCurrentReferences(sp.GetRequiredService<DynamoDbContext>(), TimeSpan.FromDays(coldAfterDays)));
        services.AddSingleton<IRetentionStore>(sp => new TieringRetentionStore(
            new DynamoDbRetentionStore(sp.GetRequiredService<DynamoDbContext>()), sp.GetRequiredService<DynamoDbCurrentReferences>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IAccountStore>(sp => new DynamoDbAccountStore(sp.GetRequiredService<DynamoDbContext>()));
        services.AddSingleton<IAppPasswordStore>(sp => new DynamoDbAppPasswordStore(sp.GetRequiredService<DynamoDbContext>()));
        services.AddSingleton(sp => new DynamoDbBlockIndex(sp.GetRequiredService<DynamoDbContext>()));
        services.AddSingleton<IBlockIndex>(sp => new S3StagedBlockIndex(
            sp.GetRequiredService<DynamoDbBlockIndex>(), sp.GetRequiredService<IAmazonS3>(), blockOptions, sp.GetRequiredService<TimeProvider>(), stagesOnlyStoredBlocks: true));
        services.AddSingleton<IUploadSessionStore>(sp => new DynamoDbUploadSessionStore(sp.GetRequiredService<DynamoDbContext>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ISharingStore>(sp => new DynamoDbSharingStore(sp.GetRequiredService<DynamoDbContext>()));
        services.AddSingleton<IInvitationStore>(sp => new DynamoDbInvitationStore(sp.GetRequiredService<DynamoDbContext>()));
        services.AddSingleton<INotificationStore>(sp => new DynamoDbNotificationStore(sp.GetRequiredService<DynamoDbContext>()));
        services.AddSingleton<IBlockStore>(sp => new S3BlockStore(sp.GetRequiredService<IAmazonS3>(), blockOptions));
        services.AddSingleton<IBlockTransferUrls>(sp => new S3DirectBlockUrls(
            sp.GetRequiredService<IAmazonS3>(), blockOptions, sp.GetRequiredService<DynamoDbBlockIndex>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new DynamoDbConnectionStore(sp.GetRequiredService<DynamoDbContext>()));

        // Changes: commit → SQS → (Lambda) /events → ChangeFanout → @connections.
        services.AddSingleton<IChangePublisher>(sp => queueUrl is null
            ? new NoChangePublisher()
            : new SqsChangePublisher(sp.GetRequiredService<IAmazonSQS>(), queueUrl, sp.GetRequiredService<ILogger<SqsChangePublisher>>()));
        services.AddHttpClient(nameof(ApiGatewayPushGateway));
        if (wsEndpoint is not null)
        {
            services.AddSingleton(sp => new ApiGatewayPushGateway(
                sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(ApiGatewayPushGateway)),
                sp.GetRequiredService<DynamoDbConnectionStore>(),
                new ApiGatewayPushOptions { Endpoint = new Uri(wsEndpoint), Region = region, Parallelism = sp.GetRequiredService<DropSync.Core.Files.DropSyncOptions>().PushParallelism },
                Credentials(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<ApiGatewayPushGateway>>()));
        }

        services.AddSingleton<IPushGateway>(sp => (IPushGateway?)sp.GetService<ApiGatewayPushGateway>() ?? new NoPushGateway());
        services.AddSingleton<IDeviceConnectionCloser>(sp => (IDeviceConnectionCloser?)sp.GetService<ApiGatewayPushGateway>() ?? new NoPushGateway());

        // The embedded live feed's endpoints still resolve (no socket ever connects to them in Lambda).
        services.AddSingleton<WebSocketHub>();

        services.AddSingleton(sp => new ColdTiering(
            sp.GetRequiredService<DynamoDbContext>(), sp.GetRequiredService<IAmazonS3>(), blockOptions, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new DynamoDbMaintenanceLease(sp.GetRequiredService<DynamoDbContext>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new CurrentReferencesBackfill(
            sp.GetRequiredService<DynamoDbContext>(), sp.GetRequiredService<DynamoDbCurrentReferences>(), sp.GetRequiredService<TimeProvider>()));
        // Hot namespaces: the commit path counts its retries; the maintenance run raises S over the threshold, and an
        // operator may raise it by a command to the maintenance function (docs/deploy.md, "Operations").
        var hotNamespaces = new HotNamespaceOptions
        {
            RetriesThreshold = IntSetting(config, AwsEnvironment.HotNamespaceRetries) ?? new HotNamespaceOptions().RetriesThreshold,
            MaxRaisesPerRun = IntSetting(config, AwsEnvironment.HotNamespaceMaxRaises) ?? new HotNamespaceOptions().MaxRaisesPerRun,
        };
        services.AddSingleton(hotNamespaces);
        services.AddSingleton(sp => new DynamoDbContentionLog(sp.GetRequiredService<DynamoDbContext>()));
        services.AddSingleton(sp => new HotNamespaceRaiser(
            sp.GetRequiredService<DynamoDbFileMetadataStore>(), sp.GetRequiredService<DynamoDbContentionLog>(), hotNamespaces, sp.GetRequiredService<TimeProvider>()));
        var role = config["DropSync:Aws:Role"];
        services.AddSingleton(sp => new MaintenanceOperations(
            sp.GetRequiredService<DynamoDbFileMetadataStore>(), sp.GetRequiredService<DynamoDbContentionLog>(), sp.GetRequiredService<IAccountStore>(), hotNamespaces,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<MaintenanceOperations>>())
        {
            // Unset outside Lambda (a local host, the tests): one process plays every role there.
            Enabled = string.IsNullOrEmpty(role) || string.Equals(role, "maintenance", StringComparison.OrdinalIgnoreCase),
        });
        services.AddSingleton<MaintenanceRun>();
        services.AddSingleton<WebSocketMessages>();
        services.AddSingleton<LambdaEventHandler>();

        // Keys derived from the master key, as in embedded mode.
        var masterKey = ParseMasterKey(config.Setting(AwsEnvironment.MasterKey) ?? NonEmpty(config["DropSync:MasterKey"]) ?? MasterKeyFromSecret(config)
            ?? throw new InvalidOperationException($"AWS mode needs the master key: {AwsEnvironment.MasterKeySecretArn} (a Secrets Manager secret), or {AwsEnvironment.MasterKey} (base64 of 32 bytes)."));
        services.AddMasterKeyDerivedServices(masterKey, config);
    }

    private static int? IntSetting(IConfiguration config, string name) =>
        int.TryParse(config.Setting(name), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= 0 ? value : null;

    /// <summary>The master key from its Secrets Manager secret, when the stack gives one (read once, at start).</summary>
    private static string? MasterKeyFromSecret(IConfiguration config)
    {
        var secretArn = config.Setting(AwsEnvironment.MasterKeySecretArn, "MasterKeySecretArn");
        if (secretArn is null)
        {
            return null;
        }

        var port = int.TryParse(config[LambdaSecretsExtension.PortVariable], out var p) ? p : LambdaSecretsExtension.DefaultPort;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        return LambdaSecretsExtension.GetSecretStringAsync(secretArn, port, config["AWS_SESSION_TOKEN"] ?? "", http, CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>Base64 of 32 bytes, or 64 hex digits.</summary>
    internal static byte[] ParseMasterKey(string text)
    {
        var value = text.Trim();
        var bytes = value.Length == 64 && value.All(Uri.IsHexDigit) ? Convert.FromHexString(value) : Convert.FromBase64String(value);
        return bytes.Length == 32 ? bytes : throw new InvalidOperationException("The master key must be 32 bytes.");
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private sealed class NoChangePublisher : IChangePublisher
    {
        public ValueTask PublishAsync(IReadOnlyList<ChangeRecord> changes, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class NoPushGateway : IPushGateway, IDeviceConnectionCloser
    {
        public Task PushAsync(string userId, PushMessage message, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task CloseDeviceAsync(string userId, string deviceId, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
