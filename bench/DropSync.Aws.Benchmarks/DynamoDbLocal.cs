using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;

namespace DropSync.Aws.Benchmarks;

/// <summary>
/// DynamoDB Local as a child process: installed by scripts/aws-test-servers.sh (into .tools/aws-servers), started in memory
/// on a free loopback port, killed (with its children) on dispose.
/// </summary>
internal sealed class DynamoDbLocal : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private DynamoDbLocal(Process process, string endpoint)
    {
        _process = process;
        Endpoint = endpoint;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Endpoint { get; }

    public static async Task<DynamoDbLocal> StartAsync(CancellationToken ct)
    {
        var dir = await InstallAsync(ct);
        var port = FreePort();
        var info = new ProcessStartInfo("java")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir,
        };
        foreach (var argument in new[]
        {
            "-Djava.library.path=" + Path.Combine(dir, "DynamoDBLocal_lib"), "-jar", Path.Combine(dir, "DynamoDBLocal.jar"),
            "-inMemory", "-sharedDb", "-port", port.ToString(CultureInfo.InvariantCulture),
        })
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start java (DynamoDB Local needs Java 17+).");
        var server = new DynamoDbLocal(process, $"http://127.0.0.1:{port}");
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

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

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
                    throw new BenchmarkException($"DynamoDB Local at {Endpoint} did not start: {e.Message}{Environment.NewLine}{Output()}");
                }

                await Task.Delay(200, ct);
            }
        }
    }

    private static async Task<string> InstallAsync(CancellationToken ct)
    {
        var root = RepositoryRoot();
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        info.ArgumentList.Add(Path.Combine(root, "scripts", "aws-test-servers.sh"));
        using var process = Process.Start(info) ?? throw new BenchmarkException("Could not run scripts/aws-test-servers.sh.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new BenchmarkException($"scripts/aws-test-servers.sh failed ({process.ExitCode}): {await stderr}");
        }

        foreach (var line in (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("DROPSYNC_DYNAMODB_LOCAL_DIR=", StringComparison.Ordinal))
            {
                return line["DROPSYNC_DYNAMODB_LOCAL_DIR=".Length..];
            }
        }

        throw new BenchmarkException("scripts/aws-test-servers.sh did not print DROPSYNC_DYNAMODB_LOCAL_DIR.");
    }

    private static string RepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "DropSync.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new BenchmarkException("DropSync.sln not found above the current directory or the benchmark binaries.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 64_000)
            {
                _output.AppendLine(line);
            }
        }
    }
}

/// <summary>A failure the benchmark reports as one line (exit code 1) rather than a stack trace.</summary>
internal sealed class BenchmarkException(string message) : Exception(message);
