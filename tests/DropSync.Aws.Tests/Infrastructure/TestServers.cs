using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DropSync.Aws.Tests.Infrastructure;

/// <summary>
/// Where the AWS-compatible test servers come from. In order: endpoints given in the environment
/// (<c>DROPSYNC_TEST_DYNAMODB_ENDPOINT</c>, <c>DROPSYNC_TEST_S3_ENDPOINT</c>), a real account (<c>DROPSYNC_TEST_AWS=real</c>,
/// default credentials and region), LocalStack in Docker when a Docker engine answers, otherwise DynamoDB Local and fauxqs
/// started here as child processes on free 127.0.0.1 ports (installed by scripts/aws-test-servers.sh).
/// <c>DROPSYNC_TEST_AWS_SERVERS=local|localstack</c> forces a choice.
/// </summary>
internal static class TestServers
{
    private static readonly Lazy<Task<(string DynamoDbLocalDir, string FauxqsBin)>> Installed = new(RunInstallScriptAsync);

    public static bool UseRealAccount => string.Equals(Environment.GetEnvironmentVariable("DROPSYNC_TEST_AWS"), "real", StringComparison.OrdinalIgnoreCase);

    public static async Task<bool> UseLocalStackAsync()
    {
        var forced = Environment.GetEnvironmentVariable("DROPSYNC_TEST_AWS_SERVERS");
        if (string.Equals(forced, "local", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return string.Equals(forced, "localstack", StringComparison.OrdinalIgnoreCase) || await DockerAnswersAsync().ConfigureAwait(false);
    }

    public static Task<(string DynamoDbLocalDir, string FauxqsBin)> InstallAsync() => Installed.Value;

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts a server process whose output is drained (and kept for error messages).</summary>
    public static ServerProcess Start(string fileName, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        return new ServerProcess(Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}."));
    }

    private static async Task<(string DynamoDbLocalDir, string FauxqsBin)> RunInstallScriptAsync()
    {
        var dir = Environment.GetEnvironmentVariable("DROPSYNC_DYNAMODB_LOCAL_DIR");
        var bin = Environment.GetEnvironmentVariable("DROPSYNC_FAUXQS_BIN");
        if (!string.IsNullOrEmpty(dir) && !string.IsNullOrEmpty(bin) && File.Exists(Path.Combine(dir, "DynamoDBLocal.jar")) && File.Exists(bin))
        {
            return (dir, bin);
        }

        var root = RepositoryRoot();
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        info.ArgumentList.Add(Path.Combine(root, "scripts", "aws-test-servers.sh"));
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not run scripts/aws-test-servers.sh.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/aws-test-servers.sh failed ({process.ExitCode}): {await stderr.ConfigureAwait(false)}");
        }

        var values = (await stdout.ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('=', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => parts[1], StringComparer.Ordinal);
        return (values["DROPSYNC_DYNAMODB_LOCAL_DIR"], values["DROPSYNC_FAUXQS_BIN"]);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DropSync.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("DropSync.sln not found above the test binaries.");
    }

    /// <summary>Whether a Docker engine answers its ping (DOCKER_HOST unix:// or tcp://, else /var/run/docker.sock).</summary>
    private static async Task<bool> DockerAnswersAsync()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            if (host is not null && host.StartsWith("tcp://", StringComparison.OrdinalIgnoreCase))
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
                var response = await http.GetStringAsync(new Uri(new Uri("http://" + host["tcp://".Length..]), "/_ping"), timeout.Token).ConfigureAwait(false);
                return response.Trim() == "OK";
            }

            var socketPath = host is not null && host.StartsWith("unix://", StringComparison.OrdinalIgnoreCase) ? host["unix://".Length..] : "/var/run/docker.sock";
            if (!File.Exists(socketPath))
            {
                return false;
            }

            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), timeout.Token).ConfigureAwait(false);
            await socket.SendAsync(Encoding.ASCII.GetBytes("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"), timeout.Token).ConfigureAwait(false);
            var buffer = new byte[4096];
            var answer = new StringBuilder();
            int read;
            while ((read = await socket.ReceiveAsync(buffer, timeout.Token).ConfigureAwait(false)) > 0)
            {
                answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            return answer.ToString().StartsWith("HTTP/1.", StringComparison.Ordinal) && answer.ToString().Contains(" 200 ", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or HttpRequestException or OperationCanceledException or UriFormatException)
        {
            return false;
        }
    }
}

/// <summary>A child server process: stopped (with its children) on dispose; its output is kept for error messages.</summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public ServerProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

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
