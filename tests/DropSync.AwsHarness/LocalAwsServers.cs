using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.SQS;
using DropSync.Testing;

namespace DropSync.AwsHarness;

/// <summary>DynamoDB Local and fauxqs (S3 + SQS) on free loopback ports, with clients for the harness itself (its
/// calls go straight to the servers, not through a function's recording proxy).</summary>
public sealed class LocalAwsServers : IDisposable
{
    private ChildProcess? _dynamoDb;
    private ChildProcess? _fauxqs;

    public string DynamoDbEndpoint { get; private set; } = "";

    /// <summary>fauxqs serves S3 (path-style) and SQS on one port.</summary>
    public string FauxqsEndpoint { get; private set; } = "";

    /// <summary>Where fauxqs' queue URLs start: it names queues http://sqs.{region}.localhost:{port}/{account}/{name}
    /// (requests still go to <see cref="FauxqsEndpoint"/>; a queue URL is an identifier there).</summary>
    public string QueueUrlBase { get; private set; } = "";

    public IAmazonDynamoDB DynamoDb { get; private set; } = null!;

    public IAmazonS3 S3 { get; private set; } = null!;

    public IAmazonSQS Sqs { get; private set; } = null!;

    public static async Task<LocalAwsServers> StartAsync(string region)
    {
        var servers = new LocalAwsServers();
        try
        {
            (servers._dynamoDb, servers.DynamoDbEndpoint) = await AwsTestServers.StartDynamoDbLocalAsync().ConfigureAwait(false);
            var (_, fauxqs) = await AwsTestServers.InstallAsync().ConfigureAwait(false);
            var port = LocalPorts.Free();
            servers._fauxqs = ChildProcess.Start(
                "node", [fauxqs],
                new Dictionary<string, string> { ["FAUXQS_PORT"] = port.ToString(CultureInfo.InvariantCulture), ["FAUXQS_LOGGER"] = "false" });
            servers.FauxqsEndpoint = $"http://127.0.0.1:{port}";
            servers.QueueUrlBase = $"http://sqs.{region}.localhost:{port}";

            var credentials = new BasicAWSCredentials("harness", "harness");
            servers.DynamoDb = new AmazonDynamoDBClient(credentials, new AmazonDynamoDBConfig { ServiceURL = servers.DynamoDbEndpoint, AuthenticationRegion = region, MaxErrorRetry = 8 });
            servers.S3 = new AmazonS3Client(credentials, new AmazonS3Config { ServiceURL = servers.FauxqsEndpoint, ForcePathStyle = true, AuthenticationRegion = region, MaxErrorRetry = 8 });
            servers.Sqs = new AmazonSQSClient(credentials, new AmazonSQSConfig { ServiceURL = servers.FauxqsEndpoint, AuthenticationRegion = region, MaxErrorRetry = 8 });
            await servers.WaitReadyAsync().ConfigureAwait(false);
            return servers;
        }
        catch
        {
            servers.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        DynamoDb?.Dispose();
        S3?.Dispose();
        Sqs?.Dispose();
        _dynamoDb?.Dispose();
        _fauxqs?.Dispose();
    }

    private async Task WaitReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                await DynamoDb.ListTablesAsync(new Amazon.DynamoDBv2.Model.ListTablesRequest { Limit = 1 }).ConfigureAwait(false);
                if ((await http.GetAsync(new Uri(FauxqsEndpoint + "/health")).ConfigureAwait(false)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException or TaskCanceledException)
            {
                if (_dynamoDb?.HasExited == true || _fauxqs?.HasExited == true || DateTime.UtcNow > deadline)
                {
                    throw new InvalidOperationException($"The local AWS servers did not start: {e.Message}\n{_dynamoDb?.Output}\n{_fauxqs?.Output}", e);
                }
            }

            await Task.Delay(200).ConfigureAwait(false);
        }
    }
}
