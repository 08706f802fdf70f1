using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

/// <summary>Runs a peer's command line (rsync, rclone) with a time limit and its output kept for parsing.</summary>
internal static class PeerTool
{
    /// <summary>Runs <paramref name="file"/> to completion; throws with its output when it fails.</summary>
    public static async Task<(TimeSpan Elapsed, string Output)> RunAsync(string file, IEnumerable<string> args, TimeSpan limit)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        var sw = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList)} took over {limit.TotalSeconds:0} s");
        }

        var elapsed = sw.Elapsed;
        var output = await stdout + await stderr;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', start.ArgumentList)} exited {process.ExitCode}: {output}");
        }

        return (elapsed, output);
    }

    /// <summary>Starts a server process that runs until disposed (killed with its children).</summary>
    public static Process StartServer(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");

        // Drained so a chatty server never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }

        process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until something accepts connections on the loopback port.</summary>
    public static async Task WaitForPortAsync(int port, Process process, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{what} exited with {process.ExitCode} before it listened on {port}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException($"{what} did not listen on {port} within 30 s");
    }

    /// <summary>Installs the peers from Debian's packages when missing, through the script the test run uses.</summary>
    public static async Task EnsureInstalledAsync()
    {
        if (OnPath("rsync") && OnPath("rclone"))
        {
            return;
        }

        var script = Path.Combine(RepoRoot(), "scripts", "install-bench-peers.sh");
        Console.WriteLine("installing rsync and rclone from Debian's packages...");
        await RunAsync(script, [], TimeSpan.FromMinutes(16));
    }

    private static bool OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, name)));

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "scripts", "install-bench-peers.sh")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("the repository's scripts/ folder was not found above the benchmark");
    }
}
