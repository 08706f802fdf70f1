using DropSync.Api.Auth;
using DropSync.Api.Blocks;
using DropSync.Api.Live;
using DropSync.Core.Accounts;
using DropSync.Core.Blocks;
using DropSync.Core.Feed;
using DropSync.Core.Files;
using DropSync.Core.Ports;
using DropSync.Core.Sharing;
using DropSync.Dav;
using DropSync.Embedded;
using DropSync.Embedded.Blocks;
using DropSync.Embedded.Keys;
using DropSync.Embedded.Metadata;

namespace DropSync.Api.Hosting;

/// <summary>Wires the core's services to the embedded adapters. Configuration keys are listed in the README.</summary>
internal static class DropSyncServices
{
    public static WebApplicationBuilder AddDropSync(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var services = builder.Services;
        builder.Logging.KeepUrlSecretsOut();

        // "--data <folder>" on the command line, or DropSync:DataDirectory.
        var dataDirectory = Path.GetFullPath(config["data"] ?? config["DropSync:DataDirectory"] ?? "./dropsync-data");

        var options = new DropSyncOptions();
        config.GetSection("DropSync").Bind(options);
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);

        // Behind API Gateway (AWS mode) the client address is in X-Forwarded-For unless configured otherwise.
        var limits = new DropSync.Core.Guarding.RateLimitOptions { TrustForwardedFor = config.IsAwsMode() };
        config.GetSection("DropSync:RateLimits").Bind(limits);
        services.AddDropSyncRateLimits(limits);

        // Request bodies received 64 KiB per syscall rather than 4 KiB (see LargeSegmentMemoryPool).
        services.AddSingleton<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>, LargeSegmentMemoryPoolFactory>();
        services.WithBoundedReadAhead();
        if (NativeHeapTrim.PinThresholds())
        {
            services.AddHostedService<NativeHeapTrim>();
        }

