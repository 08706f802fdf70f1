using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace DropSync.Benchmarks;

/// <summary>
/// The real DropSync server as its own process (as tests/DropSync.Api.Tests/Infrastructure/ServerProcess.cs starts it):
/// the existing build of functions/DropSync.Api, on a free loopback port, with a fresh temp data folder that is deleted
/// when the server is disposed.
/// </summary>
internal sealed class BenchServer : IAsyncDisposable
{
    /// <summary>The environment variable naming a server build to run instead of this repository's.</summary>
    public const string ServerOverrideVariable = "DROPSYNC_BENCH_SERVER";

    /// <summary>The environment variable naming a file to which every line of the server's output is appended.</summary>
    public const string ServerLogVariable = "DROPSYNC_BENCH_SERVER_LOG";

    private const int KeptLogLines = 40;

    private readonly Process _process;
    private readonly Queue<string> _log = new();

    private BenchServer(Process process, Uri baseAddress, string assembly, string dataRoot)
    {
        _process = process;
        BaseAddress = baseAddress;
        Assembly = assembly;
        DataRoot = dataRoot;
    }

    public Uri BaseAddress { get; }

    public string Assembly { get; }

    /// <summary>The temp folder holding the server's data and keys folders.</summary>
    public string DataRoot { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts the server; <paramref name="settings"/> (pairs of <c>--Key value</c>) come last, so they win.</summary>
    public static async Task<BenchServer> StartAsync(string assembly, CancellationToken ct, params string[] settings)
    {
        var dataRoot = Directory.CreateTempSubdirectory("dropsync-bench-").FullName;
        var dataDirectory = Path.Combine(dataRoot, "data");
        var keysDirectory = Path.Combine(dataRoot, "keys");
        Directory.CreateDirectory(dataDirectory);
        Directory.CreateDirectory(keysDirectory);

        var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
            ArgumentList =
            {
                assembly, "--urls", baseAddress.ToString(), "--data", dataDirectory,
                "--DropSync:KeysDirectory", keysDirectory,
                // As the API tests do: the default PBKDF2 cost only slows registering, which is not measured.
                "--DropSync:PasswordIterations", "1000",
                // Every step's devices sign in from loopback, and one device commits thousands of times: the limits
                // on guessing and flooding are not what these steps measure.
                "--DropSync:RateLimits:LoginsPerAddressPerMinute", "1000000",
                "--DropSync:RateLimits:RegistrationsPerAddressPerHour", "1000000",
                "--DropSync:RateLimits:ApiBurstPerDevice", "1000000",
                "--DropSync:RateLimits:ApiRequestsPerSecondPerDevice", "1000000",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        ClientSocketCompletions.KeepGivenValue(start);
        foreach (var setting in settings)
        {
            start.ArgumentList.Add(setting);
        }

        Process? process = null;
        try
        {
            process = Process.Start(start) ?? throw new BenchmarkException("could not start the server process (dotnet not on PATH?)");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception)
        {
            TryDeleteFolder(dataRoot);
            throw new BenchmarkException($"could not start `dotnet {assembly}`: {e.Message}", e);
        }

        var server = new BenchServer(process, baseAddress, assembly, dataRoot);
        process.OutputDataReceived += (_, e) => server.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitHealthyAsync(ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The server's last log lines, for error messages.</summary>
    public string RecentLog()
    {
        lock (_log)
        {
            return _log.Count == 0 ? "(no output)" : string.Join(Environment.NewLine, _log.Select(l => "    | " + l));
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        TryDeleteFolder(DataRoot);
    }

    /// <summary>
    /// functions/DropSync.Api/bin/&lt;Release|Debug&gt;/net10.0/DropSync.Api.dll under the repository root (the folder with
    /// DropSync.sln above this program, or above the current directory). Release is preferred; nothing is built here.
    /// </summary>
    public static (string Assembly, string Configuration) Locate()
    {
        // Another build (e.g. a copy of main's, for before/after runs taken alternately): DROPSYNC_BENCH_SERVER=<path to DropSync.Api.dll>.
        if (Environment.GetEnvironmentVariable(ServerOverrideVariable) is { Length: > 0 } given)
        {
            var dll = Path.GetFullPath(given);
            return File.Exists(dll)
                ? (dll, dll.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release")
                : throw new BenchmarkException($"{ServerOverrideVariable} names {dll}, which does not exist");
        }

        var root = FindRoot(AppContext.BaseDirectory) ?? FindRoot(Environment.CurrentDirectory)
            ?? throw new BenchmarkException("cannot find the repository root (a folder with DropSync.sln) above " + AppContext.BaseDirectory);
        foreach (var configuration in new[] { "Release", "Debug" })
        {
            var dll = Path.Combine(root, "functions", "DropSync.Api", "bin", configuration, "net10.0", "DropSync.Api.dll");
            if (File.Exists(dll))
            {
                return (dll, configuration);
            }
        }

        throw new BenchmarkException(
            $"no server build under {Path.Combine(root, "functions", "DropSync.Api", "bin")}; run `dotnet build DropSync.sln -c Release` first " +
            "(this benchmark builds nothing itself)");
    }

    public static string? FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DropSync.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    private async Task WaitHealthyAsync(CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new BenchmarkException($"the server exited with code {_process.ExitCode} while starting:{Environment.NewLine}{RecentLog()}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri("/healthz", UriKind.Relative), ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                // A health check timed out; try again.
            }

            await Task.Delay(100, ct);
        }

        throw new BenchmarkException($"the server did not answer GET /healthz within 60 s:{Environment.NewLine}{RecentLog()}");
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            // DROPSYNC_BENCH_SERVER_LOG=<file>: every line the server prints, kept (its Debug timing logs, for instance).
            if (Environment.GetEnvironmentVariable(ServerLogVariable) is { Length: > 0 } file)
            {
                File.AppendAllText(file, line + Environment.NewLine);
            }

            _log.Enqueue(line);
            while (_log.Count > KeptLogLines)
            {
                _log.Dequeue();
            }
        }
    }

    private static void TryDeleteFolder(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"warning: could not delete the benchmark's data folder {folder}: {e.Message}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
