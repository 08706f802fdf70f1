using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using DropSync.Testing;
using Testcontainers.LocalStack;

namespace DropSync.Aws.Tests.Infrastructure;

/// <summary>One S3 for the whole test run (see <see cref="TestServers"/> for where it comes from); each test gets its own bucket.</summary>
public sealed class S3Server : IAsyncLifetime
{
    private readonly List<string> _buckets = [];
    private ChildProcess? _process;
    private LocalStackContainer? _container;
    private AmazonS3Client? _client;

    public IAmazonS3 Client => _client ?? throw new InvalidOperationException("Not started.");

    public string Description { get; private set; } = "";

    /// <summary>The service URL (null for a real account).</summary>
    public string? Endpoint { get; private set; }

    /// <summary>Whether the server verifies x-amz-checksum-sha256 (real S3 and LocalStack do; fauxqs does not).</summary>
    public bool VerifiesChecksums { get; private set; }

    public async Task InitializeAsync()
    {
        var endpoint = Environment.GetEnvironmentVariable("DROPSYNC_TEST_S3_ENDPOINT");
        if (!string.IsNullOrEmpty(endpoint))
        {
            Description = "S3 at " + endpoint;
            VerifiesChecksums = string.Equals(Environment.GetEnvironmentVariable("DROPSYNC_TEST_S3_VERIFIES_CHECKSUMS"), "true", StringComparison.OrdinalIgnoreCase);
        }
        else if (TestServers.UseRealAccount)
        {
            _client = new AmazonS3Client();
            Description = "S3 in the configured AWS account";
            VerifiesChecksums = true;
            return;
        }
        else if (await TestServers.UseLocalStackAsync())
        {
            _container = new LocalStackBuilder("localstack/localstack:4.4").Build();
            await _container.StartAsync();
            endpoint = _container.GetConnectionString();
            Description = "LocalStack S3 at " + endpoint;
            VerifiesChecksums = true;
        }
        else
        {
            var (_, fauxqs) = await AwsTestServers.InstallAsync();
            var port = LocalPorts.Free();
            _process = ChildProcess.Start(
                "node",
                [fauxqs],
                new Dictionary<string, string> { ["FAUXQS_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture), ["FAUXQS_LOGGER"] = "false" });
            endpoint = $"http://127.0.0.1:{port}";
            Description = "fauxqs S3 at " + endpoint;
            await WaitHealthyAsync(endpoint);
        }

        Endpoint = endpoint;
        _client = new AmazonS3Client(
            new BasicAWSCredentials("test", "test"),
            new AmazonS3Config { ServiceURL = endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 8 });
    }

    /// <summary>A new, empty bucket for one test.</summary>
    public async Task<string> CreateBucketAsync()
    {
        var bucket = "dropsync-test-" + Guid.NewGuid().ToString("N")[..16];
        await Client.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        lock (_buckets)
        {
            _buckets.Add(bucket);
        }

        return bucket;
    }

    public async Task DisposeAsync()
    {
        if (_process is null && _container is null && _client is not null)
        {
            foreach (var bucket in _buckets)
            {
                await EmptyAndDeleteAsync(bucket);
            }
        }

        _client?.Dispose();
        _process?.Dispose();
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }

    private async Task EmptyAndDeleteAsync(string bucket)
    {
        var request = new ListObjectsV2Request { BucketName = bucket };
        ListObjectsV2Response page;
        do
        {
            page = await Client.ListObjectsV2Async(request);
            foreach (var item in page.S3Objects ?? [])
            {
                await Client.DeleteObjectAsync(bucket, item.Key);
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);

        await Client.DeleteBucketAsync(bucket);
    }

    private async Task WaitHealthyAsync(string endpoint)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                if ((await http.GetAsync(new Uri(endpoint + "/health"))).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                if (_process?.HasExited == true || DateTime.UtcNow > deadline)
                {
                    throw new InvalidOperationException($"{Description} did not start: {e.Message}\n{_process?.Output}", e);
                }
            }

            await Task.Delay(100);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class S3Collection : ICollectionFixture<S3Server>
{
    public const string Name = "S3";
}
