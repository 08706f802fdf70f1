using System.Net.Sockets;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using DropSync.Testing;

namespace DropSync.Aws.Benchmarks;

/// <summary>
/// DynamoDB Local as a child process: installed by scripts/aws-test-servers.sh (into .tools/aws-servers), started in memory
/// on a free loopback port, killed (with its children) on dispose.
/// </summary>
internal sealed class DynamoDbLocal : IDisposable
{
    private readonly ChildProcess _process;

    private DynamoDbLocal(ChildProcess process, string endpoint)
    {
        _process = process;
        Endpoint = endpoint;
    }

    public string Endpoint { get; }

    public static async Task<DynamoDbLocal> StartAsync(CancellationToken ct)
    {
        var (process, endpoint) = await AwsTestServers.StartDynamoDbLocalAsync();
        var server = new DynamoDbLocal(process, endpoint);
        try
        {
            await server.WaitReadyAsync(ct);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    public AmazonDynamoDBClient CreateClient() => new(
        new BasicAWSCredentials("local", "local"),
        new AmazonDynamoDBConfig { ServiceURL = Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 8 });

    public void Dispose() => _process.Dispose();

    private async Task WaitReadyAsync(CancellationToken ct)
    {
        using var client = CreateClient();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                await client.ListTablesAsync(new ListTablesRequest { Limit = 1 }, ct);
                return;
            }
            catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException or SocketException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                if (_process.HasExited || DateTime.UtcNow > deadline)
                {
                    throw new BenchmarkException($"DynamoDB Local at {Endpoint} did not start: {e.Message}{Environment.NewLine}{_process.Output}");
                }

                await Task.Delay(200, ct);
            }
        }
    }
}

/// <summary>A failure the benchmark reports as one line (exit code 1) rather than a stack trace.</summary>
internal sealed class BenchmarkException(string message) : Exception(message);
