using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

/// <summary>
/// An rsync daemon on loopback (<c>rsync --daemon --no-detach</c>) with one writable module, and the rsync client that
/// talks to it over rsync:// URLs: the peer the issue measures dropsync against.
/// </summary>
internal sealed partial class RsyncDaemon : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);
    private readonly Process _process;
    private readonly int _port;

    private RsyncDaemon(Process process, int port, string root)
    {
        _process = process;
        _port = port;
        Root = root;
    }

    /// <summary>The module's folder on disk.</summary>
    public string Root { get; }

    public static async Task<RsyncDaemon> StartAsync(string work)
    {
        var root = Directory.CreateDirectory(Path.Combine(work, "rsync-module")).FullName;
        var port = PeerTool.FreePort();
        var config = Path.Combine(work, "rsyncd.conf");

        // As root the daemon would switch to nobody, who cannot write the module: it keeps the benchmark's own ids.
        var uid = (await PeerTool.RunAsync("id", ["-u"], TimeSpan.FromSeconds(10))).Output.Trim();
        var gid = (await PeerTool.RunAsync("id", ["-g"], TimeSpan.FromSeconds(10))).Output.Trim();
        await File.WriteAllTextAsync(config, $"""
            use chroot = no
            address = 127.0.0.1
            log file = {Path.Combine(work, "rsyncd.log")}
            pid file = {Path.Combine(work, "rsyncd.pid")}
            [bench]
                path = {root}
                read only = no
                uid = {uid}
                gid = {gid}

            """);
        var process = PeerTool.StartServer("rsync", ["--daemon", "--no-detach", $"--config={config}", $"--port={port}"]);
        await PeerTool.WaitForPortAsync(port, process, "rsync --daemon");
        return new RsyncDaemon(process, port, root);
    }

    /// <summary>Copies a local folder's content into <paramref name="target"/> under the module; returns the time and the bytes the client sent.</summary>
    public async Task<(TimeSpan Elapsed, long BytesSent)> UploadAsync(string localFolder, string target)
    {
        var (elapsed, output) = await PeerTool.RunAsync("rsync", ["-a", "--stats", localFolder.TrimEnd('/') + "/", Url(target) + "/"], Limit);
        return (elapsed, BytesSent(output));
    }

    /// <summary>Copies <paramref name="source"/> under the module into a local folder.</summary>
    public async Task<TimeSpan> DownloadAsync(string source, string localFolder)
    {
        Directory.CreateDirectory(localFolder);
        return (await PeerTool.RunAsync("rsync", ["-a", "--stats", Url(source) + "/", localFolder.TrimEnd('/') + "/"], Limit)).Elapsed;
    }

    public void Dispose() => PeerTool.Stop(_process);

    private string Url(string path) => $"rsync://127.0.0.1:{_port}/bench/{path.Trim('/')}";

    private static long BytesSent(string stats)
    {
        var match = TotalBytesSent().Match(stats);
        return match.Success ? long.Parse(match.Groups[1].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture) : -1;
    }

    [GeneratedRegex(@"Total bytes sent: ([\d,]+)")]
    private static partial Regex TotalBytesSent();
}
