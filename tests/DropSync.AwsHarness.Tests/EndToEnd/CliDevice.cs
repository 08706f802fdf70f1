using System.Security.Cryptography;
using System.Text.Json;
using DropSync.Cli;
using DropSync.Client.Sync;

namespace DropSync.AwsHarness.Tests.EndToEnd;

/// <summary>
/// One computer running the real <c>dropsync</c> command line in-process: its own config folder (its signed-in account)
/// and sync folder, every command run with <c>--json</c>.
/// </summary>
public sealed class CliDevice : IDisposable
{
    private static readonly JsonSerializerOptions SnakeCase = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly string _config = Directory.CreateTempSubdirectory("dropsync-e2e-config-").FullName;
    private readonly string _root = Directory.CreateTempSubdirectory("dropsync-e2e-folder-").FullName;

    private readonly AwsHarness? _harness;

    /// <param name="harness">The local harness the device talks to, if it is one: a failing command then shows its functions' logs.</param>
    public CliDevice(string name, AwsHarness? harness = null)
    {
        Name = name;
        _harness = harness;
        Folder = Path.Combine(_root, "DropSync");
        Directory.CreateDirectory(Folder);
    }

    public string Name { get; }

    public string Folder { get; }

    public string PathOf(string relative) => Path.Combine(Folder, relative.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>Runs <c>dropsync {args} --config {config} --json</c>; answers the exit code and the JSON printed.</summary>
    public async Task<(int Code, JsonElement Json)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        var code = await CliApp.RunAsync([.. args, "--config", _config, "--json"], output);
        var text = output.ToString();
        using var document = JsonDocument.Parse(text.Length > 0 ? text : "{}");
        return (code, document.RootElement.Clone());
    }

    public async Task LoginAsync(Uri server, string email)
    {
        var (code, json) = await RunAsync("login", server.ToString(), "--email", email, "--password", EndToEndFixture.Password, "--device-name", Name);
        Assert.True(code == ExitCodes.Ok, $"{Name}: login exited {code}: {json}{Diagnostics()}");
    }

    /// <summary><c>dropsync sync</c> of the folder, which must succeed without errors or conflicts; answers its report.</summary>
    public async Task<SyncCounters> SyncAsync()
    {
        var (code, json) = await RunAsync("sync", Folder);
        Assert.True(code == ExitCodes.Ok, $"{Name}: sync exited {code}: {json}{Diagnostics()}");
        var report = JsonSerializer.Deserialize<SyncCounters>(json, SnakeCase)!;
        Assert.True(report.Errors.Count == 0 && report.Conflicts.Count == 0, $"{Name}: {json}{Diagnostics()}");
        return report;
    }

    private string Diagnostics() => _harness is null ? "" : HarnessDiagnostics.Describe(_harness, 40);

    public void Write(string relative, byte[] content)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
    }

    /// <summary>Every file below the folder (its sync state left out) by relative path, with its SHA-256.</summary>
    public SortedDictionary<string, string> Tree()
    {
        var tree = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Folder, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Folder, file).Replace(Path.DirectorySeparatorChar, '/');
            if (!relative.StartsWith(LocalIndex.StateFolder + "/", StringComparison.Ordinal))
            {
                tree[relative] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));
            }
        }

        return tree;
    }

    /// <summary>Every folder below the folder (its sync state left out), relative.</summary>
    public SortedSet<string> Folders() =>
        new(Directory.EnumerateDirectories(Folder, "*", SearchOption.AllDirectories)
            .Select(d => Path.GetRelativePath(Folder, d).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(d => d != LocalIndex.StateFolder && !d.StartsWith(LocalIndex.StateFolder + "/", StringComparison.Ordinal)),
            StringComparer.Ordinal);

    public void Dispose()
    {
        Directory.Delete(_config, recursive: true);
        Directory.Delete(_root, recursive: true);
    }
}

/// <summary>The counters of <c>dropsync sync --json</c>.</summary>
public sealed record SyncCounters(
    int FilesUploaded, long BytesUploaded, int FilesDownloaded, long BytesDownloaded, long BytesReusedLocally,
    int DeletedLocal, int DeletedRemote, int Moved, int FoldersCreated, int FoldersDeleted,
    IReadOnlyList<string> Conflicts, IReadOnlyList<string> Errors);
