using Amazon.DynamoDBv2;
using Amazon.Runtime;
using DropSync.Aws.DynamoDb;
using DropSync.Testing;
using Testcontainers.LocalStack;

namespace DropSync.Aws.Tests.Infrastructure;

/// <summary>One DynamoDB for the whole test run (see <see cref="TestServers"/> for where it comes from); each test gets its own tables.</summary>
public sealed class DynamoDbServer : IAsyncLifetime
{
    private readonly List<DynamoDbTableNames> _created = [];
    private ChildProcess? _process;
    private LocalStackContainer? _container;
    private AmazonDynamoDBClient? _client;

    public IAmazonDynamoDB Client => _client ?? throw new InvalidOperationException("Not started.");

    /// <summary>What is being tested against, for test output.</summary>
    public string Description { get; private set; } = "";

    /// <summary>The service URL (null for a real account).</summary>
    public string? Endpoint { get; private set; }

    public async Task InitializeAsync()
    {
        var endpoint = Environment.GetEnvironmentVariable("DROPSYNC_TEST_DYNAMODB_ENDPOINT");
        if (!string.IsNullOrEmpty(endpoint))
        {
            Description = "DynamoDB at " + endpoint;
        }
        else if (TestServers.UseRealAccount)
        {
            _client = new AmazonDynamoDBClient();
            Description = "DynamoDB in the configured AWS account";
            return;
        }
        else if (await TestServers.UseLocalStackAsync())
        {
            _container = new LocalStackBuilder("localstack/localstack:4.4").Build();
            await _container.StartAsync();
            endpoint = _container.GetConnectionString();
            Description = "LocalStack DynamoDB at " + endpoint;
        }
        else
        {
            (_process, endpoint) = await AwsTestServers.StartDynamoDbLocalAsync();
            Description = "DynamoDB Local at " + endpoint;
        }

        Endpoint = endpoint;
        _client = new AmazonDynamoDBClient(
            new BasicAWSCredentials("test", "test"),
            new AmazonDynamoDBConfig { ServiceURL = endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 8 });
        await WaitReadyAsync();
    }

    /// <summary>A fresh set of DropSync tables, isolated from every other test's.</summary>
    public async Task<DynamoDbContext> CreateTablesAsync()
    {
        var names = new DynamoDbTableNames("t" + Guid.NewGuid().ToString("N")[..10] + "-");
        await DynamoDbSchema.CreateAsync(Client, names, CancellationToken.None);
        lock (_created)
        {
            _created.Add(names);
        }

        return new DynamoDbContext(Client, names);
    }

    public async Task DisposeAsync()
    {
        if (_process is null && _container is null && _client is not null)
        {
            // A server that outlives this run (an endpoint or a real account): remove what the tests made.
            foreach (var names in _created)
            {
                await DynamoDbSchema.DeleteAsync(_client, names, CancellationToken.None);
            }
        }

        _client?.Dispose();
        _process?.Dispose();
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }

    private async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                await Client.ListTablesAsync(new Amazon.DynamoDBv2.Model.ListTablesRequest { Limit = 1 });
                return;
            }
            catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException or System.Net.Sockets.SocketException or TaskCanceledException)
            {
                if (_process?.HasExited == true || DateTime.UtcNow > deadline)
                {
                    throw new InvalidOperationException($"{Description} did not start: {e.Message}\n{_process?.Output}", e);
                }

                await Task.Delay(200);
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DynamoDbCollection : ICollectionFixture<DynamoDbServer>
{
    public const string Name = "DynamoDB";
}
