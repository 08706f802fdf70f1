using System.Diagnostics;

/// <summary>
/// <c>rclone serve webdav</c> on loopback and an rclone client copying to and from it through an on-the-fly
/// <c>:webdav:</c> remote (no config file): the second peer the issue measures dropsync against.
/// </summary>
internal sealed class RcloneWebDav : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);
    private readonly Process _process;
    private readonly int _port;

    private RcloneWebDav(Process process, int port, string root)
    {
        _process = process;
        _port = port;
        Root = root;
    }

    /// <summary>The served folder on disk.</summary>
    public string Root { get; }

    public static async Task<RcloneWebDav> StartAsync(string work)
    {
        var root = Directory.CreateDirectory(Path.Combine(work, "rclone-served")).FullName;
        var port = PeerTool.FreePort();
        var process = PeerTool.StartServer("rclone", ["serve", "webdav", root, "--addr", $"127.0.0.1:{port}", "--config", ""]);
        await PeerTool.WaitForPortAsync(port, process, "rclone serve webdav");
        return new RcloneWebDav(process, port, root);
    }

    public async Task<TimeSpan> UploadAsync(string localFolder, string target) =>
        (await PeerTool.RunAsync("rclone", ["copy", localFolder, Remote(target), .. ClientFlags()], Limit)).Elapsed;

    public async Task<TimeSpan> DownloadAsync(string source, string localFolder) =>
        (await PeerTool.RunAsync("rclone", ["copy", Remote(source), localFolder, .. ClientFlags()], Limit)).Elapsed;

    public void Dispose() => PeerTool.Stop(_process);

    private string Remote(string path) => ":webdav:" + path.Trim('/');

    private string[] ClientFlags() => ["--webdav-url", $"http://127.0.0.1:{_port}/", "--config", ""];
}