        services.ConfigureHttpJsonOptions(json => JsonSetup.Configure(json.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddHttpContextAccessor();
        services.AddOpenApi(options =>
        {
            OpenApiSetup.Configure(options);
            OpenApiContract.Configure(options);
        });
        services.AddAuthentication(BearerAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, BearerAuthenticationHandler>(BearerAuthenticationHandler.SchemeName, null);
        services.WithoutDataProtectionWarmUp();
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());

        services.AddSingleton<DropSync.Web.IWebAppConnectSources, WebAppConnectSources>();

        // DropSync:Mode=aws: DynamoDB, S3, SQS and API Gateway instead (AwsModeServices).
        if (config.IsAwsMode())
        {
            AwsModeServices.ApplyRetentionSettings(config, options);
            services.AddSingleton(ServerLimits.Aws);
            services.AddDropSyncAws(config);
            services.AddDropSyncDav(new DavSettings(DavInAwsMode, () => null));
            services.AddDropSyncCore(options);
            return builder;
        }

        services.AddSingleton(ServerLimits.Embedded);
        Directory.CreateDirectory(dataDirectory);

        // Embedded adapters: one SQLite file for metadata, encrypted block files beside it, the master key kept apart.
        var keyProvider = new MasterKeyProvider(
            dataDirectory,
            new MasterKeyOptions { MasterKey = config["DropSync:MasterKey"], KeysFolder = config["DropSync:KeysDirectory"] });
        var masterKey = keyProvider.GetOrCreate();
        services.AddSingleton(masterKey);
        services.AddSingleton(new EmbeddedStorage(
            dataDirectory,
            string.IsNullOrWhiteSpace(config["DropSync:MasterKey"]) ? keyProvider.KeysFolder : "configuration (DropSync:MasterKey)",
            masterKey.KeyId));
        services.AddSingleton(sp => new SqliteMetadataStore(
            Path.Combine(dataDirectory, "metadata.db"), MetadataDiagnostics(sp), config.GetValue("DropSync:MetadataCheckpoints", WalCheckpointMode.Background),
            // Diagnostics (with the DropSync.Embedded.Metadata log at Debug): 0 logs every group commit's moments.
            config.GetValue<double?>("DropSync:Diagnostics:SlowMetadataCommitMs") is { } slowMs ? TimeSpan.FromMilliseconds(slowMs) : null));
        services.AddSingleton<IFileMetadataStore>(sp => sp.GetRequiredService<SqliteMetadataStore>());
        services.AddSingleton<IAccountStore>(sp => sp.GetRequiredService<SqliteMetadataStore>());
        services.AddSingleton<IBlockIndex>(sp => sp.GetRequiredService<SqliteMetadataStore>());
        services.AddSingleton<IUploadSessionStore>(sp => sp.GetRequiredService<SqliteMetadataStore>());
        services.AddSingleton<ISharingStore>(sp => sp.GetRequiredService<SqliteMetadataStore>());
        services.AddSingleton<IInvitationStore>(sp => sp.GetRequiredService<SqliteMetadataStore>());
        services.AddSingleton<INotificationStore>(sp => sp.GetRequiredService<SqliteMetadataStore>());
        services.AddSingleton<IAppPasswordStore>(sp => sp.GetRequiredService<SqliteMetadataStore>());
        services.AddSingleton<IDeadPropertyStore>(sp => sp.GetRequiredService<SqliteMetadataStore>());
        services.AddDropSyncDav(new DavSettings(null, () => FreeBytes(dataDirectory)));
        services.AddSingleton<IRetentionStore>(sp => sp.GetRequiredService<SqliteMetadataStore>());
        // Small blocks live in the metadata database (one group commit with their index record), the rest as files.
        services.AddSingleton<IBlockStore>(sp => new TieredBlockStore(
            new EncryptedDiskBlockStore(Path.Combine(dataDirectory, "blocks"), masterKey), sp.GetRequiredService<SqliteMetadataStore>(), sp.GetRequiredService<TimeProvider>()));
        // Changes travel commit → bus → ordered dispatcher → fan-out → WebSocket hub, all in this process.
        services.AddSingleton<InProcessChangeBus>();
        services.AddSingleton<IChangePublisher>(sp => sp.GetRequiredService<InProcessChangeBus>());
        services.AddSingleton<WebSocketHub>();
        services.AddSingleton<IPushGateway>(sp => sp.GetRequiredService<WebSocketHub>());
        services.AddSingleton<IDeviceConnectionCloser>(sp => sp.GetRequiredService<WebSocketHub>());
        services.AddHostedService<ChangeDispatchService>();

        // Block URLs and link tokens are keyed by the master key, so there is no second secret to keep.
        services.AddMasterKeyDerivedServices(masterKey.Bytes, config);
        services.AddSingleton<IBlockTransferUrls>(sp => sp.GetRequiredService<SignedBlockUrls>());

        services.AddDropSyncCore(options);
        services.AddHostedService<BlockCollectionService>();
        return builder;
    }

    /// <summary>
    /// Why /dav/ answers 501 in AWS mode: a Lambda request body is at most 6 MB, so a WebDAV PUT (the whole file in one
    /// body, which clients cannot split) cannot be streamed into blocks there. See docs/webdav.md.
    /// </summary>
    internal const string DavInAwsMode =
        "WebDAV is not available on the serverless (AWS) deployment: a Lambda request body is at most 6 MB, so a file cannot be PUT through it. Use the DropSync API, CLI or web app there, or run the embedded server for WebDAV.";

    /// <summary>
    /// The metadata store's checkpoints and slow commits, logged at Debug under "DropSync.Embedded.Metadata" (the
    /// latency benchmark turns it on to see where a slow try's server time went); nothing is built when that is off.
    /// </summary>
    private static Action<string>? MetadataDiagnostics(IServiceProvider services)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("DropSync.Embedded.Metadata");
        return logger.IsEnabled(LogLevel.Debug) ? message => logger.LogDebug("{Diagnostics}", message) : null;
    }

    private static long? FreeBytes(string folder)
    {
        try
        {
            return new DriveInfo(folder).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The core's services; the same in every mode.</summary>
    public static IServiceCollection AddDropSyncCore(this IServiceCollection services, DropSyncOptions options)
    {
        services.AddSingleton(new PasswordHasher(options.PasswordIterations));
        services.AddSingleton(new PasswordHashingGate(options.PasswordHashingConcurrency, options.PasswordHashingQueueLength));
        services.AddSingleton<AccountService>();
        services.AddSingleton<AppPasswordService>();
        services.AddSingleton<BlockLocks>();
        services.AddSingleton<BlockService>();
        services.AddSingleton<BlockCollector>();
        services.AddSingleton<DropSync.Core.Retention.HistoryCollector>();
        services.AddSingleton<FileCommitter>();
        services.AddSingleton<UploadService>();
        services.AddSingleton<UploadPieceHashing>();
        services.AddSingleton<BatchUploadService>();
        services.AddSingleton<FileService>();
        services.AddSingleton<FolderPager>();
        services.AddSingleton<StorageQuota>();
        services.AddSingleton<PathResolver>();
        services.AddSingleton<SharingService>();
        services.AddSingleton<InvitationNotices>();
        services.AddSingleton<InvitationService>();
        services.AddSingleton<LinkService>();
        services.AddSingleton<ChangeFeed>();
        services.AddSingleton<JournalRetention>();
        services.AddSingleton<ChangeFanout>();
        services.AddSingleton<OrderedDispatcher>();
        services.AddSingleton<NotificationService>();
        return services;
    }
}

/// <summary>Where the embedded server keeps its data and its master key, for the startup log (never the key itself).</summary>
internal sealed record EmbeddedStorage(string DataDirectory, string MasterKeySource, string MasterKeyId);
