using System.Diagnostics;
using System.Net;

namespace DropSync.Testing;

/// <summary>The real DropSync server as its own OS process, on a free loopback port, talking real HTTP.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    private ServerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>The server's process id (benchmarks read its CPU time).</summary>
    public int ProcessId => _process.Id;

    /// <summary>What the server has written to stdout and stderr so far (its log).</summary>
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

    /// <param name="settings">More command-line settings, e.g. "--DropSync:BlockListPageSize", "2".</param>
    public static Task<ServerProcess> StartAsync(string dataDirectory, string keysDirectory, params string[] settings) =>
        StartInAsync(Path.GetDirectoryName(ServerAssembly())!, dataDirectory, keysDirectory, settings);

    /// <summary>The server started with <paramref name="workingDirectory"/> as its working directory, as a service unit might.</summary>
    public static async Task<ServerProcess> StartInAsync(string workingDirectory, string dataDirectory, string keysDirectory, params string[] settings)
    {
        var port = LocalPorts.Free();
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        var assembly = ServerAssembly();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            ArgumentList =
            {
                assembly, "--urls", baseAddress.ToString(), "--data", dataDirectory,
                "--DropSync:KeysDirectory", keysDirectory, "--DropSync:PasswordIterations", "1000",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var setting in settings)
        {
            start.ArgumentList.Add(setting);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server");
        var server = new ServerProcess(process, baseAddress);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = baseAddress };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the server exited with code {process.ExitCode}");
            }

            try
            {
                if ((await http.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        await server.DisposeAsync();
        throw new TimeoutException("the server did not answer /healthz within 60 s");
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress };

    /// <summary>Ends the process the hard way, as a crash or power cut would: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    /// <summary>The built server next to this test build: functions/DropSync.Api/bin/&lt;configuration&gt;/net10.0/DropSync.Api.dll.</summary>
    private static string ServerAssembly()
    {
        // Benchmarks compare builds by running another one's server (e.g. main's) against this client.
        if (Environment.GetEnvironmentVariable("DROPSYNC_BENCH_SERVER") is { Length: > 0 } other)
        {
            return File.Exists(other) ? Path.GetFullPath(other) : throw new FileNotFoundException("DROPSYNC_BENCH_SERVER names no file", other);
        }

        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var dll = Path.Combine(RepositoryPaths.Root(), "functions", "DropSync.Api", "bin", configuration, "net10.0", "DropSync.Api.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the solution first", dll);
    }
}
